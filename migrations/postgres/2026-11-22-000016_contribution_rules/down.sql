DROP TABLE contribution_rules;
