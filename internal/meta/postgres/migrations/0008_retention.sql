-- Schema version 8: retention (issue 12). Evidence gets the packet types of retention and key rotation
-- (the CHECK constraint is replaced; PostgreSQL checks the existing rows and changes none); legal holds
-- keep a set past its retention; leases let one replica at a time run a scheduled job.
ALTER TABLE evidence DROP CONSTRAINT evidence_type_check;
ALTER TABLE evidence ADD CONSTRAINT evidence_type_check CHECK (type IN ('release_decision', 'deployment', 'rollback',
  'retention_hold', 'retention_release', 'set_removed', 'key_rotation'));

CREATE TABLE retention_holds (
  tenant_id     TEXT NOT NULL REFERENCES tenants (id),
  deployment_id TEXT NOT NULL,
  held_at_us    BIGINT NOT NULL,
  held_by       TEXT NOT NULL,
  reason        TEXT NOT NULL,
  evidence_id   TEXT NOT NULL,
  PRIMARY KEY (tenant_id, deployment_id)
);

CREATE TABLE leases (
  name          TEXT PRIMARY KEY,
  holder        TEXT NOT NULL,
  expires_at_us BIGINT NOT NULL
);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'stella_service') THEN
    GRANT SELECT, INSERT, DELETE ON retention_holds TO stella_service;
    GRANT SELECT, INSERT, UPDATE, DELETE ON leases TO stella_service;
  END IF;
END $$;
