-- Two indexes every imported row paid for and no query needs (bench/roster.sh):
-- households by open members is covered by the worklist index, which starts with the region;
-- card numbers are only looked up for members recorded without a NIK (a roster row is matched
-- by NIK first), so only those are indexed.
DROP INDEX households_region_open;
DROP INDEX members_jkn_number;
CREATE INDEX members_jkn_without_nik ON members (jkn_number) WHERE nik IS NULL;
