-- Schema version 6: tasks for agents. A task is for one target; its id is its idempotency key. It is
-- pending until an agent of its target leases it, then succeeded, failed, interrupted (retriable: the
-- agent crashed while running it and never re-runs it silently) or expired (not started before
-- expires_at). result is the agent's JSON result; logs arrive in numbered chunks.
CREATE TABLE agent_tasks (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id),
  id             TEXT NOT NULL,
  target_id      TEXT NOT NULL,
  type           TEXT NOT NULL,
  deployment_id  TEXT NOT NULL DEFAULT '',
  payload        TEXT NOT NULL DEFAULT '{}',
  status         TEXT NOT NULL,
  timeout_ms     BIGINT NOT NULL,
  created_at_us  BIGINT NOT NULL,
  expires_at_us  BIGINT NOT NULL,
  leased_at_us   BIGINT NOT NULL DEFAULT 0,
  agent_id       TEXT NOT NULL DEFAULT '',
  finished_at_us BIGINT NOT NULL DEFAULT 0,
  result         TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX agent_tasks_queue ON agent_tasks (tenant_id, target_id, status, created_at_us);
CREATE TABLE agent_task_logs (
  tenant_id TEXT NOT NULL,
  task_id   TEXT NOT NULL,
  seq       BIGINT NOT NULL,
  text      TEXT NOT NULL,
  PRIMARY KEY (tenant_id, task_id, seq)
);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'stella_service') THEN
    GRANT SELECT, INSERT, UPDATE ON agent_tasks, agent_task_logs TO stella_service;
  END IF;
END $$;
