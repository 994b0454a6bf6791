-- Schema version 7: a release rolled back in an environment is blocked there until someone clears it.
CREATE TABLE blocked_releases (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id),
  environment_id TEXT NOT NULL,
  release_id     TEXT NOT NULL,
  blocked_at_us  INTEGER NOT NULL,
  blocked_by     TEXT NOT NULL,
  reason         TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, environment_id, release_id)
);
