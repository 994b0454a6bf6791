-- Schema version 3: what binds records to what they describe.
-- A promotion approves one deployment of its tenant: a second deployment carrying the same promotion id is
-- refused by the database itself, also when two generations race.
CREATE UNIQUE INDEX deployments_promotion_once ON deployments (tenant_id, promotion_id) WHERE promotion_id <> '';
-- The chain head is signed: head_doc is the signed JSON {tenantId, sequence, hash} of the last packet,
-- so a head rewound to an earlier packet (after the last packets were removed) no longer verifies.
ALTER TABLE evidence_heads ADD COLUMN head_doc TEXT NOT NULL DEFAULT '';
