// Package meta is Stella's metadata database: tenants, releases, environments, targets, deployment jobs
// and their per-target tasks, artifacts, issued stickers and evidence packets. One interface, DB, has two
// engines picked by URL: internal/meta/sqlite (sqlite://PATH, the embedded default, one file in the data
// directory) and internal/meta/postgres (postgres://...). internal/meta/metatest is the conformance suite
// both pass; internal/meta/connect opens either from a URL.
//
// Every record belongs to one tenant and every query is scoped by it: a transaction is opened for one
// tenant, and another tenant's ids look absent (ErrNotFound), never forbidden.
package meta

import (
	"context"
	"time"
)

// DB is a metadata database.
type DB interface {
	// Update runs fn in one read-write transaction scoped to tenant (created on first write). fn's error
	// rolls everything back: nothing is half-written.
	Update(ctx context.Context, tenant string, fn func(Tx) error) error
	// View runs fn in one read-only, consistent transaction scoped to tenant.
	View(ctx context.Context, tenant string, fn func(Tx) error) error
	// Tenants lists every tenant with a record, sorted. It is for operators (fsck, evidence verify).
	Tenants(ctx context.Context) ([]string, error)
	// SchemaVersion is the migration version the database is at.
	SchemaVersion(ctx context.Context) (int, error)
	// TokenBySHA256 finds an API token by the hex SHA-256 of the token; an unknown hash is ErrNotFound. It
	// is not scoped to a tenant: the token is what names the tenant. Revoked and expired tokens are
	// returned too; the caller checks Token.Usable.
	TokenBySHA256(ctx context.Context, sum string) (Token, error)
	// RegistrationBySHA256 finds an agent registration token by its hash, and AgentByID an agent by its
	// id; like TokenBySHA256 they are not scoped to a tenant: the credential names the tenant.
	RegistrationBySHA256(ctx context.Context, sum string) (Registration, error)
	AgentByID(ctx context.Context, id string) (Agent, error)
	// TryLease takes or renews the lease name for holder until now+ttl: true when holder holds it now
	// (it was free, expired, or already holder's), false when another holder's lease is still running.
	// One replica at a time runs a scheduled job (the retention sweep, the drift watch) this way; see
	// docs/decisions.md. ReleaseLease gives it up early (a no-op unless holder holds it).
	TryLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
	// PutSession records a web session; Session finds one by the SHA-256 of its id (ErrNotFound when
	// there is none or it expired at now); TouchSession moves its expiry; DropSession removes it, and
	// DropExpiredSessions every session expired at now. Like tokens they are not scoped to a tenant:
	// the session's cookie is what names it.
	PutSession(ctx context.Context, s Session) error
	Session(ctx context.Context, idSHA256 string, now time.Time) (Session, error)
	TouchSession(ctx context.Context, idSHA256 string, expires time.Time) error
	DropSession(ctx context.Context, idSHA256 string) error
	DropExpiredSessions(ctx context.Context, now time.Time) error
	// Engine names the engine ("sqlite" or "postgres").
	Engine() string
	Close() error
}

// Tx is one transaction of one tenant. Its methods see and change only that tenant's records.
type Tx interface {
	Tenant() string

	// PutRelease records a release. Releases are immutable: recording the same id again with the same
	// document is a no-op, with a different one ErrExists.
	PutRelease(ctx context.Context, r Release) error
	Release(ctx context.Context, id string) (Release, error)

	// PutEnvironment records an environment's current configuration (insert or replace).
	PutEnvironment(ctx context.Context, e Environment) error
	Environment(ctx context.Context, id string) (Environment, error)
	// Environments lists the tenant's recorded environments, by id.
	Environments(ctx context.Context) ([]Environment, error)
	// PutTarget records a target of an environment (insert or replace).
	PutTarget(ctx context.Context, t Target) error
	Targets(ctx context.Context, environmentID string) ([]Target, error)

	// CreateDeployment records a new deployment job with one task per target; an existing id is ErrExists.
	// The release and environment must be recorded.
	CreateDeployment(ctx context.Context, d Deployment, tasks []Task) error
	Deployment(ctx context.Context, id string) (Deployment, error)
	// DeploymentByPromotion is the deployment that carries out a promotion (ErrNotFound: none). A
	// promotion id is carried out by at most one deployment of its tenant; CreateDeployment refuses a
	// second with ErrPromotionUsed.
	DeploymentByPromotion(ctx context.Context, promotionID string) (Deployment, error)
	// Deployments lists the latest deployments, newest first (by CreatedAt, then id descending).
	Deployments(ctx context.Context, limit int) ([]Deployment, error)
	// DeploymentsPage is one page of deployments, newest first like Deployments: those of q's
	// environment (all when empty) strictly older than q's cursor (the first page when it is zero).
	DeploymentsPage(ctx context.Context, q DeploymentQuery) ([]Deployment, error)
	SetDeploymentStatus(ctx context.Context, id, status string, at time.Time) error
	Tasks(ctx context.Context, deploymentID string) ([]Task, error)
	SetTaskStatus(ctx context.Context, deploymentID, targetID, status, message string, at time.Time) error

	// PutArtifacts records the files of a deployment's artifact set; an existing name is ErrExists.
	PutArtifacts(ctx context.Context, deploymentID string, as []Artifact) error
	Artifacts(ctx context.Context, deploymentID string) ([]Artifact, error)

	// PutSticker records an issued version sticker; an existing id is ErrExists.
	PutSticker(ctx context.Context, s Sticker) error
	Stickers(ctx context.Context, targetID string) ([]Sticker, error)
	// LatestSticker is the sticker last issued to a target (ErrNotFound: none).
	LatestSticker(ctx context.Context, targetID string) (Sticker, error)

	// AppendEvidence appends one packet to the tenant's evidence chain. It locks the chain head (so
	// concurrent writers of one tenant keep one linear chain), calls build with it, and stores the
	// packet build returns, which must carry Seq = head.Seq+1 and PrevHash = head.Hash. Evidence is never
	// updated or deleted; the database refuses both.
	AppendEvidence(ctx context.Context, build func(head ChainHead) (Evidence, error)) (Evidence, error)
	Evidence(ctx context.Context, id string) (Evidence, error)
	// ListEvidence lists packets newest first (by chain sequence); limit <= 0 means all.
	ListEvidence(ctx context.Context, limit int) ([]Evidence, error)
	// DeploymentEvidence lists the packets about one deployment job, in chain order.
	DeploymentEvidence(ctx context.Context, deploymentID string) ([]Evidence, error)
	// EvidencePage is one page of the chain, newest first, filtered by q (see EvidenceQuery).
	EvidencePage(ctx context.Context, q EvidenceQuery) ([]Evidence, error)
	// EvidenceTimes lists the sequence and generation time of every packet after afterSeq, in chain
	// order: for a caller that keeps the chain's times to turn a date range into a sequence range.
	EvidenceTimes(ctx context.Context, afterSeq int64) ([]EvidenceTime, error)
	// Chain calls fn with every packet in chain order (sequence ascending).
	Chain(ctx context.Context, fn func(Evidence) error) error
	// ChainHead is the sequence and hash of the tenant's last appended packet (zero for an empty chain).
	ChainHead(ctx context.Context) (ChainHead, error)

	// PutDocument writes a document of kind (DocRelease, DocEnvironment, DocPromotion, DocIdempotency).
	// With replace false an existing id is ErrExists (the stored document is left as it was); with
	// replace true it is replaced and its created time kept.
	PutDocument(ctx context.Context, d Document, replace bool) error
	// Document reads one document; absent (or another tenant's) is ErrNotFound. In a write transaction
	// it also locks the row until the end of the transaction (PostgreSQL: FOR UPDATE).
	Document(ctx context.Context, kind, id string) (Document, error)
	// Documents lists documents of kind newest first (created time, then id, descending), starting after
	// the cursor (the id of the last document of the previous page; "" for the first page).
	Documents(ctx context.Context, kind string, after string, limit int) ([]Document, error)

	// CreateToken records an API token of the tenant (its hash, never the token); an existing id or hash
	// is ErrExists, a role outside Roles is refused.
	CreateToken(ctx context.Context, k Token) error
	// Tokens lists the tenant's tokens, oldest first.
	Tokens(ctx context.Context) ([]Token, error)
	// RevokeToken marks a token revoked at at; an absent id (or another tenant's) is ErrNotFound.
	RevokeToken(ctx context.Context, id string, at time.Time) error

	// CreateRegistration records a one-time agent registration token (its hash) for a target.
	CreateRegistration(ctx context.Context, g Registration) error
	// ClaimRegistration uses the registration of hash sum (unused, unexpired, for a.TargetID) and records
	// the agent, at once: a registration token makes one agent.
	ClaimRegistration(ctx context.Context, sum string, a Agent, now time.Time) error
	// Agents lists the tenant's agents, oldest first; RevokeAgent revokes one (ErrNotFound: absent or
	// already revoked); AgentSeen records its last heartbeat.
	Agents(ctx context.Context) ([]Agent, error)
	RevokeAgent(ctx context.Context, id string, at time.Time) error
	AgentSeen(ctx context.Context, id string, at time.Time) error

	// CreateAgentTask queues a task for a target; an existing id is ErrExists (a task's id is its
	// idempotency key). LeaseAgentTask gives the oldest pending, unexpired task of target to agent
	// (marking it leased; expired ones become expired), or ErrNotFound when there is none.
	// FinishAgentTask records a leased task's outcome (status succeeded, failed or interrupted) once; a
	// task finished before keeps its first result (ErrExists). AgentTask reads one.
	CreateAgentTask(ctx context.Context, k AgentTask) error
	LeaseAgentTask(ctx context.Context, targetID, agentID string, now time.Time) (AgentTask, error)
	FinishAgentTask(ctx context.Context, id, agentID, status string, result []byte, at time.Time) error
	AgentTask(ctx context.Context, id string) (AgentTask, error)
	// BlockRelease blocks a release in an environment (a rolled-back one); an existing block is kept.
	// ReleaseBlock reads it (ErrNotFound: not blocked); UnblockRelease clears it (ErrNotFound: none).
	BlockRelease(ctx context.Context, b Block) error
	ReleaseBlock(ctx context.Context, environmentID, releaseID string) (Block, error)
	UnblockRelease(ctx context.Context, environmentID, releaseID string) error
	// PutHold records a legal hold on a deployment's set (an existing hold is ErrExists); Hold reads one
	// (ErrNotFound: not held); RemoveHold deletes it (ErrNotFound: none); Holds lists the tenant's holds
	// by deployment id. A held set is never removed by the retention sweep.
	PutHold(ctx context.Context, h Hold) error
	Hold(ctx context.Context, deploymentID string) (Hold, error)
	RemoveHold(ctx context.Context, deploymentID string) error
	Holds(ctx context.Context) ([]Hold, error)
	// AgentTasks lists a target's tasks of a type ("" any), newest first.
	AgentTasks(ctx context.Context, targetID, typ string, limit int) ([]AgentTask, error)
	// AgentTasksByStatus lists a target's tasks of a type in one status, newest first (by the queue's
	// index: the latest few without reading the target's whole history).
	AgentTasksByStatus(ctx context.Context, targetID, typ, status string, limit int) ([]AgentTask, error)
	AppendTaskLog(ctx context.Context, id string, seq int, text string) error
	// ImportAgentTask records a task an agent ran without the server (stella agent apply --offline) as
	// finished, with k's status, agent, times and result; an existing id is ErrExists.
	ImportAgentTask(ctx context.Context, k AgentTask) error
}

// API roles. Admin, deployer and auditor read everything of their tenant; an agent reads deployment jobs
// and their artifacts but not evidence.
const (
	RoleAdmin    = "admin"
	RoleDeployer = "deployer"
	RoleAuditor  = "auditor"
	RoleAgent    = "agent"
)

// Roles are the valid roles, in the order they are documented.
var Roles = []string{RoleAdmin, RoleDeployer, RoleAuditor, RoleAgent}

// Session is a signed-in browser of the web interface: hashes of its id and of the API token it was
// opened with, the CSRF token of its forms, and when it expires.
type Session struct {
	IDSHA256    string
	TenantID    string
	TokenSHA256 string
	CSRF        string
	ExpiresAt   time.Time
}

// Token is an API bearer token's record. The token itself is never stored: SHA256 is the hex SHA-256
// of its exact string.
type Token struct {
	ID        string
	TenantID  string
	Role      string
	Name      string
	SHA256    string
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never
	RevokedAt time.Time // zero: not revoked
	// AgentID and TargetID bind an agent's access token to the agent and its one target ("" otherwise).
	AgentID  string
	TargetID string
}

// Registration is a one-time agent registration token's record (its hash, never the token).
type Registration struct {
	SHA256    string
	TenantID  string
	TargetID  string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero: unused
	AgentID   string    // the agent it made
}

// Block is a release blocked in an environment.
type Block struct {
	EnvironmentID string
	ReleaseID     string
	BlockedAt     time.Time
	BlockedBy     string
	Reason        string
}

// Hold is a legal hold on a deployment's artifact set, and the evidence packet that records it.
type Hold struct {
	DeploymentID string
	HeldAt       time.Time
	HeldBy       string
	Reason       string
	EvidenceID   string
}

// Agent task states.
const (
	TaskQueued      = "pending"
	TaskLeased      = "leased"
	TaskSucceeded   = "succeeded"
	TaskFailed      = "failed"
	TaskInterrupted = "interrupted"
	TaskExpired     = "expired"
)

// AgentTask is a task for the agent of one target.
type AgentTask struct {
	ID           string
	TargetID     string
	Type         string
	DeploymentID string
	Payload      []byte
	Status       string
	Timeout      time.Duration
	CreatedAt    time.Time
	ExpiresAt    time.Time
	LeasedAt     time.Time
	AgentID      string
	FinishedAt   time.Time
	Result       []byte
}

// Agent is a registered agent: one target's, with its Ed25519 public key (base64 of the 32 bytes).
type Agent struct {
	ID        string
	TenantID  string
	TargetID  string
	Name      string
	PublicKey string
	CreatedAt time.Time
	SeenAt    time.Time // zero: never
	RevokedAt time.Time // zero: not revoked
}

// Usable reports whether the token may be used at now: not revoked and not expired.
func (k Token) Usable(now time.Time) bool {
	return k.RevokedAt.IsZero() && (k.ExpiresAt.IsZero() || now.Before(k.ExpiresAt))
}

// Release is a recorded release; Doc is its JSON description (components with digests).
type Release struct {
	ID        string
	Name      string
	CreatedAt time.Time
	Doc       []byte
}

// Environment is a recorded environment; Doc is its JSON configuration (secret references, never values).
type Environment struct {
	ID   string
	Name string
	Tier string
	Doc  []byte
}

// Target is one host of an environment.
type Target struct {
	EnvironmentID string
	ID            string
	Name          string
	Type          string
}

// Deployment states.
const (
	StatusGenerated  = "generated" // artifact set stored, not yet deployed
	StatusDeploying  = "deploying"
	StatusDeployed   = "deployed"
	StatusFailed     = "failed"
	StatusRolledBack = "rolled_back"
	TaskPending      = "pending"
)

// DeploymentQuery selects a page of deployments (DeploymentsPage).
type DeploymentQuery struct {
	EnvironmentID string // "" any
	// BeforeAt and BeforeID are the cursor: the CreatedAt and ID of the last deployment of the previous
	// page (zero for the first page).
	BeforeAt time.Time
	BeforeID string
	Limit    int
}

// EvidenceQuery selects a page of evidence packets (EvidencePage). A packet's release and environment
// are those of its deployment job, or — for a release decision — of the deployment that carried out
// its promotion; a decision no deployment carried out matches no release or environment filter.
type EvidenceQuery struct {
	ReleaseID     string    // "" any
	EnvironmentID string    // "" any
	From, To      time.Time // generatedAt in [From, To); zero: open
	BeforeSeq     int64     // cursor: only packets with a smaller sequence (0: from the head)
	// MinSeq and MaxSeq bound the sequence (0: open), e.g. to the packets a date range can hold.
	MinSeq, MaxSeq int64
	Limit          int
}

// EvidenceTime is a packet's place in its chain and its generation time.
type EvidenceTime struct {
	Seq         int64
	GeneratedAt time.Time
}

// Deployment is a deployment job: one release to one environment.
type Deployment struct {
	ID            string
	ReleaseID     string
	EnvironmentID string
	PromotionID   string
	Status        string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// StoreKey is where the artifact set lives in the artifact store (TENANT/DEPLOYMENT).
	StoreKey string
}

// Task is the part of a deployment job on one target.
type Task struct {
	DeploymentID   string
	TargetID       string
	Type           string
	Status         string
	IdempotencyKey string
	Message        string
	UpdatedAt      time.Time
}

// Artifact is one file of a deployment's artifact set.
type Artifact struct {
	DeploymentID string
	Name         string
	Type         string
	Size         int64
	SHA256       string // hex
	StorageKey   string
}

// Sticker is a version sticker issued to a target.
type Sticker struct {
	ID           string
	DeploymentID string
	TargetID     string
	IssuedAt     time.Time
	SHA256       string
	Doc          []byte
}

// Evidence is one stored evidence packet. Packet is the signed JSON exactly as signed; the other fields
// are copies for queries, checked against it by evidence verification.
type Evidence struct {
	ID           string
	Seq          int64
	Type         string
	DeploymentID string // empty for a release_decision
	PromotionID  string
	GeneratedAt  time.Time
	PacketHash   string
	PrevHash     string
	Packet       []byte
	// HeadDoc is the signed chain head that AppendEvidence stores with the packet: the signed JSON of
	// {tenantId, sequence, hash} of this packet. Read back in ChainHead.Doc.
	HeadDoc []byte
}

// Document kinds.
const (
	DocRelease     = "release"
	DocEnvironment = "environment"
	DocPromotion   = "promotion"
	DocIdempotency = "idempotency"
)

// Document is a JSON document the API keeps as given (see PutDocument).
type Document struct {
	Kind      string
	ID        string
	Body      []byte
	SHA256    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ChainHead is the position of a tenant's last evidence packet.
type ChainHead struct {
	Seq  int64
	Hash string
	// Doc is the head as signed by the appender (empty for an empty chain, or a head written before
	// schema version 3).
	Doc []byte
}
