DELETE FROM api_tokens WHERE revoked_at IS NOT NULL;
DROP INDEX api_tokens_user;
ALTER TABLE api_tokens DROP COLUMN revoked_at;
ALTER TABLE api_tokens DROP COLUMN expires_at;
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_token_hash_key;
ALTER TABLE api_tokens DROP COLUMN id;
ALTER TABLE api_tokens ADD PRIMARY KEY (token_hash);
