DROP TABLE recap_lines;
DROP TABLE recap_periods;
DROP TABLE incentive_rates;
