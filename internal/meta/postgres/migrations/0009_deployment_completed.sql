-- Schema version 9: the deployment_completed packet (issue 11), appended when a target's agent reports the
-- outcome of a deploy or rollback task: the deployment packet is completed, never changed.
ALTER TABLE evidence DROP CONSTRAINT evidence_type_check;
ALTER TABLE evidence ADD CONSTRAINT evidence_type_check CHECK (type IN ('release_decision', 'deployment', 'rollback',
  'retention_hold', 'retention_release', 'set_removed', 'key_rotation', 'deployment_completed'));
