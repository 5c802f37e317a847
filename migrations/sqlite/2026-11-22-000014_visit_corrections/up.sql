-- The class chosen for a registration or segment change to a mandiri segment (PBPU/BP).
ALTER TABLE visit_members ADD COLUMN new_class TEXT;
-- A visit voided by its author or a supervisor: kept, with who, when and why, but no longer
-- counted.
ALTER TABLE visits ADD COLUMN voided_at TIMESTAMP;
ALTER TABLE visits ADD COLUMN voided_by INTEGER REFERENCES users (id);
ALTER TABLE visits ADD COLUMN void_reason TEXT;
