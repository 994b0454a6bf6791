-- Stella metadata, schema version 1 (PostgreSQL). Times are microseconds since the Unix epoch (UTC).
CREATE TABLE tenants (
  id            TEXT PRIMARY KEY,
  created_at_us BIGINT NOT NULL
);

CREATE TABLE releases (
  tenant_id     TEXT NOT NULL REFERENCES tenants (id),
  id            TEXT NOT NULL,
  name          TEXT NOT NULL,
  created_at_us BIGINT NOT NULL,
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
  created_at_us  BIGINT NOT NULL,
  updated_at_us  BIGINT NOT NULL,
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
  updated_at_us   BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, deployment_id, target_id),
  FOREIGN KEY (tenant_id, deployment_id) REFERENCES deployments (tenant_id, id)
);

CREATE TABLE artifacts (
  tenant_id     TEXT NOT NULL,
  deployment_id TEXT NOT NULL,
  name          TEXT NOT NULL,
  type          TEXT NOT NULL,
  size          BIGINT NOT NULL,
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
  issued_at_us  BIGINT NOT NULL,
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
  seq             BIGINT NOT NULL CHECK (seq > 0),
  type            TEXT NOT NULL CHECK (type IN ('release_decision', 'deployment', 'rollback')),
  deployment_id   TEXT,
  promotion_id    TEXT NOT NULL DEFAULT '',
  generated_at_us BIGINT NOT NULL,
  packet_hash     TEXT NOT NULL,
  prev_hash       TEXT NOT NULL,
  packet          TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, seq),
  FOREIGN KEY (tenant_id, deployment_id) REFERENCES deployments (tenant_id, id)
);
CREATE INDEX evidence_deployment ON evidence (tenant_id, deployment_id);


CREATE FUNCTION stella_evidence_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'stella: evidence is append-only: % refused', TG_OP USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER evidence_no_update_delete BEFORE UPDATE OR DELETE ON evidence
  FOR EACH ROW EXECUTE FUNCTION stella_evidence_append_only();
CREATE TRIGGER evidence_no_truncate BEFORE TRUNCATE ON evidence
  FOR EACH STATEMENT EXECUTE FUNCTION stella_evidence_append_only();

-- The head of each tenant's chain: the last packet's sequence and hash. It only moves forward by one,
-- and is never deleted, so removing the last packet is detected too. Appenders lock its row
-- (SELECT … FOR UPDATE), which keeps one linear chain per tenant under concurrent writers.
CREATE TABLE evidence_heads (
  tenant_id   TEXT PRIMARY KEY REFERENCES tenants (id),
  seq         BIGINT NOT NULL,
  packet_hash TEXT NOT NULL
);
CREATE FUNCTION stella_evidence_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR NEW.seq <> OLD.seq + 1 OR NEW.tenant_id <> OLD.tenant_id THEN
    RAISE EXCEPTION 'stella: evidence is append-only: chain head may only move forward by one' USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER evidence_heads_forward BEFORE UPDATE OR DELETE ON evidence_heads
  FOR EACH ROW EXECUTE FUNCTION stella_evidence_head_forward();
CREATE TRIGGER evidence_heads_no_truncate BEFORE TRUNCATE ON evidence_heads
  FOR EACH STATEMENT EXECUTE FUNCTION stella_evidence_append_only();

-- The service role: what the running service should connect as (a login role that is a member of
-- stella_service, see docs/evidence.md). It may read and write every table but only INSERT and SELECT
-- evidence. The role is cluster-wide; it is created when the migrating user may create roles, and
-- granted rights on this schema's tables.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'stella_service') THEN
    BEGIN
      CREATE ROLE stella_service NOLOGIN;
    EXCEPTION WHEN insufficient_privilege OR unique_violation OR duplicate_object THEN
      RAISE NOTICE 'stella: cannot create role stella_service; create it as a superuser and re-grant';
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'stella_service') THEN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO stella_service', current_schema());
    GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, releases, environments, targets, deployments,
      deployment_tasks, artifacts, stickers TO stella_service;
    GRANT SELECT, INSERT, UPDATE ON evidence_heads TO stella_service;
    GRANT SELECT ON stella_schema TO stella_service;
    GRANT SELECT, INSERT ON evidence TO stella_service;
  END IF;
END $$;
