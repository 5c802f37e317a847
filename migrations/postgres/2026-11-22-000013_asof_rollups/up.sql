-- Roll-ups become as-of views (issue 21): a unit's figures on a date are the sums of each
-- desa/kelurahan's latest figures on or before it, carried forward. `units` counts the villages
-- with any figures by then, `fresh` those that reported on the date itself, `oldest` the oldest
-- date carried. A roll-up row exists on each date some village under it reported.
ALTER TABLE figure_rollups ADD COLUMN fresh INTEGER NOT NULL DEFAULT 0;
ALTER TABLE figure_rollups ADD COLUMN oldest DATE;

-- How many desa/kelurahan each unit has in the region list (and 'ID' the nation): the "of M"
-- in "148 of 151 reported", read per page without counting regions.
CREATE TABLE region_villages (
    code TEXT PRIMARY KEY NOT NULL,
    villages INTEGER NOT NULL
);
INSERT INTO region_villages (code, villages)
SELECT substr(code, 1, 8), COUNT(*) FROM regions WHERE level = 'desa_kelurahan' GROUP BY substr(code, 1, 8);
INSERT INTO region_villages (code, villages)
SELECT substr(code, 1, 5), COUNT(*) FROM regions WHERE level = 'desa_kelurahan' GROUP BY substr(code, 1, 5);
INSERT INTO region_villages (code, villages)
SELECT substr(code, 1, 2), COUNT(*) FROM regions WHERE level = 'desa_kelurahan' GROUP BY substr(code, 1, 2);
INSERT INTO region_villages (code, villages)
SELECT 'ID', COUNT(*) FROM regions WHERE level = 'desa_kelurahan' HAVING COUNT(*) > 0;

-- Existing roll-ups rebuilt as-of (the statement of figures::store::rebuild_rollups).
DELETE FROM figure_rollups;
INSERT INTO figure_rollups (region_code, figure_date, population, registered, active, units, fresh, oldest)
WITH spans AS (
    SELECT region_code, figure_date, population, registered, active,
           LEAD(figure_date) OVER (PARTITION BY region_code ORDER BY figure_date) AS next_date
    FROM figures
), days AS (
    SELECT DISTINCT figure_date AS day FROM figures
), kecamatan AS (
    SELECT substr(s.region_code, 1, 8) AS code, d.day, SUM(s.population) AS population,
           SUM(s.registered) AS registered, SUM(s.active) AS active, COUNT(*) AS units,
           SUM(CASE WHEN s.figure_date = d.day THEN 1 ELSE 0 END) AS fresh,
           MIN(s.figure_date) AS oldest
    FROM spans s JOIN days d ON s.figure_date <= d.day
        AND (s.next_date IS NULL OR s.next_date > d.day)
    GROUP BY substr(s.region_code, 1, 8), d.day
)
SELECT code, day, population, registered, active, units, fresh, oldest FROM kecamatan WHERE fresh > 0
UNION ALL
SELECT substr(code, 1, 5), day, SUM(population), SUM(registered), SUM(active), SUM(units), SUM(fresh), MIN(oldest)
FROM kecamatan GROUP BY substr(code, 1, 5), day HAVING SUM(fresh) > 0
UNION ALL
SELECT substr(code, 1, 2), day, SUM(population), SUM(registered), SUM(active), SUM(units), SUM(fresh), MIN(oldest)
FROM kecamatan GROUP BY substr(code, 1, 2), day HAVING SUM(fresh) > 0
UNION ALL
SELECT 'ID', day, SUM(population), SUM(registered), SUM(active), SUM(units), SUM(fresh), MIN(oldest)
FROM kecamatan GROUP BY day HAVING SUM(fresh) > 0;
