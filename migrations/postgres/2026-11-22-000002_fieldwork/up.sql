-- Field work: households, their members, visits, the member-level outcome of each visit,
-- reactivation/registration claims awaiting verification, and one-time submission keys.

CREATE TABLE households (
    id SERIAL PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions (code),
    rt TEXT NOT NULL,
    rw TEXT NOT NULL,
    address TEXT NOT NULL,
    nomor_kk TEXT,
    landmark TEXT NOT NULL DEFAULT '',
    -- Lower-cased address and landmark, for search on both backends.
    search_text TEXT NOT NULL,
    -- Maintained on every member change: inactive or unregistered members, and of those the
    -- ones that go first (mandiri arrears, PBI removed). The worklist reads these, not members.
    open_members INTEGER NOT NULL DEFAULT 0,
    priority_members INTEGER NOT NULL DEFAULT 0,
    last_visited_on DATE,
    last_visit_outcome TEXT,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX households_region_open ON households (region_code, open_members);
CREATE INDEX households_nomor_kk ON households (nomor_kk);

CREATE TABLE members (
    id SERIAL PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    -- NULL when the NIK is unknown or needs correction; never two members with one NIK.
    nik TEXT UNIQUE,
    name TEXT NOT NULL,
    name_search TEXT NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('L', 'P')),
    birth_date DATE NOT NULL,
    relationship TEXT NOT NULL,
    jkn_number TEXT,
    segment TEXT NOT NULL,
    class TEXT,
    status TEXT NOT NULL,
    inactive_reason TEXT,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX members_household ON members (household_id);
CREATE INDEX members_birth_date ON members (birth_date);
CREATE INDEX members_name_search ON members (name_search);
CREATE INDEX members_jkn_number ON members (jkn_number);

CREATE TABLE visits (
    id SERIAL PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    region_code TEXT NOT NULL REFERENCES regions (code),
    visitor_id INTEGER NOT NULL REFERENCES users (id),
    visited_on DATE NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    accuracy_m DOUBLE PRECISION,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX visits_household ON visits (household_id, visited_on);
CREATE INDEX visits_visitor ON visits (visitor_id, visited_on);
CREATE INDEX visits_region ON visits (region_code, visited_on);

CREATE TABLE visit_members (
    id SERIAL PRIMARY KEY,
    visit_id INTEGER NOT NULL REFERENCES visits (id),
    member_id INTEGER NOT NULL REFERENCES members (id),
    observed_status TEXT NOT NULL,
    action TEXT NOT NULL,
    new_segment TEXT,
    rehab_reference TEXT,
    revisit_on DATE,
    UNIQUE (visit_id, member_id)
);
CREATE INDEX visit_members_member ON visit_members (member_id);
CREATE INDEX visit_members_revisit_on ON visit_members (revisit_on);

CREATE TABLE reactivations (
    id SERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('reaktivasi', 'pendaftaran')),
    member_id INTEGER NOT NULL REFERENCES members (id),
    visit_id INTEGER NOT NULL REFERENCES visits (id),
    region_code TEXT NOT NULL REFERENCES regions (code),
    reported_by INTEGER NOT NULL REFERENCES users (id),
    reported_on DATE NOT NULL,
    method TEXT NOT NULL,
    segment TEXT,
    state TEXT NOT NULL CHECK (state IN ('dilaporkan', 'dikonfirmasi', 'ditolak')),
    decided_by INTEGER REFERENCES users (id),
    decided_at TIMESTAMP,
    decision_reason TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX reactivations_region_state ON reactivations (region_code, state);
CREATE INDEX reactivations_reporter_state ON reactivations (reported_by, state);
CREATE INDEX reactivations_member ON reactivations (member_id);

-- One-time form keys: a repeated or concurrent POST of a key gets the first result.
CREATE TABLE submissions (
    submission_key TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    result_path TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
-- Household search and scope filters use prefix patterns on PostgreSQL too.
CREATE INDEX households_region_pattern ON households (region_code text_pattern_ops);
CREATE INDEX reactivations_region_pattern ON reactivations (region_code text_pattern_ops);
