-- Schema version 5: agents on the targets. A one-time registration token (stored as its SHA-256 only)
-- is bound to one tenant and one target and expires soon; exchanging it makes an agent, whose Ed25519
-- public key (its private key never leaves the host) signs the assertions it trades for short-lived
-- access tokens. An access token of an agent carries the agent and its target.
CREATE TABLE agent_registrations (
  sha256        TEXT PRIMARY KEY,
  tenant_id     TEXT NOT NULL REFERENCES tenants (id),
  target_id     TEXT NOT NULL,
  created_at_us BIGINT NOT NULL,
  expires_at_us BIGINT NOT NULL,
  used_at_us    BIGINT NOT NULL DEFAULT 0,
  agent_id      TEXT NOT NULL DEFAULT ''
);
CREATE TABLE agents (
  id            TEXT PRIMARY KEY,
  tenant_id     TEXT NOT NULL REFERENCES tenants (id),
  target_id     TEXT NOT NULL,
  name          TEXT NOT NULL DEFAULT '',
  public_key    TEXT NOT NULL,
  created_at_us BIGINT NOT NULL,
  seen_at_us    BIGINT NOT NULL DEFAULT 0,
  revoked_at_us BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX agents_tenant ON agents (tenant_id, target_id);
ALTER TABLE api_tokens ADD COLUMN agent_id TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN target_id TEXT NOT NULL DEFAULT '';

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'stella_service') THEN
    GRANT SELECT, INSERT, UPDATE ON agent_registrations, agents TO stella_service;
  END IF;
END $$;
