ALTER TABLE roster_imports DROP COLUMN ignored_columns;
ALTER TABLE roster_imports DROP COLUMN rows_warned;
ALTER TABLE roster_import_errors DROP COLUMN warning;
