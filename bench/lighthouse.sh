#!/usr/bin/env bash
# Lighthouse (mobile, simulated slow 4G) on every kind of page, signed in as the role that uses
# it, against `pesiar demo` on loopback. Prints performance, accessibility and best-practices
# scores per page, each the median of three runs (RUNS=n for another count).
#
#   bash bench/lighthouse.sh
#
# The release binary is taken from $CARGO_TARGET_DIR (./target when unset).
# Needs: Node.js with npm (Lighthouse is installed into $work on first use), Debian's chromium,
# sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

port=${PORT:-18500}
work=${BENCH_DIR:-/tmp/pesiar-lighthouse}
runs=${RUNS:-3}
base="http://127.0.0.1:$port"
target=${CARGO_TARGET_DIR:-target}
mkdir -p "$work"
[ -x "$work/node_modules/.bin/lighthouse" ] || npm install --prefix "$work" --silent lighthouse@12
cargo build --release --quiet

rm -f "$work/demo.db" "$work/demo.db-wal" "$work/demo.db-shm" "$work/demo.db.secret"
env -u DATABASE_URL -u PESIAR_SECRET_KEY "$target/release/pesiar" demo \
  --database-url "$work/demo.db" --bind "127.0.0.1:$port" >"$work/demo.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done

password_of() { grep "^$1 " "$work/demo.log" | grep -o 'demo-[^ ]*' | head -1; }
login() { sign_in "$base" "$1" "$(password_of "$1")" "$work/jar-$1"; } # → session cookie value
declare -A cookie=([tamu]=none)
for user in agen kader supervisor camat admin; do cookie[$user]=$(login "$user"); done
get() { curl -s -b "pesiar=${cookie[$1]}" "$base$2"; } # user path
csrf() { get "$1" "$2" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
household=$(get agen /rumah-tangga | grep -o 'href="/rumah-tangga/[0-9]*"' | head -1 | grep -o '[0-9]*')
member=$(get agen "/rumah-tangga/$household" | grep -o 'href="/anggota/[0-9]*"' | head -1 | grep -o '[0-9]*')
visit=$(sqlite3 "$work/demo.db" "SELECT min(id) FROM visits")
agent_id=$(sqlite3 "$work/demo.db" "SELECT id FROM users WHERE username = 'agen'")
# A search is a POST answered with a sealed result id (no term in the URL).
search=$(curl -s -o /dev/null -w '%{redirect_url}' -b "pesiar=${cookie[agen]}" "$base/rumah-tangga/cari" \
  --data-urlencode "csrf_token=$(csrf agen /rumah-tangga)" --data-urlencode "q=jl")
search=${search#"$base"}
# A figures upload waiting for "Terapkan", and a roster import with its report.
printf 'kode_wilayah,tanggal,penduduk,peserta_terdaftar,peserta_aktif\n32.73.02.1004,2025-07-31,12000,11900,9600\n' >"$work/figures.csv"
preview=$(curl -s -o /dev/null -w '%{redirect_url}' -b "pesiar=${cookie[supervisor]}" "$base/data/impor" \
  -F "csrf_token=$(csrf supervisor /data/impor)" -F "berkas=@$work/figures.csv;type=text/csv")
preview=${preview#"$base"}
printf 'nik,no_kk,nama,jenis_kelamin,tanggal_lahir,kode_wilayah,rt,rw,alamat,no_kartu_jkn,segmen,kelas,status,alasan_nonaktif\n' >"$work/roster.csv"
curl -s -o /dev/null -b "pesiar=${cookie[supervisor]}" "$base/data/roster" \
  -F "csrf_token=$(csrf supervisor /data/roster)" -F "tanggal=2025-07-31" -F "berkas=@$work/roster.csv;type=text/csv"
roster=$(sqlite3 "$work/demo.db" "SELECT max(id) FROM roster_imports")

flags="--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage"
once() { # user path → "performance accessibility best-practices", or nothing when the run failed
  local out="$work/report.json" attempt
  for attempt in 1 2 3; do
    # A trace occasionally fails to record (NO_NAVSTART); Lighthouse says to run it again.
    CHROME_PATH=/usr/bin/chromium "$work/node_modules/.bin/lighthouse" "$base$2" --quiet \
      --chrome-flags="$flags" --only-categories=performance,accessibility,best-practices \
      --extra-headers="{\"Cookie\":\"pesiar=${cookie[$1]}\"}" --output=json --output-path="$out" \
      >/dev/null 2>&1 || true
    python3 - "$out" "$work/failures.txt" "$2" <<'PY' && return 0
import json, sys
file, failures, path = sys.argv[1:]
d = json.load(open(file))
c = d["categories"]
if d.get("runtimeError") or any(c[k]["score"] is None for k in c):
    sys.exit(1)
if d.get("finalDisplayedUrl", d.get("finalUrl", "")).rstrip("/").endswith("/login") and not path.startswith("/login"):
    sys.exit(1)  # signed out: the page was not the one asked for
scores = [round(c[k]["score"] * 100) for k in ("performance", "accessibility", "best-practices")]
# What kept a category below full marks, for the fixing.
with open(failures, "a") as f:
    for k in ("accessibility", "best-practices"):
        for ref in c[k]["auditRefs"]:
            a = d["audits"][ref["id"]]
            if ref["weight"] and a["score"] is not None and a["score"] < 1:
                f.write(f"{path} {k}: {ref['id']}\n")
print(*scores)
PY
  done
}
audit() { # user path: the median of $runs runs, each category on its own
  local results="" r i status
  status=$(curl -s -o /dev/null -w '%{http_code}' -b "pesiar=${cookie[$1]}" "$base$2")
  if [ "$status" != 200 ]; then echo "| \`$2\` | $1 | HTTP $status | | | |"; return; fi
  for i in $(seq 1 "$runs"); do r=$(once "$1" "$2"); [ -n "$r" ] && results+="$r"$'\n'; done
  python3 - "$1" "$2" "$results" <<'PY'
import statistics, sys
user, path, results = sys.argv[1:]
runs = [list(map(int, line.split())) for line in results.splitlines() if line.strip()]
if not runs:
    print(f"| `{path}` | {user} | failed | | | 0 |")
    sys.exit()
med = [round(statistics.median(col)) for col in zip(*runs)]
low = min(r[0] for r in runs)
print(f"| `{path}` | {user} | {med[0]} | {med[1]} | {med[2]} | {len(runs)} (lowest performance {low}) |")
PY
}

rm -f "$work/failures.txt"
echo "Lighthouse $("$work/node_modules/.bin/lighthouse" --version), $(chromium --version 2>/dev/null | head -1), $(date -u +%F), median of $runs runs"
echo
echo "| page | as | performance | accessibility | best practices | runs |"
echo "|---|---|---|---|---|---|"
audit tamu /login
audit agen /
audit agen /rumah-tangga
audit agen "$search"
audit agen /rumah-tangga/baru
audit agen "/rumah-tangga/$household"
audit agen "/rumah-tangga/$household/ubah"
audit agen "/rumah-tangga/$household/anggota/baru"
audit agen "/rumah-tangga/$household/kunjungan/baru"
audit agen "/anggota/$member"
audit agen "/anggota/$member/ubah"
audit agen "/kunjungan/$visit"
audit agen /antrean
audit agen /rekap
audit agen /progres/32.73.02.1004
audit agen /wilayah
audit agen /akun/password
audit kader /
audit kader /rekap
audit supervisor /
audit supervisor /verifikasi
audit supervisor "/verifikasi?kelurahan=32.73.02.1004&petugas=$agent_id&jenis=reaktivasi&umur=7"
audit supervisor "/kunjungan/$visit"
audit supervisor "/kunjungan/$visit/koreksi"
audit supervisor "/anggota/$member"
audit supervisor "/anggota/$member/koreksi"
audit supervisor /progres/32.73
audit supervisor /progres/32.73.02
audit supervisor /progres/32.73.02.1004
audit supervisor /penugasan
audit supervisor /rekap
audit supervisor "/rekap?wilayah=32.73"
audit supervisor /forum/32.73
audit supervisor /forum/32.73.02
audit supervisor /data/impor
audit supervisor "$preview"
audit supervisor /data/roster
audit supervisor "/data/roster/$roster"
audit supervisor /data/pindah
audit camat /
audit camat /progres/32.73.02
audit camat /penugasan
audit camat /forum/32.73.02
audit camat /wilayah/32.73.02
audit camat /rumah-tangga
audit admin /
audit admin /admin/pengguna
audit admin /admin/pengguna/baru
audit admin "/admin/pengguna/$agent_id"
audit admin /admin/kunci
audit admin /admin/token
audit admin /admin/iuran
audit admin /admin/insentif
audit admin "/anggota/$member/akses"
echo
echo "Below full marks in accessibility or best practices (any run):"
sort "$work/failures.txt" 2>/dev/null | uniq -c || true
