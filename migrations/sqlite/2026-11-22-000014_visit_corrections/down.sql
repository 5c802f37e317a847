ALTER TABLE visits DROP COLUMN void_reason;
ALTER TABLE visits DROP COLUMN voided_by;
ALTER TABLE visits DROP COLUMN voided_at;
ALTER TABLE visit_members DROP COLUMN new_class;
