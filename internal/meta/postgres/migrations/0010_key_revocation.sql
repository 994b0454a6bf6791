-- Schema version 10: the key_revocation packet, appended when a signing key is revoked (stella keys
-- revoke), signed with another key of the trust store.
ALTER TABLE evidence DROP CONSTRAINT evidence_type_check;
ALTER TABLE evidence ADD CONSTRAINT evidence_type_check CHECK (type IN ('release_decision', 'deployment', 'rollback',
  'retention_hold', 'retention_release', 'set_removed', 'key_rotation', 'deployment_completed', 'key_revocation'));
