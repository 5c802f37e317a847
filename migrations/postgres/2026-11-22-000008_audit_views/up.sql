-- Counting one user's audited actions (the out-of-area NIK hints) by actor and time.
CREATE INDEX audit_log_actor ON audit_log (actor_user_id, action, at);
