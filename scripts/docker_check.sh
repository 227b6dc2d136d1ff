#!/usr/bin/env bash
# make docker-check: build the image and smoke-test it as README documents it. Starts dockerd and
# builds a local python:3.11-slim stand-in with shared/tools/docker-local-base.sh when either is
# missing (no image registry is reachable here). Checks the examples, the page, a static module,
# the installed (not source-tree) package, a non-root server process, a quick stop, and that an
# uploaded dataset survives a restart and a new container on the same volume.
set -euo pipefail
cd "$(dirname "$0")/.."

image=${IMAGE:-embedding-projector:check}
token=docker-check-token-0123456789abcdef
run_id="projector-check-$$"
volume="$run_id-data"
container=""
work=$(mktemp -d /tmp/docker-check.XXXXXX)

say() { printf 'docker-check: %s\n' "$*"; }
fail() { say "FAIL: $*"; [ -n "$container" ] && docker logs "$container" 2>&1 | tail -30; exit 1; }
cleanup() {
  [ -n "$container" ] && docker rm -f "$container" >/dev/null 2>&1 || true
  docker volume rm -f "$volume" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

. scripts/docker_prepare.sh
prepare_docker

say "building $image"
started=$SECONDS
docker build --network host -t "$image" . >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "docker build"; }
say "built in $((SECONDS - started)) s ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
auth=(-H "Authorization: Bearer $token")
docker volume create "$volume" >/dev/null

start_container() {
  container=$(docker run -d --name "$run_id" -p "127.0.0.1:$port:8000" -v "$volume:/data" \
    -e PROJECTOR_WRITE_TOKEN="$token" "$image")
}
wait_ready() {  # the server answers /api/datasets, within 180 s (the first start imports the examples)
  local started=$SECONDS
  until curl -fsS -o /dev/null "$base/api/datasets" 2>/dev/null; do
    [ "$(docker inspect -f '{{.State.Running}}' "$container")" = true ] || fail "the container exited"
    (( SECONDS - started < 180 )) || fail "no answer on $base within 180 s"
    sleep 1
  done
  say "answering after $((SECONDS - started)) s"
}
dataset_ids() { curl -fsS "${auth[@]}" "$base/api/datasets" | python3 -c 'import json, sys; print(" ".join(d["id"] for d in json.load(sys.stdin)))'; }
status_of() { curl -sS -o /dev/null -w '%{http_code}' "$@"; }

start_container
wait_ready

ids=$(dataset_ids)
for example in glove-10k glove-400k digits; do
  [[ " $ids " == *" $example "* ]] || fail "example $example is not listed: $ids"
done
say "examples listed: $ids"

curl -fsS "$base/" >"$work/page.html" || fail "GET / failed"
grep -q '/static/js/main.js' "$work/page.html" || fail "the page does not load /static/js/main.js"
for asset in /static/js/main.js /static/vendor/three/three.module.js /static/css/app.css; do
  code=$(status_of "$base$asset")
  [ "$code" = 200 ] || fail "GET $asset answered $code"
done
say "page / and static files (main.js, three.module.js, app.css) answer 200"

root=$(docker exec "$container" python -c 'import embedding_projector.app as a; print(a.asset_root())')
[[ "$root" == */site-packages/embedding_projector ]] || fail "assets are served from $root, not the installed package"
docker exec "$container" test ! -e /app -a ! -e /build || fail "a source tree is left in the image"
say "assets served from the installed package: $root"

uid=$(docker exec "$container" awk '/^Uid:/ {print $2}' /proc/1/status)
user=$(docker exec "$container" id -un)
[ "$uid" != 0 ] || fail "the server runs as root"
say "server process (pid 1) runs as uid $uid ($user)"

printf '1\t0\t0\n0\t1\t0\n0\t0\t1\n1\t1\t1\n' >"$work/vectors.tsv"
printf 'alpha\nbeta\ngamma\ndelta\n' >"$work/metadata.tsv"
code=$(status_of -F vectors=@"$work/vectors.tsv" -F metadata=@"$work/metadata.tsv" -F name="Docker check" "$base/api/datasets")
[ "$code" = 401 ] || fail "an upload without the token answered $code, not 401"
curl -fsS "${auth[@]}" -F vectors=@"$work/vectors.tsv" -F metadata=@"$work/metadata.tsv" \
  -F name="Docker check" "$base/api/datasets" >"$work/upload.json" || fail "the upload with the token failed"
uploaded=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$work/upload.json")
say "uploaded dataset $uploaded (and a stranger's upload got 401)"

imports=$(docker logs "$container" 2>&1 | grep -c "imported example" || true)
started=$SECONDS
docker restart -t 20 "$container" >/dev/null
say "docker restart took $((SECONDS - started)) s"
wait_ready
[[ " $(dataset_ids) " == *" $uploaded "* ]] || fail "$uploaded is gone after a restart"
[ "$(docker logs "$container" 2>&1 | grep -c "imported example" || true)" = "$imports" ] \
  || fail "the examples were imported again after a restart"
say "after a restart: $uploaded still listed, examples not re-imported"

started=$SECONDS
docker stop -t 20 "$container" >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' "$container")
[ "$code" != 137 ] || fail "the server ignored SIGTERM: docker stop had to kill it after 20 s"
say "docker stop took $((SECONDS - started)) s; the server exited by itself on SIGTERM (exit code $code)"
docker rm "$container" >/dev/null
container=""
start_container
wait_ready
[[ " $(dataset_ids) " == *" $uploaded "* ]] || fail "$uploaded is gone in a new container on the same volume"
meta=$(curl -fsS "${auth[@]}" "$base/api/datasets/$uploaded/metadata")
[[ "$meta" == *gamma* ]] || fail "$uploaded lost its metadata: $meta"
say "a new container on the same volume: $uploaded still listed, with its metadata"

say "OK: all checks passed"
