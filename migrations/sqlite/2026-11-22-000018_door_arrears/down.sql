DROP INDEX member_arrears_visit;
ALTER TABLE member_arrears DROP COLUMN visit_id;
