-- The floor for a roster import into pesiar's schema on SQLite: the same rows put into
-- households, members and member_history by SQLite itself, from the plain table `.import`
-- made (attached as `p`), one transaction per table, with no validation, no lookups by NIK,
-- no per-row binding from Rust and no batching. Run by bench/roster.sh against a freshly
-- migrated database; `.timer on` prints each statement's time.
PRAGMA foreign_keys = ON;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -65536;
.timer on
BEGIN;
INSERT INTO households (region_code, rt, rw, address, nomor_kk, landmark, search_text,
                        open_members, priority_members, worklist_rank, created_at, updated_at)
SELECT substr(kode_wilayah, 1, 2) || '.' || substr(kode_wilayah, 3, 2) || '.'
           || substr(kode_wilayah, 5, 2) || '.' || substr(kode_wilayah, 7, 4),
       rt, rw, alamat, no_kk, '', lower(alamat) || ' ', 1, 0, 5,
       '2026-11-22 20:00:00.123456', '2026-11-22 20:00:00.123456'
FROM p.roster GROUP BY no_kk ORDER BY min(rowid);
COMMIT;
BEGIN;
INSERT INTO members (household_id, nik, name, name_search, sex, birth_date, relationship,
                     jkn_number, segment, class, status, inactive_reason, created_at, updated_at)
SELECT h.id, r.nik, r.nama, lower(r.nama), r.jenis_kelamin, r.tanggal_lahir, 'lainnya',
       r.no_kartu_jkn, 'pbi_apbn', NULLIF(r.kelas, ''), 'aktif', NULLIF(r.alasan_nonaktif, ''),
       '2026-11-22 20:00:00.123456', '2026-11-22 20:00:00.123456'
FROM p.roster r JOIN households h ON h.nomor_kk = r.no_kk ORDER BY r.rowid;
COMMIT;
BEGIN;
INSERT INTO member_history (member_id, valid_from, segment, status, inactive_reason, import_id)
SELECT id, '2026-10-01', segment, status, inactive_reason, NULL FROM members;
COMMIT;
