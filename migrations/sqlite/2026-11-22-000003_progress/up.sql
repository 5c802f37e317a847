-- Progress toward UHC Prioritas: dated figures per desa/kelurahan (population from Dukcapil,
-- members from the BPJS branch), their roll-ups, the thresholds in force, who is assigned
-- where (with history), worklist assignment, and API tokens.

-- Thresholds change with policy: each row is in force from its date until the next row's.
-- Basis points (9800 = 98.00%) so every comparison is done in integers.
CREATE TABLE thresholds (
    valid_from DATE PRIMARY KEY NOT NULL,
    coverage_bp INTEGER NOT NULL,
    activity_bp INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
INSERT INTO thresholds (valid_from, coverage_bp, activity_bp, note)
VALUES ('2014-01-01', 9500, 7500, 'UHC: cakupan 95%, keaktifan 75% (sebelum 2024)');
INSERT INTO thresholds (valid_from, coverage_bp, activity_bp, note)
VALUES ('2024-01-01', 9800, 8000, 'UHC Prioritas: cakupan 98%, keaktifan 80%');

CREATE TABLE figures (
    region_code TEXT NOT NULL REFERENCES regions (code),
    figure_date DATE NOT NULL,
    population INTEGER NOT NULL,
    registered INTEGER NOT NULL,
    active INTEGER NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    imported_by INTEGER REFERENCES users (id),
    PRIMARY KEY (region_code, figure_date)
);
CREATE INDEX figures_date ON figures (figure_date, region_code);

CREATE TABLE figure_segments (
    region_code TEXT NOT NULL,
    figure_date DATE NOT NULL,
    segment TEXT NOT NULL,
    registered INTEGER,
    active INTEGER,
    PRIMARY KEY (region_code, figure_date, segment),
    FOREIGN KEY (region_code, figure_date) REFERENCES figures (region_code, figure_date) ON DELETE CASCADE
);

-- Sums of `figures` for every unit above desa/kelurahan, and 'ID' for the nation, per date.
-- Rebuilt for a date whenever that date is imported, so a roll-up page reads a few rows.
CREATE TABLE figure_rollups (
    region_code TEXT NOT NULL,
    figure_date DATE NOT NULL,
    population BIGINT NOT NULL,
    registered BIGINT NOT NULL,
    active BIGINT NOT NULL,
    units INTEGER NOT NULL,
    PRIMARY KEY (region_code, figure_date)
);

ALTER TABLE user_areas ADD COLUMN assigned_on DATE;

CREATE TABLE assignment_history (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    region_code TEXT NOT NULL REFERENCES regions (code),
    started_on DATE NOT NULL,
    ended_on DATE,
    changed_by INTEGER REFERENCES users (id)
);
CREATE INDEX assignment_history_region ON assignment_history (region_code);

-- The worklist order kept as one number per household (see households::worklist_rank), so a
-- kelurahan's next households are read from an index instead of sorting thousands of rows.
ALTER TABLE households ADD COLUMN worklist_rank INTEGER NOT NULL DEFAULT 900000000;
CREATE INDEX households_worklist ON households (region_code, worklist_rank, id);

-- Worklist households a supervisor gave to one agent or kader.
CREATE TABLE household_assignments (
    household_id INTEGER PRIMARY KEY NOT NULL REFERENCES households (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    assigned_on DATE NOT NULL,
    assigned_by INTEGER REFERENCES users (id)
);
CREATE INDEX household_assignments_user ON household_assignments (user_id);

-- Field activity per kelurahan and field worker, kept up to date as visits are recorded and
-- claims decided, so progress pages add up a few rows instead of scanning visits.
CREATE TABLE field_activity (
    region_code TEXT NOT NULL REFERENCES regions (code),
    user_id INTEGER NOT NULL REFERENCES users (id),
    visits INTEGER NOT NULL DEFAULT 0,
    households INTEGER NOT NULL DEFAULT 0,
    reported INTEGER NOT NULL DEFAULT 0,
    confirmed INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    last_visit_on DATE,
    PRIMARY KEY (region_code, user_id)
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
