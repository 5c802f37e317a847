#!/usr/bin/env bash
# Roster import at Kota Bandung scale: a generated extract of 2.6 M members, imported into a
# fresh database, then a second extract with 10% of the statuses changed. Compared with the
# sqlite3 shell's `.import` of the same CSV into a plain table (the floor for reading the file
# into SQLite at all), and with SQLite itself filling pesiar's tables from that plain table (the
# floor for this schema). Prints times and peak memory.
#
#   bash bench/roster.sh sqlite
#   bash bench/roster.sh postgres      # needs the local PostgreSQL server
#
# MEMBERS=260000 for a quicker run.
set -euo pipefail
cd "$(dirname "$0")/.."

backend=${1:-sqlite}
members=${MEMBERS:-2600000}
work=${BENCH_DIR:-/tmp/pesiar-roster-bench}
mkdir -p "$work"
command -v sqlite3 >/dev/null || { apt-get install -y -qq sqlite3 || { apt-get update -qq && apt-get install -y -qq sqlite3; }; }
cargo build --release --quiet
cargo build --release --quiet --example roster

first="$work/roster-1.csv"
second="$work/roster-2.csv"
./target/release/examples/roster --members "$members" --out "$first"
./target/release/examples/roster --members "$members" --changed 10 --out "$second"
echo "file: $(du -h "$first" | cut -f1), $(($(wc -l <"$first") - 1)) rows"

if [ "$backend" = sqlite ]; then
  rm -f "$work/plain.db"
  start=$(date +%s.%N)
  sqlite3 "$work/plain.db" -cmd ".mode csv" ".import $first roster"
  echo "sqlite3 .import into a plain table: $(echo "$(date +%s.%N) - $start" | bc) s"
  # The floor: SQLite alone filling pesiar's tables from that plain table.
  rm -f "$work/floor.db" "$work/floor.db-wal" "$work/floor.db-shm"
  DATABASE_URL="$work/floor.db" RUST_LOG=warn ./target/release/pesiar migrate >/dev/null
  start=$(date +%s.%N)
  (cd "$work" && sqlite3 floor.db -cmd "ATTACH 'plain.db' AS p" <"$OLDPWD/bench/roster-floor.sql" | grep -v '^Run Time: real 0.000')
  echo "SQLite filling households, members and history from it (bench/roster-floor.sql): $(echo "$(date +%s.%N) - $start" | bc) s"
  url="$work/bench.db"
  rm -f "$url" "$url-wal" "$url-shm"
else
  url="postgres://postgres@127.0.0.1:5432/pesiar_roster_bench"
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS pesiar_roster_bench WITH (FORCE)" -c "CREATE DATABASE pesiar_roster_bench"
  # PostgreSQL's own floor for reading the file: \copy into a plain table of text columns.
  columns=$(head -1 "$first" | tr -d '\r' | sed 's/,/ text, /g; s/$/ text/')
  psql -h 127.0.0.1 -U postgres -d pesiar_roster_bench -qc "CREATE TABLE plain_roster ($columns)"
  start=$(date +%s.%N)
  psql -h 127.0.0.1 -U postgres -d pesiar_roster_bench -qc "\copy plain_roster FROM '$first' WITH (FORMAT csv, HEADER true)"
  echo "psql \\copy into a plain table: $(echo "$(date +%s.%N) - $start" | bc) s"
  psql -h 127.0.0.1 -U postgres -d pesiar_roster_bench -qc "DROP TABLE plain_roster"
fi
export DATABASE_URL="$url" RUST_LOG=warn
./target/release/pesiar migrate >/dev/null
for extract in "$first" "$second"; do
  date=$([ "$extract" = "$first" ] && echo 2026-10-01 || echo 2026-11-01)
  # pesiar::roster at info: the CPU time each of the import's two threads used.
  RUST_LOG=warn,pesiar::roster=info /usr/bin/time -f "peak memory: %M KB, wall %e s" \
    ./target/release/pesiar import roster "$extract" --tanggal "$date" 2>&1 | grep -v '^\s*$' | tail -5
done
