-- The BPJS member roster: each imported extract, the rows it could not take, and every change
-- of a member's status or segment with the extract date it was seen on.

CREATE TABLE roster_imports (
    id INTEGER PRIMARY KEY NOT NULL,
    extract_date DATE NOT NULL,
    file_name TEXT NOT NULL,
    imported_by INTEGER REFERENCES users (id),
    state TEXT NOT NULL CHECK (state IN ('berjalan', 'selesai', 'gagal')),
    -- How far through the file, for the progress page.
    percent_done INTEGER NOT NULL DEFAULT 0,
    rows_read INTEGER NOT NULL DEFAULT 0,
    rows_invalid INTEGER NOT NULL DEFAULT 0,
    members_created INTEGER NOT NULL DEFAULT 0,
    members_changed INTEGER NOT NULL DEFAULT 0,
    households_created INTEGER NOT NULL DEFAULT 0,
    claims_confirmed INTEGER NOT NULL DEFAULT 0,
    claims_flagged INTEGER NOT NULL DEFAULT 0,
    -- Why an import failed as a whole (bad header, unreadable file, interrupted).
    message TEXT,
    started_at TIMESTAMP NOT NULL,
    -- Last progress; once the state is final, when the import ended.
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE roster_import_errors (
    import_id INTEGER NOT NULL REFERENCES roster_imports (id) ON DELETE CASCADE,
    line INTEGER NOT NULL,
    column_name TEXT NOT NULL,
    value TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (import_id, line, column_name)
);

-- A member's status and segment from valid_from until the next row: the status on any date is
-- the row with the latest valid_from on or before it. A member with rows from an import has
-- been seen in the roster; a household none of whose members has is "not in the roster".
CREATE TABLE member_history (
    member_id INTEGER NOT NULL REFERENCES members (id),
    valid_from DATE NOT NULL,
    segment TEXT NOT NULL,
    status TEXT NOT NULL,
    inactive_reason TEXT,
    import_id INTEGER REFERENCES roster_imports (id),
    PRIMARY KEY (member_id, valid_from)
);

-- Claims decided by the roster rather than a supervisor, and claims still inactive in the
-- roster 30 days after they were reported.
ALTER TABLE reactivations ADD COLUMN decided_via TEXT;
ALTER TABLE reactivations ADD COLUMN flagged_on DATE;
ALTER TABLE field_activity ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;

-- Figures derived from a roster keep their registered/active when a figures file for the same
-- date is imported; only the population is taken from the file.
ALTER TABLE figures ADD COLUMN source TEXT NOT NULL DEFAULT 'berkas';

-- Names are searched with LIKE '%…%', which no index serves; the index only slowed every
-- insert (a roster import adds millions of members).
DROP INDEX members_name_search;
