-- Schema version 4: documents the API keeps as they were given — releases (with their Compose
-- template), environments, promotions and their decisions — and the answers to idempotent requests.
-- kind: release | environment | promotion | idempotency. body is the JSON as accepted; sha256 its hash.
-- A promotion's state lives in its body and changes (under the transaction's write lock) as people
-- decide; everything else is written once or replaced whole (environments).
CREATE TABLE documents (
  tenant_id     TEXT NOT NULL REFERENCES tenants (id),
  kind          TEXT NOT NULL CHECK (kind IN ('release', 'environment', 'promotion', 'idempotency')),
  id            TEXT NOT NULL,
  body          TEXT NOT NULL,
  sha256        TEXT NOT NULL,
  created_at_us INTEGER NOT NULL,
  updated_at_us INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, kind, id)
);
CREATE INDEX documents_list ON documents (tenant_id, kind, created_at_us DESC, id DESC);
