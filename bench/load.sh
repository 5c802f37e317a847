#!/usr/bin/env bash
# Load test of pesiar on loopback, against a generated Kota Bandung-scale database.
#
#   bash bench/load.sh sqlite              # 2.6 M members in 151 kelurahan, SQLite
#   bash bench/load.sh postgres            # the same plus national figures, PostgreSQL
#   REUSE=1 ONLY=visit bash bench/load.sh sqlite   # reuse the database, run one endpoint
#   PESIAR_BIN=/tmp/old/pesiar REUSE=1 bash bench/load.sh sqlite   # another build, same data
#
# Needs: wrk (Debian package `wrk`) and oha (`cargo install oha`), installed if missing, and a
# local PostgreSQL for `postgres`.
# Prints one Markdown table row per endpoint: p50, p99, requests/s, errors; then the server's
# peak memory. Every request goes to 127.0.0.1 only, and each run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

backend=${1:-sqlite}
duration=${DURATION:-20s}
connections=${CONNECTIONS:-50}
port=${PORT:-18300}
password=${BENCH_PASSWORD:-bench-password-2026}
work=${BENCH_DIR:-/tmp/pesiar-bench}
mkdir -p "$work"

command -v sqlite3 >/dev/null || apt-get install -y -qq sqlite3
command -v wrk >/dev/null || { apt-get install -y -qq wrk || { apt-get update -qq && apt-get install -y -qq wrk; }; }
# PESIAR_BIN runs another build (an older commit's, to compare) against the same data.
bin=${PESIAR_BIN:-./target/release/pesiar}
if [ -z "${PESIAR_BIN:-}" ]; then cargo build --release --quiet; fi
[ "${REUSE:-0}" = 1 ] || cargo build --release --quiet --example generate

case "$backend" in
  sqlite)
    url="$work/bench.db"
    generate_args=(--members "${MEMBERS:-2600000}")
    ;;
  postgres)
    db=pesiar_bench
    url="postgres://postgres@127.0.0.1:5432/$db"
    generate_args=(--national --members "${MEMBERS:-2600000}")
    ;;
  *) echo "backend: sqlite or postgres" >&2; exit 2 ;;
esac

if [ "${REUSE:-0}" != 1 ]; then
  if [ "$backend" = sqlite ]; then
    rm -f "$url" "$url-wal" "$url-shm" "$url.secret"
  else
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  fi
  echo "generating ($backend)…" >&2
  /usr/bin/time -f "generate: %e s, peak %M KB" ./target/release/examples/generate \
    --database-url "$url" "${generate_args[@]}" 2>&1 | tail -3 >&2
fi

export DATABASE_URL="$url" PESIAR_SECURE_COOKIES=false RUST_LOG=warn
export PESIAR_SECRET_KEY=${PESIAR_SECRET_KEY:-bench-secret-key-0123456789abcdefghij}
/usr/bin/time -f "%M" -o "$work/server-rss.txt" "$bin" serve --bind "127.0.0.1:$port" &
server=$!
trap 'pkill -TERM -P $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/livez" >/dev/null && break; sleep 0.2; done

login() { sign_in "http://127.0.0.1:$port" "$1" "$password" "$work/jar-$1"; }
spv=$(login bench.spv)
admin=$(login bench.admin)
agent=$(login bench.agen)
kelurahan=$(curl -s -b "pesiar=$agent" "http://127.0.0.1:$port/" | grep -o 'href="/wilayah/32\.73\.[0-9.]*"' | head -1 | sed 's#.*/wilayah/##; s/"$//')

# A search's result page: the form POSTs and answers with a sealed result id (no term in a URL).
search_path() { # cookie term
  local token
  token=$(curl -s -b "pesiar=$1" "http://127.0.0.1:$port/rumah-tangga" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -o /dev/null -w '%{redirect_url}' -b "pesiar=$1" --data-urlencode "csrf_token=$token" \
    --data-urlencode "q=$2" "http://127.0.0.1:$port/rumah-tangga/cari" | sed "s#^http://127.0.0.1:$port##"
}
# A member of the agent's first household: its page is audited on every view.
member=$(curl -s -b "pesiar=$agent" "http://127.0.0.1:$port/rumah-tangga/$(curl -s -b "pesiar=$agent" "http://127.0.0.1:$port/rumah-tangga" | grep -o 'href="/rumah-tangga/[0-9]*"' | head -1 | grep -o '[0-9]*')" | grep -o 'href="/anggota/[0-9]*"' | head -1 | grep -o '[0-9]*')

run() { # name path cookie
  [ -z "${ONLY:-}" ] || [[ "$1" == *"$ONLY"* ]] || return 0
  local out single cookie=()
  # No cookie at all for the public health check (an empty one is logged as tampered with).
  [ -z "$3" ] || cookie=(-H "Cookie: pesiar=$3")
  # Service time first: one connection, one request at a time.
  single=$(wrk -t1 -c1 -d5s --latency "${cookie[@]}" "http://127.0.0.1:$port$2" | awk '/^ +50%/{p50=$2} /^ +99%/{p99=$2} END{print p50 " / " p99}')
  out=$(wrk -t2 -c"$connections" -d"$duration" --latency "${cookie[@]}" "http://127.0.0.1:$port$2")
  local p50 p99 rps errors
  p50=$(echo "$out" | awk '/^ +50%/{print $2}')
  p99=$(echo "$out" | awk '/^ +99%/{print $2}')
  rps=$(echo "$out" | awk '/^Requests\/sec/{print $2}')
  errors=$(echo "$out" | awk '/Non-2xx/{print $5}')
  echo "| $backend | $1 | \`$2\` | $single | $p50 | $p99 | $rps | ${errors:-0} |"
}

# Visit submission: AGENTS agents (bench.agen001…) signed in, each with its CSRF token and a
# household of its kelurahan, one wrk connection per agent.
agents=${AGENTS:-200}
agents_file="$work/agents.txt"
: >"$agents_file"
sign_in_agent() {
  local name cookie page token household
  name=$(printf 'bench.agen%03d' "$1")
  cookie=$(login "$name")
  page=$(curl -s -b "pesiar=$cookie" "http://127.0.0.1:$port/rumah-tangga")
  token=$(echo "$page" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  household=$(echo "$page" | grep -o 'href="/rumah-tangga/[0-9]*"' | head -1 | grep -o '[0-9]*')
  [ -n "$cookie" ] && [ -n "$token" ] && [ -n "$household" ] && echo "$cookie $token $household" >>"$agents_file"
}
pids=()
# Only when the visit load runs (ONLY may leave it out).
if [ -n "${ONLY:-}" ] && [[ "visit submission" != *"$ONLY"* ]]; then agents=0; fi
for i in $(seq 1 "$agents"); do
  sign_in_agent "$i" &
  pids+=($!)
  # Eight at a time (a bare `wait` would also wait for the server).
  if (( i % 8 == 0 )); then wait "${pids[@]}"; pids=(); fi
done
[ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
echo "agents signed in: $(wc -l <"$agents_file") of $agents" >&2
export BENCH_AGENTS="$agents_file" BENCH_DAY
BENCH_DAY=$(TZ=Asia/Jakarta date +%F)
count_visits() {
  if [ "$backend" = sqlite ]; then
    sqlite3 "$url" "SELECT count(*) FROM visits WHERE note = 'uji beban'"
  else
    psql -h 127.0.0.1 -U postgres -d "$db" -Atc "SELECT count(*) FROM visits WHERE note = 'uji beban'"
  fi
}
run_visits() {
  [ -z "${ONLY:-}" ] || [[ "visit submission" == *"$ONLY"* ]] || return 0
  local out single p50 p99 rps errors requests before after
  before=$(count_visits)
  local one
  one=$(wrk -t1 -c1 -d5s --latency -s bench/visits.lua "http://127.0.0.1:$port")
  single=$(echo "$one" | awk '/^ +50%/{p50=$2} /^ +99%/{p99=$2} END{print p50 " / " p99}')
  out=$(wrk -t2 -c"$agents" -d"$duration" --latency -s bench/visits.lua "http://127.0.0.1:$port")
  requests=$(( $(echo "$one" | awk '/requests in/{print $1}') + $(echo "$out" | awk '/requests in/{print $1}') ))
  p50=$(echo "$out" | awk '/^ +50%/{print $2}')
  p99=$(echo "$out" | awk '/^ +99%/{print $2}')
  rps=$(echo "$out" | awk '/^Requests\/sec/{print $2}')
  errors=$(echo "$out" | awk '/Non-2xx/{print $5}')
  after=$(count_visits)
  echo "| $backend | visit submission ($agents agents) | \`POST /rumah-tangga/{id}/kunjungan/baru\` | $single | $p50 | $p99 | $rps | ${errors:-0} |"
  echo "visit submissions sent: $requests (wrk counts only completed responses), visits recorded: $((after - before))" >&2
}

# Pages while field work is being recorded: the agent posts a visit, then waits 1/WRITES s
# (default 10: about 6 visits/s once curl's own time is counted, far above 103 agents' pace;
# the table gives the rate reached). Each visit is a commit, after which every kept page
# and session is loaded from the database again.
writes=${WRITES:-10}
run_during_visits() { # name path cookie
  [ -z "${ONLY:-}" ] || [[ "$1 during visits" == *"$ONLY"* ]] || return 0
  local page token household before after writer out
  page=$(curl -s -b "pesiar=$agent" "http://127.0.0.1:$port/rumah-tangga")
  token=$(echo "$page" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  household=$(echo "$page" | grep -o 'href="/rumah-tangga/[0-9]*"' | head -1 | grep -o '[0-9]*')
  before=$(count_visits)
  (
    n=0
    while :; do
      n=$((n + 1))
      curl -s -o /dev/null -b "pesiar=$agent" --data-urlencode "csrf_token=$token" \
        --data-urlencode "submission_key=mix$(date +%s)k$n" --data-urlencode "visited_on=$BENCH_DAY" \
        --data-urlencode "outcome=tidak_ditemui" --data-urlencode "note=uji beban" \
        "http://127.0.0.1:$port/rumah-tangga/$household/kunjungan/baru"
      sleep "$(awk "BEGIN{print 1/$writes}")"
    done
  ) &
  writer=$!
  out=$(wrk -t2 -c"$connections" -d"$duration" --latency -H "Cookie: pesiar=$3" "http://127.0.0.1:$port$2")
  kill "$writer"; wait "$writer" 2>/dev/null || true
  after=$(count_visits)
  echo "| $backend | $1, while visits are posted | \`$2\` | $(echo "$out" | awk '/^ +50%/{print $2}') | $(echo "$out" | awk '/^ +99%/{print $2}') | $(echo "$out" | awk '/^Requests\/sec/{print $2}') | $(echo "$out" | awk '/Non-2xx/{print $5}') | $((after - before)) ($(awk "BEGIN{printf \"%.1f\", $((after - before)) / ${duration%s}}")/s) |"
}

# Pages while member pages are viewed (10 connections flat out, each view audited): the views
# are written in batches, so the pages kept until the next commit stay kept.
run_during_views() { # name path cookie
  [ -z "${ONLY:-}" ] || [[ "$1 during member views" == *"$ONLY"* ]] || return 0
  local viewer out views
  wrk -t1 -c10 -d"$duration" -H "Cookie: pesiar=$spv" "http://127.0.0.1:$port/anggota/$member" >"$work/views.txt" &
  viewer=$!
  out=$(wrk -t2 -c"$connections" -d"$duration" --latency -H "Cookie: pesiar=$3" "http://127.0.0.1:$port$2")
  wait "$viewer" 2>/dev/null || true
  views=$(awk '/^Requests\/sec/{print $2}' "$work/views.txt")
  echo "| $backend | $1, while member pages are viewed | \`$2\` | $(echo "$out" | awk '/^ +50%/{print $2}') | $(echo "$out" | awk '/^ +99%/{print $2}') | $(echo "$out" | awk '/^Requests\/sec/{print $2}') | $(echo "$out" | awk '/Non-2xx/{print $5}') | $views views/s |"
}

# The same pages with 50 clients at a steady rate (open loop: oha sends on schedule and corrects
# for coordinated omission), to read latency below saturation rather than capacity.
rate=${RATE:-500}
command -v oha >/dev/null || cargo install oha --locked --quiet
run_paced() { # name path cookie
  [ -z "${ONLY:-}" ] || [[ "$1" == *"$ONLY"* ]] || return 0
  oha -z "$duration" -c "$connections" -q "$rate" --latency-correction --no-tui --output-format json \
    -H "Cookie: pesiar=$3" "http://127.0.0.1:$port$2" >"$work/oha.json"
  python3 - "$backend" "$1" "$2" "$work/oha.json" <<'PY'
import json, sys
backend, name, path, file = sys.argv[1:]
d = json.load(open(file))
p, s = d["latencyPercentiles"], d["summary"]
codes = d.get("statusCodeDistribution", {})
bad = sum(n for code, n in codes.items() if not code.startswith("2"))
print(f"| {backend} | {name} | `{path}` | {p['p50']*1000:.2f} ms | {p['p99']*1000:.2f} ms | {s['requestsPerSec']:.0f} | {bad} |")
PY
}

echo "| backend | page | path | 1 connection p50 / p99 | $connections connections p50 | p99 | req/s | non-2xx |"
echo "|---|---|---|---|---|---|---|---|"
run "liveness (framework ceiling)" /livez ""
run "kelurahan progress" "/progres/$kelurahan" "$spv"
run "city roll-up (151 kelurahan)" /progres/32.73 "$spv"
run "agent home (Hari ini)" / "$agent"
run "household search" "$(search_path "$agent" warga)" "$agent"
run "member page (every view audited)" "/anggota/$member" "$spv"
run_visits
if [ "$backend" = postgres ]; then
  run "national roll-up (83,762 desa/kelurahan)" /progres/ID "$admin"
fi
echo
echo "The same pages under $connections connections while visits are recorded:"
echo
echo "| backend | page | path | p50 | p99 | req/s | non-2xx | visits recorded |"
echo "|---|---|---|---|---|---|---|---|"
run_during_visits "kelurahan progress" "/progres/$kelurahan" "$spv"
run_during_visits "city roll-up (151 kelurahan)" /progres/32.73 "$spv"
if [ "$backend" = postgres ]; then
  run_during_visits "national roll-up" /progres/ID "$admin"
fi
echo
echo "The same pages under $connections connections while member pages are viewed:"
echo
echo "| backend | page | path | p50 | p99 | req/s | non-2xx | member views |"
echo "|---|---|---|---|---|---|---|---|"
run_during_views "kelurahan progress" "/progres/$kelurahan" "$spv"
run_during_views "city roll-up (151 kelurahan)" /progres/32.73 "$spv"
echo
echo "$connections clients at a steady $rate requests/s in all (oha, open loop):"
echo
echo "| backend | page | path | p50 | p99 | req/s | non-2xx |"
echo "|---|---|---|---|---|---|---|"
run_paced "kelurahan progress" "/progres/$kelurahan" "$spv"
run_paced "city roll-up (151 kelurahan)" /progres/32.73 "$spv"
if [ "$backend" = postgres ]; then
  run_paced "national roll-up" /progres/ID "$admin"
fi
pkill -TERM -P "$server" || true
wait "$server" 2>/dev/null || true
trap - EXIT
echo
echo "server peak RSS: $(tail -1 "$work/server-rss.txt") KB"
