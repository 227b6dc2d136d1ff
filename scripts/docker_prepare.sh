# Sourced by scripts/docker_check.sh and scripts/compose_check.sh (needs a `fail` function):
# prepare_docker starts dockerd and builds the local python:3.11-slim stand-in with
# ../shared/tools/docker-local-base.sh when either is missing (no image registry is reachable here).

# The stand-in base image script lives in shared/, beside the clone (or beside the main checkout
# when this is a git worktree).
local_base() {
  local common candidates=("../shared/tools/docker-local-base.sh")
  common=$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
  [ -n "$common" ] && candidates+=("$(dirname "$common")/../shared/tools/docker-local-base.sh")
  for script in "${candidates[@]}"; do
    [ -f "$script" ] && { echo "$script"; return; }
  done
  return 1
}

prepare_docker() {
  local script
  if ! timeout 10 docker info >/dev/null 2>&1 || ! docker image inspect python:3.11-slim >/dev/null 2>&1; then
    script=$(local_base) || fail "dockerd or python:3.11-slim is missing and ../shared/tools/docker-local-base.sh is not there"
    say "preparing Docker with $script"
    if [ "$(id -u)" = 0 ]; then bash "$script"; else sudo bash "$script"; fi
  fi
}
