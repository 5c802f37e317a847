-- Indexes shaped for imports of millions of members (bench/roster.sh).
--
-- A birth-date index takes every new member at a random place, so each import transaction
-- rewrote most of its pages. The one query that needs birth dates (similar members in a
-- kelurahan) reaches members through their households anyway: the household index carries
-- the birth date instead, and new members land at its end.
DROP INDEX members_birth_date;
DROP INDEX members_household;
CREATE INDEX members_household ON members (household_id, birth_date);

-- Member history is only ever read by member and date: keyed by them alone (no rowid), it is
-- one B-tree instead of a table and its primary-key index.
CREATE TABLE member_history_new (
    member_id INTEGER NOT NULL REFERENCES members (id),
    valid_from DATE NOT NULL,
    segment TEXT NOT NULL,
    status TEXT NOT NULL,
    inactive_reason TEXT,
    import_id INTEGER REFERENCES roster_imports (id),
    PRIMARY KEY (member_id, valid_from)
) WITHOUT ROWID;
INSERT INTO member_history_new SELECT member_id, valid_from, segment, status, inactive_reason, import_id FROM member_history;
DROP TABLE member_history;
ALTER TABLE member_history_new RENAME TO member_history;
