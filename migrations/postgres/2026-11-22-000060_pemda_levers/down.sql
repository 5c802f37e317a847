DROP INDEX reactivations_method_state;
DROP TABLE village_official_members;
DROP TABLE village_officials;
DROP TABLE dinsos_answers;
DROP TABLE pemda_quotas;
