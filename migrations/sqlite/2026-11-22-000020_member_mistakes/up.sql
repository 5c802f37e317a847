-- A member marked as entered by mistake (salah input): kept, with who, when and why, but out of
-- the household's counts, lists and the worklist.
ALTER TABLE members ADD COLUMN mistaken_at TIMESTAMP;
ALTER TABLE members ADD COLUMN mistaken_by INTEGER REFERENCES users (id);
ALTER TABLE members ADD COLUMN mistaken_reason TEXT;
