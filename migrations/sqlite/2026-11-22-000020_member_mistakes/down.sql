ALTER TABLE members DROP COLUMN mistaken_reason;
ALTER TABLE members DROP COLUMN mistaken_by;
ALTER TABLE members DROP COLUMN mistaken_at;
