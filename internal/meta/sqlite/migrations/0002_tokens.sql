-- Schema version 2: API bearer tokens. Only the SHA-256 of a token is stored, never the token itself;
-- the hash is the lookup key (a token names its tenant). expires_at_us and revoked_at_us are 0 for never.
CREATE TABLE api_tokens (
  sha256        TEXT PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  tenant_id     TEXT NOT NULL REFERENCES tenants (id),
  role          TEXT NOT NULL CHECK (role IN ('admin', 'deployer', 'auditor', 'agent')),
  name          TEXT NOT NULL DEFAULT '',
  created_at_us INTEGER NOT NULL,
  expires_at_us INTEGER NOT NULL DEFAULT 0,
  revoked_at_us INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_tenant ON api_tokens (tenant_id, created_at_us);
