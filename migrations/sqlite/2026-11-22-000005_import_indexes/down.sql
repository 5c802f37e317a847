CREATE TABLE member_history_old (
    member_id INTEGER NOT NULL REFERENCES members (id),
    valid_from DATE NOT NULL,
    segment TEXT NOT NULL,
    status TEXT NOT NULL,
    inactive_reason TEXT,
    import_id INTEGER REFERENCES roster_imports (id),
    PRIMARY KEY (member_id, valid_from)
);
INSERT INTO member_history_old SELECT member_id, valid_from, segment, status, inactive_reason, import_id FROM member_history;
DROP TABLE member_history;
ALTER TABLE member_history_old RENAME TO member_history;

DROP INDEX members_household;
CREATE INDEX members_household ON members (household_id);
CREATE INDEX members_birth_date ON members (birth_date);
