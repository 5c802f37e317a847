-- Roster rows held back because their NIK or card number belongs to a member living outside
-- the importer's areas: a possible move ("kemungkinan pindah wilayah") that someone covering
-- both the member's kelurahan and the row's kelurahan accepts (the row is then applied) or
-- rejects. The row's fields are kept as the file gave them, so accepting applies it later.
CREATE TABLE roster_held_moves (
    id INTEGER PRIMARY KEY NOT NULL,
    import_id INTEGER NOT NULL REFERENCES roster_imports (id) ON DELETE CASCADE,
    line INTEGER NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members (id),
    nik TEXT,
    nomor_kk TEXT,
    name TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date DATE NOT NULL,
    -- The kelurahan the row places the member in.
    region_code TEXT NOT NULL REFERENCES regions (code),
    rt TEXT NOT NULL,
    rw TEXT NOT NULL,
    address TEXT NOT NULL,
    jkn_number TEXT,
    segment TEXT NOT NULL,
    class TEXT,
    status TEXT NOT NULL,
    inactive_reason TEXT,
    extract_date DATE NOT NULL,
    state TEXT NOT NULL DEFAULT 'ditahan' CHECK (state IN ('ditahan', 'diterima', 'ditolak')),
    decided_by INTEGER REFERENCES users (id),
    decided_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX roster_held_moves_import ON roster_held_moves (import_id, line);
CREATE INDEX roster_held_moves_open ON roster_held_moves (state, region_code);
CREATE INDEX roster_held_moves_member ON roster_held_moves (member_id);

ALTER TABLE roster_imports ADD COLUMN rows_held INTEGER NOT NULL DEFAULT 0;
