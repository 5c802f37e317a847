DROP TABLE region_villages;
ALTER TABLE figure_rollups DROP COLUMN oldest;
ALTER TABLE figure_rollups DROP COLUMN fresh;
