-- Schema version 8: retention (issue 12). Evidence gets the packet types of retention and key rotation;
-- legal holds keep a set past its retention; leases let one replica at a time run a scheduled job.
--
-- SQLite cannot change a CHECK constraint in place: the evidence table is rebuilt with every row copied
-- as it is (same rowid order, same bytes). DROP TABLE does not fire the append-only DELETE trigger (an
-- implicit DELETE fires no trigger) and nothing references evidence; the triggers and the index are
-- made again on the new table.
CREATE TABLE evidence_v8 (
  tenant_id       TEXT NOT NULL REFERENCES tenants (id),
  id              TEXT NOT NULL,
  seq             INTEGER NOT NULL CHECK (seq > 0),
  type            TEXT NOT NULL CHECK (type IN ('release_decision', 'deployment', 'rollback',
                    'retention_hold', 'retention_release', 'set_removed', 'key_rotation')),
  deployment_id   TEXT,
  promotion_id    TEXT NOT NULL DEFAULT '',
  generated_at_us INTEGER NOT NULL,
  packet_hash     TEXT NOT NULL,
  prev_hash       TEXT NOT NULL,
  packet          TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, seq),
  FOREIGN KEY (tenant_id, deployment_id) REFERENCES deployments (tenant_id, id)
);
INSERT INTO evidence_v8 (tenant_id, id, seq, type, deployment_id, promotion_id, generated_at_us, packet_hash, prev_hash, packet)
  SELECT tenant_id, id, seq, type, deployment_id, promotion_id, generated_at_us, packet_hash, prev_hash, packet FROM evidence ORDER BY tenant_id, seq;
DROP TABLE evidence;
ALTER TABLE evidence_v8 RENAME TO evidence;
CREATE INDEX evidence_deployment ON evidence (tenant_id, deployment_id);
CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence
BEGIN SELECT RAISE(ABORT, 'stella: evidence is append-only: UPDATE refused'); END;
CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
BEGIN SELECT RAISE(ABORT, 'stella: evidence is append-only: DELETE refused'); END;

-- A legal hold keeps a deployment's set however old it is. Releasing it deletes the row; both are
-- evidence packets, so the history is in the chain.
CREATE TABLE retention_holds (
  tenant_id     TEXT NOT NULL REFERENCES tenants (id),
  deployment_id TEXT NOT NULL,
  held_at_us    INTEGER NOT NULL,
  held_by       TEXT NOT NULL,
  reason        TEXT NOT NULL,
  evidence_id   TEXT NOT NULL,
  PRIMARY KEY (tenant_id, deployment_id)
);

-- A lease: the named job (a retention sweep, a drift watch) runs on the replica that holds it until it
-- expires. Not scoped to a tenant.
CREATE TABLE leases (
  name          TEXT PRIMARY KEY,
  holder        TEXT NOT NULL,
  expires_at_us INTEGER NOT NULL
);
