CREATE INDEX members_name_search ON members (name_search);
ALTER TABLE figures DROP COLUMN source;
ALTER TABLE field_activity DROP COLUMN flagged;
ALTER TABLE reactivations DROP COLUMN flagged_on;
ALTER TABLE reactivations DROP COLUMN decided_via;
DROP TABLE member_history;
DROP TABLE roster_import_errors;
DROP TABLE roster_imports;
