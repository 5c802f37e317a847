CREATE TABLE api_tokens_old (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
INSERT INTO api_tokens_old (token_hash, user_id, label, created_at, last_used_at)
SELECT token_hash, user_id, label, created_at, last_used_at FROM api_tokens
WHERE revoked_at IS NULL;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_old RENAME TO api_tokens;
