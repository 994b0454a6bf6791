-- Schema version 10: the key_revocation packet, appended when a signing key is revoked (stella keys
-- revoke), signed with another key of the trust store.
--
-- SQLite cannot change a CHECK constraint in place: the evidence table is rebuilt as in versions 8 and 9, every
-- row copied as it is.
CREATE TABLE evidence_v10 (
  tenant_id       TEXT NOT NULL REFERENCES tenants (id),
  id              TEXT NOT NULL,
  seq             INTEGER NOT NULL CHECK (seq > 0),
  type            TEXT NOT NULL CHECK (type IN ('release_decision', 'deployment', 'rollback',
                    'retention_hold', 'retention_release', 'set_removed', 'key_rotation', 'deployment_completed', 'key_revocation')),
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
INSERT INTO evidence_v10 (tenant_id, id, seq, type, deployment_id, promotion_id, generated_at_us, packet_hash, prev_hash, packet)
  SELECT tenant_id, id, seq, type, deployment_id, promotion_id, generated_at_us, packet_hash, prev_hash, packet FROM evidence ORDER BY tenant_id, seq;
DROP TABLE evidence;
ALTER TABLE evidence_v10 RENAME TO evidence;
CREATE INDEX evidence_deployment ON evidence (tenant_id, deployment_id);
CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence
BEGIN SELECT RAISE(ABORT, 'stella: evidence is append-only: UPDATE refused'); END;
CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
BEGIN SELECT RAISE(ABORT, 'stella: evidence is append-only: DELETE refused'); END;
