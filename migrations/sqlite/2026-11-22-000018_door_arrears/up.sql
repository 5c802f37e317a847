-- Months in arrears an agent typed at the door from the member's Mobile JKN screen: dated by the
-- visit, newer than the extract they correct, withdrawn with the visit if it is voided.
ALTER TABLE member_arrears ADD COLUMN visit_id INTEGER REFERENCES visits (id);
CREATE INDEX member_arrears_visit ON member_arrears (visit_id) WHERE visit_id IS NOT NULL;
