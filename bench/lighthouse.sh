#!/usr/bin/env bash
# Lighthouse (mobile, simulated slow 4G) on every kind of page, signed in as the role that uses
# it, against `pesiar demo` on loopback. Prints performance, accessibility and best-practices
# scores per page.
#
#   bash bench/lighthouse.sh
#
# Needs: Node.js with npm (Lighthouse is installed into $work on first use), Debian's chromium,
# sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

port=${PORT:-18500}
work=${BENCH_DIR:-/tmp/pesiar-lighthouse}
base="http://127.0.0.1:$port"
mkdir -p "$work"
[ -x "$work/node_modules/.bin/lighthouse" ] || npm install --prefix "$work" --silent lighthouse@12
cargo build --release --quiet

rm -f "$work/demo.db" "$work/demo.db-wal" "$work/demo.db-shm" "$work/demo.db.secret"
env -u DATABASE_URL -u PESIAR_SECRET_KEY ./target/release/pesiar demo \
  --database-url "$work/demo.db" --bind "127.0.0.1:$port" >"$work/demo.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done

password_of() { grep "^$1 " "$work/demo.log" | grep -o 'demo-[^ ]*' | head -1; }
login() { sign_in "$base" "$1" "$(password_of "$1")" "$work/jar-$1"; } # → session cookie value
declare -A cookie=([tamu]=none)
for user in agen supervisor camat admin; do cookie[$user]=$(login "$user"); done
household=$(curl -s -b "pesiar=${cookie[agen]}" "$base/rumah-tangga" | grep -o 'href="/rumah-tangga/[0-9]*"' | head -1 | grep -o '[0-9]*')
member=$(curl -s -b "pesiar=${cookie[agen]}" "$base/rumah-tangga/$household" | grep -o 'href="/anggota/[0-9]*"' | head -1 | grep -o '[0-9]*')
visit=$(sqlite3 "$work/demo.db" "SELECT min(id) FROM visits")

flags="--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage"
audit() { # user path
  local out="$work/report.json" attempt
  for attempt in 1 2 3; do
    # A trace occasionally fails to record (NO_NAVSTART); Lighthouse says to run it again.
    CHROME_PATH=/usr/bin/chromium "$work/node_modules/.bin/lighthouse" "$base$2" --quiet \
      --chrome-flags="$flags" --only-categories=performance,accessibility,best-practices \
      --extra-headers="{\"Cookie\":\"pesiar=${cookie[$1]}\"}" --output=json --output-path="$out" \
      >/dev/null 2>&1 || true
    python3 - "$1" "$2" "$out" <<'PY' && return 0
import json, sys
user, path, file = sys.argv[1:]
d = json.load(open(file))
c = d["categories"]
if d.get("runtimeError") or any(c[k]["score"] is None for k in c):
    sys.exit(1)
s = lambda k: round(c[k]["score"] * 100)
print(f"| `{path}` | {user} | {s('performance')} | {s('accessibility')} | {s('best-practices')} |")
PY
  done
  echo "| \`$2\` | $1 | failed | | |"
}

echo "Lighthouse $("$work/node_modules/.bin/lighthouse" --version), $(chromium --version 2>/dev/null | head -1), $(date -u +%F)"
echo
echo "| page | as | performance | accessibility | best practices |"
echo "|---|---|---|---|---|"
audit tamu /login
audit agen /
audit agen /rumah-tangga
audit agen "/rumah-tangga?q=jl"
audit agen /rumah-tangga/baru
audit agen "/rumah-tangga/$household"
audit agen "/rumah-tangga/$household/anggota/baru"
audit agen "/rumah-tangga/$household/kunjungan/baru"
audit agen "/anggota/$member"
audit agen "/anggota/$member/ubah"
audit agen /progres/32.73.02.1004
audit supervisor "/kunjungan/$visit"
audit supervisor /verifikasi
audit supervisor /progres/32.73
audit supervisor /progres/32.73.02.1004
audit supervisor /penugasan
audit supervisor /data/impor
audit supervisor /data/roster
audit camat /
audit camat /penugasan
audit camat /wilayah/32.73.02
audit admin /admin/pengguna
audit admin /admin/pengguna/baru
audit agen /akun/password
