ALTER TABLE roster_imports DROP COLUMN rows_held;
DROP TABLE roster_held_moves;
