-- Rows taken with a repair (an identifier a spreadsheet damaged, left out) are reported beside
-- the invalid ones, as warnings; the header cells an import did not recognise are kept with it.
ALTER TABLE roster_import_errors ADD COLUMN warning BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE roster_imports ADD COLUMN rows_warned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE roster_imports ADD COLUMN ignored_columns TEXT NOT NULL DEFAULT '';
