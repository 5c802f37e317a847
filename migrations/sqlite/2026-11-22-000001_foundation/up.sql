-- Foundation: regions, users and their areas, sessions, login throttling, audit.
-- Timestamps are written by the application, in UTC.

CREATE TABLE app_meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE regions (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('provinsi', 'kabupaten_kota', 'kecamatan', 'desa_kelurahan')),
    parent_code TEXT REFERENCES regions (code),
    search_name TEXT NOT NULL
);
CREATE INDEX regions_parent_code ON regions (parent_code);

CREATE TABLE users (
    id INTEGER PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent', 'kader', 'office')),
    password_hash TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE user_areas (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    region_code TEXT NOT NULL REFERENCES regions (code),
    PRIMARY KEY (user_id, region_code)
);
CREATE INDEX user_areas_region_code ON user_areas (region_code);

-- Server-side sessions: the cookie carries only a random token; its hash is the key here,
-- so a session can be revoked (logout, password change, disabled user).
CREATE TABLE user_sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX user_sessions_user_id ON user_sessions (user_id);

CREATE TABLE login_failures (
    throttle_key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    first_failure_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_user_id INTEGER REFERENCES users (id),
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
