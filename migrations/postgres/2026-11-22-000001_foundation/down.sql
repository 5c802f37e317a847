DROP TABLE audit_log;
DROP TABLE login_failures;
DROP TABLE user_sessions;
DROP TABLE user_areas;
DROP TABLE users;
DROP TABLE regions;
DROP TABLE app_meta;
