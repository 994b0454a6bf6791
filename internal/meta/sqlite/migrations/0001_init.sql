-- Stella metadata, schema version 1 (SQLite). Times are microseconds since the Unix epoch (UTC).
CREATE TABLE tenants (
  id            TEXT PRIMARY KEY,
  created_at_us INTEGER NOT NULL
);

CREATE TABLE releases (
  tenant_id     TEXT NOT NULL REFERENCES tenants (id),
  id            TEXT NOT NULL,
  name          TEXT NOT NULL,
  created_at_us INTEGER NOT NULL,
  doc           TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE environments (
  tenant_id TEXT NOT NULL REFERENCES tenants (id),
  id        TEXT NOT NULL,
  name      TEXT NOT NULL,
  tier      TEXT NOT NULL,
  doc       TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE targets (
  tenant_id      TEXT NOT NULL,
  environment_id TEXT NOT NULL,
  id             TEXT NOT NULL,
  name           TEXT NOT NULL,
  type           TEXT NOT NULL,
  PRIMARY KEY (tenant_id, environment_id, id),
  FOREIGN KEY (tenant_id, environment_id) REFERENCES environments (tenant_id, id)
);

CREATE TABLE deployments (
  tenant_id      TEXT NOT NULL,
  id             TEXT NOT NULL,
  release_id     TEXT NOT NULL,
  environment_id TEXT NOT NULL,
  promotion_id   TEXT NOT NULL DEFAULT '',
  status         TEXT NOT NULL,
  created_at_us  INTEGER NOT NULL,
  updated_at_us  INTEGER NOT NULL,
  store_key      TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, release_id) REFERENCES releases (tenant_id, id),
  FOREIGN KEY (tenant_id, environment_id) REFERENCES environments (tenant_id, id)
);
CREATE INDEX deployments_latest ON deployments (tenant_id, created_at_us DESC, id DESC);

CREATE TABLE deployment_tasks (
  tenant_id       TEXT NOT NULL,
  deployment_id   TEXT NOT NULL,
  target_id       TEXT NOT NULL,
  type            TEXT NOT NULL,
  status          TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  message         TEXT NOT NULL,
  updated_at_us   INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, deployment_id, target_id),
  FOREIGN KEY (tenant_id, deployment_id) REFERENCES deployments (tenant_id, id)
);

CREATE TABLE artifacts (
  tenant_id     TEXT NOT NULL,
  deployment_id TEXT NOT NULL,
  name          TEXT NOT NULL,
  type          TEXT NOT NULL,
  size          INTEGER NOT NULL,
  sha256        TEXT NOT NULL,
  storage_key   TEXT NOT NULL,
  PRIMARY KEY (tenant_id, deployment_id, name),
  FOREIGN KEY (tenant_id, deployment_id) REFERENCES deployments (tenant_id, id)
);

CREATE TABLE stickers (
  tenant_id     TEXT NOT NULL,
  id            TEXT NOT NULL,
  deployment_id TEXT NOT NULL,
  target_id     TEXT NOT NULL,
  issued_at_us  INTEGER NOT NULL,
  sha256        TEXT NOT NULL,
  doc           TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, deployment_id) REFERENCES deployments (tenant_id, id)
);
CREATE INDEX stickers_target ON stickers (tenant_id, target_id, issued_at_us DESC);

-- Evidence: append-only, one hash chain per tenant (seq 1, 2, 3 …; prev_hash = packet_hash of seq-1).
CREATE TABLE evidence (
  tenant_id       TEXT NOT NULL REFERENCES tenants (id),
  id              TEXT NOT NULL,
  seq             INTEGER NOT NULL CHECK (seq > 0),
  type            TEXT NOT NULL CHECK (type IN ('release_decision', 'deployment', 'rollback')),
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
CREATE INDEX evidence_deployment ON evidence (tenant_id, deployment_id);

CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence
BEGIN SELECT RAISE(ABORT, 'stella: evidence is append-only: UPDATE refused'); END;
CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
BEGIN SELECT RAISE(ABORT, 'stella: evidence is append-only: DELETE refused'); END;

-- The head of each tenant's chain: the last packet's sequence and hash. It only moves forward by one,
-- and is never deleted, so removing the last packet is detected too.
CREATE TABLE evidence_heads (
  tenant_id   TEXT PRIMARY KEY REFERENCES tenants (id),
  seq         INTEGER NOT NULL,
  packet_hash TEXT NOT NULL
);
CREATE TRIGGER evidence_heads_forward BEFORE UPDATE ON evidence_heads
WHEN NEW.seq <> OLD.seq + 1 OR NEW.tenant_id <> OLD.tenant_id
BEGIN SELECT RAISE(ABORT, 'stella: evidence is append-only: chain head may only move forward by one'); END;
CREATE TRIGGER evidence_heads_no_delete BEFORE DELETE ON evidence_heads
BEGIN SELECT RAISE(ABORT, 'stella: evidence is append-only: DELETE refused'); END;
