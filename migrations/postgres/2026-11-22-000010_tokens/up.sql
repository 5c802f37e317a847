-- API tokens get an id (for listing and revoking), an expiry and a revocation time. Tokens
-- made before this migration expire 90 days after it.
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_pkey;
ALTER TABLE api_tokens ADD COLUMN id SERIAL PRIMARY KEY;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash);
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP;
UPDATE api_tokens SET expires_at = (now() AT TIME ZONE 'UTC') + interval '90 days';
ALTER TABLE api_tokens ALTER COLUMN expires_at SET NOT NULL;
ALTER TABLE api_tokens ADD COLUMN revoked_at TIMESTAMP;
CREATE INDEX api_tokens_user ON api_tokens (user_id);
