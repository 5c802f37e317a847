-- Arrears as an extract lists them (optional columns bulan_tunggakan and jumlah_tunggakan): one
-- row per member and extract date, like member_history, so a newer extract always wins whatever
-- the import order. Read by the door-step panel, aged from the extract date to the day.
CREATE TABLE member_arrears (
    member_id INTEGER NOT NULL REFERENCES members (id),
    as_of DATE NOT NULL,
    months INTEGER,
    amount BIGINT,
    import_id INTEGER REFERENCES roster_imports (id),
    PRIMARY KEY (member_id, as_of),
    CHECK (months IS NOT NULL OR amount IS NOT NULL)
);
