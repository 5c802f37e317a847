DROP INDEX members_household;
CREATE INDEX members_household ON members (household_id);
CREATE INDEX members_birth_date ON members (birth_date);
