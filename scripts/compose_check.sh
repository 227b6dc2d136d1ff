#!/usr/bin/env bash
# make docker-check, second part: bring compose.yaml up as docs/deploy.md documents it (PostgreSQL,
# two web replicas behind nginx, two worker services) and check it through the proxy: the examples,
# the page, a projection run by a worker service and followed to its end, a job whose worker
# container is killed finishing on the other, and the page still served with one web replica killed.
# Where no image registry is reachable, the postgres and nginx images are local stand-ins built
# from Debian's packages (scripts/standin/); the projector image is built from this tree.
set -euo pipefail
cd "$(dirname "$0")/.."

project="projector-compose-$$"
work=$(mktemp -d /tmp/compose-check.XXXXXX)
export PROJECTOR_WRITE_TOKEN=compose-check-token-0123456789abcdef
export PROJECTOR_PROXY_PORT
PROJECTOR_PROXY_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$PROJECTOR_PROXY_PORT"
auth=(-H "Authorization: Bearer $PROJECTOR_WRITE_TOKEN")

say() { printf 'compose-check: %s\n' "$*"; }
compose() {
  if docker compose version >/dev/null 2>&1; then docker compose -p "$project" "$@"; else docker-compose -p "$project" "$@"; fi
}
fail() { say "FAIL: $*"; compose logs --tail 20 2>&1 | tail -80 || true; exit 1; }
cleanup() { compose down -v --timeout 5 >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

. scripts/docker_prepare.sh
prepare_docker
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
  say "installing docker-compose from Debian"
  apt-get install -y -qq docker-compose >/dev/null 2>&1 || fail "neither docker compose nor docker-compose is installed"
fi

say "building embedding-projector"
docker build --network host -t embedding-projector . >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "docker build"; }
stand_in() {  # $1 image, $2 stand-in folder, $3 the variable compose.yaml reads
  if docker image inspect "$1" >/dev/null 2>&1; then return; fi
  say "$1 is not here: building a stand-in from scripts/standin/$2"
  docker build --network host -t "projector-standin/$2" "scripts/standin/$2" >"$work/$2.log" 2>&1 \
    || { tail -20 "$work/$2.log"; fail "building the $2 stand-in"; }
  export "$3=projector-standin/$2"
}
stand_in postgres:16 postgres PROJECTOR_POSTGRES_IMAGE
stand_in nginx:1.27 nginx PROJECTOR_NGINX_IMAGE

started=$SECONDS
compose up -d --no-build >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "compose up"; }
listed() { curl -fsS "$base/api/datasets" 2>/dev/null | python3 -c 'import json, sys; print(" ".join(d["id"] for d in json.load(sys.stdin)))' 2>/dev/null; }
until [[ " $(listed) " == *" digits "* ]]; do
  (( SECONDS - started < 300 )) || fail "the examples were not listed through the proxy within 300 s"
  sleep 2
done
say "up, examples listed through the proxy after $((SECONDS - started)) s: $(listed)"
curl -fsS "$base/" >"$work/page.html" || fail "GET / through the proxy"
grep -q '/static/js/main.js' "$work/page.html" || fail "the page through the proxy does not load main.js"

json() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1], {}, {"d": d}))' "$1"; }
submit() {  # $1 iterations, $2 seed: a t-SNE of the digits through the proxy; prints the job id
  curl -fsS "${auth[@]}" -H 'Content-Type: application/json' \
    -d "{\"method\": \"tsne\", \"params\": {\"iterations\": $1, \"seed\": $2}}" \
    "$base/api/datasets/digits/projections" | json 'd["id"]'
}
status() { curl -fsS "$base/api/projections/$1" | json "$2"; }
wait_status() {  # $1 job, $2 wanted status, $3 seconds
  local started=$SECONDS
  until [ "$(status "$1" 'd["status"]')" = "$2" ]; do
    (( SECONDS - started < $3 )) || fail "job $1 not $2 within $3 s: $(curl -sS "$base/api/projections/$1")"
    sleep 1
  done
}
sql() { compose exec -T db psql -U projector -Atc "$1" projector | tr -d '\r'; }
worker_of() { sql "SELECT worker FROM projector_queue_jobs WHERE key = '$1'"; }  # host:pid of its service
container_of() {  # the compose service whose container runs worker "$1" (host:pid, host = container id)
  local service
  for service in worker1 worker2; do
    [[ "$1" == "$(compose ps -q "$service" | cut -c1-12):"* ]] && { echo "$service"; return; }
  done
  fail "worker $1 is no compose worker service"
}

job=$(submit 500 1)
timeout 120 curl -fsS -N "$base/api/projections/$job/events" >"$work/events.txt" || fail "the event stream of $job through the proxy"
grep -q '"status":"done"' "$work/events.txt" || fail "job $job's events did not end done: $(tail -c 300 "$work/events.txt")"
first=$(container_of "$(worker_of "$job")")
coords=$(curl -fsS -D - -o /dev/null "$base/api/projections/$job/coords" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-shape" {print $2}')
[ "$coords" = "1797,2" ] || fail "job $job's coordinates have shape $coords, not 1797,2"
say "a t-SNE of the digits ran on $first, followed through the proxy to done ($(grep -c '^data:' "$work/events.txt") events), coordinates $coords"

job=$(submit 5000 2)
wait_status "$job" running 60
victim_name=$(worker_of "$job") && victim=$(container_of "$victim_name")
compose kill -s SIGKILL "$victim" >/dev/null 2>&1
say "killed $victim (SIGKILL) while it ran job $job"
wait_status "$job" done 300
survivor_name=$(worker_of "$job")
[ "$survivor_name" != "$victim_name" ] || fail "job $job finished on the killed worker $victim_name"
say "job $job finished on $(container_of "$survivor_name") ($survivor_name, attempt $(sql \
  "SELECT attempts FROM projector_queue_jobs WHERE key = '$job'"))"

compose kill -s SIGKILL web1 >/dev/null 2>&1
for _ in 1 2 3 4; do
  [ "$(curl -sS -o /dev/null -w '%{http_code}' "$base/api/datasets")" = 200 ] || fail "with web1 killed, the proxy did not answer 200"
  [ "$(curl -sS -o /dev/null -w '%{http_code}' "$base/")" = 200 ] || fail "with web1 killed, the page did not answer 200"
done
say "with web1 killed, web2 answers every request through the proxy"
say "OK: all compose checks passed"
