#!/usr/bin/env bash
# PostgreSQL stopped and started under load: requests during the outage must get the 503 page
# within seconds (no hanging), and the same `pesiar serve` process must serve again by itself
# once PostgreSQL is back.
#
#   bash bench/faults.sh
#
# It stops and starts the local PostgreSQL cluster (pg_ctlcluster, as root): do not run it while
# anything else uses that server (the test suite, CI). PostgreSQL is started again on any exit.
# Prints what the outage looked like from outside, then wrk's view of the whole run.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

port=${PORT:-18400}
work=${BENCH_DIR:-/tmp/pesiar-faults}
db=pesiar_faults
url="postgres://postgres@127.0.0.1:5432/$db"
password=${BENCH_PASSWORD:-bench-password-2026}
outage=${OUTAGE_SECONDS:-20}
read -r version cluster < <(pg_lsclusters -h | awk 'NR==1{print $1, $2}')
mkdir -p "$work"

command -v wrk >/dev/null || apt-get install -y -qq wrk
cargo build --release --quiet
cargo build --release --quiet --example generate

psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
./target/release/examples/generate --database-url "$url" --members 20000 --agents 1 2>&1 | tail -1 >&2

export DATABASE_URL="$url" PESIAR_SECURE_COOKIES=false RUST_LOG=warn
export PESIAR_SECRET_KEY=${PESIAR_SECRET_KEY:-bench-secret-key-0123456789abcdefghij}
./target/release/pesiar serve --bind "127.0.0.1:$port" 2>"$work/server.log" &
server=$!
pg_up() { pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start 2>/dev/null || true; }
cleanup() {
  pg_up
  kill "$server" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

login() { sign_in "http://127.0.0.1:$port" "$1" "$password" "$work/jar-$1"; }
spv=$(login bench.spv)
kelurahan=$(curl -s -b "pesiar=$(login bench.agen)" "http://127.0.0.1:$port/" | grep -o 'href="/wilayah/32\.73\.[0-9.]*"' | head -1 | sed 's#.*/wilayah/##; s/"$//')
page="/progres/$kelurahan"
probe() { # one request: status and seconds
  curl -s -o /dev/null -m 120 -w '%{http_code} %{time_total}\n' -b "pesiar=$spv" "http://127.0.0.1:$port$1"
}
[ "$(probe "$page" | cut -d' ' -f1)" = 200 ] || { echo "the page does not answer 200 before the outage" >&2; exit 1; }

# Load for the whole run: the kelurahan page, 20 connections.
total=$(( outage + 40 ))
wrk -t2 -c20 -d"${total}s" --latency -H "Cookie: pesiar=$spv" "http://127.0.0.1:$port$page" >"$work/wrk.txt" &
load=$!
sleep 10

echo "## PostgreSQL stopped under load ($(date -u +%F), wrk -c20 on $page)"
echo
echo "| moment | request | status | seconds |"
echo "|---|---|---|---|"
stopped_at=$(date +%s.%N)
pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" stop -m fast
worst=0
began=$SECONDS
while (( SECONDS - began < outage )); do
  for path in "$page" /healthz; do
    read -r status seconds < <(probe "$path")
    echo "| outage +$(( SECONDS - began ))s | \`$path\` | $status | $seconds |"
    worst=$(awk -v a="$worst" -v b="$seconds" 'BEGIN{print (b > a) ? b : a}')
  done
  sleep 1
done
pg_up
started_at=$(date +%s.%N)
recovered=""
for _ in $(seq 1 240); do
  read -r status seconds < <(probe "$page")
  if [ "$status" = 200 ]; then recovered=$(date +%s.%N); break; fi
  sleep 0.25
done
[ -n "$recovered" ] || { echo "no 200 within 60 s of PostgreSQL's restart" >&2; exit 1; }
echo "| back | \`$page\` | $status | $seconds |"
echo
echo "- slowest answer during the outage: ${worst} s"
echo "- first 200 after PostgreSQL started: $(awk -v a="$started_at" -v b="$recovered" 'BEGIN{printf "%.1f", b - a}') s (outage began $(awk -v a="$stopped_at" -v b="$started_at" 'BEGIN{printf "%.0f", b - a}') s earlier)"
kill -0 "$server" && echo "- the same server process (pid $server) served before, during and after: no restart"
wait "$load" || true
echo "- wrk over the whole run (timeout 2 s): $(awk '/requests in/{r=$1} /Non-2xx/{n=$5} /Socket errors/{t=$NF} END{printf "%s responses, %s of them non-2xx (503), %s timed out", r, n+0, t+0}' "$work/wrk.txt")"
echo "- server log lines about the database: $(grep -c 'database' "$work/server.log" || true)"
