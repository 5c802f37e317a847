-- Indexes shaped for imports of millions of members (bench/roster.sh). A birth-date index
-- takes every new member at a random place; the one query that needs birth dates (similar
-- members in a kelurahan) reaches members through their households, so the household index
-- carries the birth date instead.
DROP INDEX members_birth_date;
DROP INDEX members_household;
CREATE INDEX members_household ON members (household_id, birth_date);
