DROP TABLE submissions;
DROP TABLE reactivations;
DROP TABLE visit_members;
DROP TABLE visits;
DROP TABLE members;
DROP TABLE households;
