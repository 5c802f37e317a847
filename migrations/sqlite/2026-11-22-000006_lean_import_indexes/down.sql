DROP INDEX members_jkn_without_nik;
CREATE INDEX members_jkn_number ON members (jkn_number);
CREATE INDEX households_region_open ON households (region_code, open_members);
