-- Schema version 11: the web interface's sessions, in the database so that they outlive a restart and
-- every replica knows them. Not scoped to a tenant in its key (the cookie names the session, the row its
-- tenant), like API tokens: only hashes of the session id and of the token, never either.
CREATE TABLE web_sessions (
  id_sha256     TEXT PRIMARY KEY,
  tenant_id     TEXT NOT NULL REFERENCES tenants (id),
  token_sha256  TEXT NOT NULL,
  csrf          TEXT NOT NULL,
  expires_at_us BIGINT NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at_us);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'stella_service') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON web_sessions TO stella_service;
  END IF;
END $$;
