-- Places of Pemda-paid membership (PBI APBD / PBPU Pemda) funded per kab/kota, dated: the row
-- in force on a date is the latest one on or before it. Set by an admin or the kab/kota's
-- supervisor (audited).
CREATE TABLE pemda_quotas (
    region_code TEXT NOT NULL,
    valid_from DATE NOT NULL,
    places BIGINT NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (region_code, valid_from)
);
-- Dinsos's answer to a field proposal for PBI / Pemda-paid membership, one per claim; the
-- claim itself is settled the usual way (confirmed when accepted into the quota).
CREATE TABLE dinsos_answers (
    claim_id INTEGER PRIMARY KEY NOT NULL REFERENCES reactivations (id),
    answer TEXT NOT NULL,
    note TEXT NOT NULL,
    decided_by INTEGER NOT NULL REFERENCES users (id),
    decided_at TIMESTAMP NOT NULL
);
-- How many village officials (kepala desa and perangkat) a desa/kelurahan has, as its office
-- entered it or as imported.
CREATE TABLE village_officials (
    region_code TEXT PRIMARY KEY NOT NULL,
    officials INTEGER NOT NULL,
    source TEXT NOT NULL,
    updated_by INTEGER REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL
);
-- Members known to be village officials: marked by a roster extract's row or confirmed by the
-- office one by one. Whether they are active PPU PN on a date comes from their history.
CREATE TABLE village_official_members (
    member_id INTEGER PRIMARY KEY NOT NULL REFERENCES members (id),
    source TEXT NOT NULL,
    marked_by INTEGER REFERENCES users (id),
    marked_on DATE NOT NULL
);
CREATE INDEX reactivations_method_state ON reactivations (method, state);
