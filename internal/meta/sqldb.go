package meta

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/internal/fault"
)

// Dialect is what differs between the SQL engines. The queries themselves are shared: both engines take
// $N placeholders, ON CONFLICT and the same types (times are stored as microseconds since the epoch,
// documents as text).
type Dialect struct {
	Name string
	// LockHead is appended to the SELECT of the chain head row to lock it for the rest of the transaction
	// ("FOR UPDATE" in PostgreSQL; "" in SQLite, where the write transaction is BEGIN IMMEDIATE and so
	// already excludes every other writer).
	LockHead string
	// IsUnique reports a unique or primary key violation.
	IsUnique func(error) bool
	// IsAppendOnly reports the evidence trigger's refusal.
	IsAppendOnly func(error) bool
	// IntegrityCheck is the statement that checks the whole database file and returns "ok" or one row
	// per problem (SQLite's PRAGMA quick_check); "" where the engine has none (PostgreSQL).
	IntegrityCheck string
	// IsCorrupt reports an error that means the database file is damaged (nil: never).
	IsCorrupt func(error) bool
}

// SQL is the DB of both engines over database/sql. Writes go through w, reads through r (the same pool
// in PostgreSQL; in SQLite w begins IMMEDIATE transactions on one connection and r deferred ones).
type SQL struct {
	W, R *sql.DB
	D    Dialect
	// Closers are closed by Close after the pools.
	Closers []func() error
}

// Engine names the engine.
func (s *SQL) Engine() string { return s.D.Name }

// Close closes the pools.
func (s *SQL) Close() error {
	err := s.W.Close()
	if s.R != s.W {
		err = errors.Join(err, s.R.Close())
	}
	for _, c := range s.Closers {
		err = errors.Join(err, c())
	}
	return err
}

// SchemaVersion is the highest applied migration.
func (s *SQL) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.R.QueryRowContext(ctx, `SELECT MAX(version) FROM stella_schema`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}

// Tenants lists every tenant, sorted.
func (s *SQL) Tenants(ctx context.Context) ([]string, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT id FROM tenants ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Update runs fn in a write transaction.
func (s *SQL) Update(ctx context.Context, tenant string, fn func(Tx) error) error {
	if tenant == "" {
		return errors.New("update metadata: empty tenant")
	}
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	t := &sqlTx{tx: tx, tenant: tenant, d: s.D, write: true}
	if _, err := tx.ExecContext(ctx, `INSERT INTO tenants (id, created_at_us) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, tenant, us(time.Now())); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("record tenant %s: %w", tenant, err)
	}
	if err := fn(t); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// View runs fn in a read-only transaction.
func (s *SQL) View(ctx context.Context, tenant string, fn func(Tx) error) error {
	tx, err := s.R.BeginTx(ctx, &sql.TxOptions{ReadOnly: s.D.Name == "postgres", Isolation: s.readIsolation()})
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	return fn(&sqlTx{tx: tx, tenant: tenant, d: s.D})
}

func (s *SQL) readIsolation() sql.IsolationLevel {
	if s.D.Name == "postgres" {
		// One snapshot for the whole read, so a chain walk sees a consistent chain and head.
		return sql.LevelRepeatableRead
	}
	return sql.LevelDefault
}

type sqlTx struct {
	tx     *sql.Tx
	tenant string
	d      Dialect
	write  bool
}

func (t *sqlTx) Tenant() string { return t.tenant }

func us(t time.Time) int64 { return t.UnixMicro() }

func fromUS(v int64) time.Time { return time.UnixMicro(v).UTC() }

func (t *sqlTx) mustWrite(op string) error {
	if !t.write {
		return fmt.Errorf("%s: read-only transaction", op)
	}
	return nil
}

func (t *sqlTx) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if t.d.IsAppendOnly != nil && t.d.IsAppendOnly(err) {
		return fmt.Errorf("%s: %w", op, ErrAppendOnly)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func (t *sqlTx) PutRelease(ctx context.Context, r Release) error {
	if err := t.mustWrite("record release"); err != nil {
		return err
	}
	old, err := t.Release(ctx, r.ID)
	if err == nil {
		if old.Name == r.Name && bytes.Equal(old.Doc, r.Doc) {
			return nil
		}
		return exists("release", t.tenant, r.ID)
	}
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	err = t.insertOnce(ctx, "release", r.ID, `INSERT INTO releases (tenant_id, id, name, created_at_us, doc) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, id) DO NOTHING`, t.tenant, r.ID, r.Name, us(r.CreatedAt), string(r.Doc))
	if errors.Is(err, ErrExists) {
		// A concurrent transaction recorded it first (PostgreSQL waits for it, then does nothing): the
		// same release is no conflict.
		if old, rerr := t.Release(ctx, r.ID); rerr == nil && old.Name == r.Name && bytes.Equal(old.Doc, r.Doc) {
			return nil
		}
	}
	return err
}

// insertOnce runs an INSERT … ON CONFLICT (key) DO NOTHING and turns "no row inserted" into ErrExists.
// A conflict is thus reported without a failed statement, which in PostgreSQL would abort the whole
// transaction.
func (t *sqlTx) insertOnce(ctx context.Context, what, id, q string, args ...any) error {
	res, err := t.tx.ExecContext(ctx, q, args...)
	if err != nil {
		if t.d.IsUnique(err) {
			return exists(what, t.tenant, id)
		}
		return t.wrap("record "+what+" "+id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return exists(what, t.tenant, id)
	}
	return nil
}

func (t *sqlTx) Release(ctx context.Context, id string) (Release, error) {
	r := Release{ID: id}
	var at int64
	var doc string
	err := t.tx.QueryRowContext(ctx, `SELECT name, created_at_us, doc FROM releases WHERE tenant_id = $1 AND id = $2`, t.tenant, id).Scan(&r.Name, &at, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound("release", t.tenant, id)
	}
	if err != nil {
		return r, t.wrap("read release "+id, err)
	}
	r.CreatedAt, r.Doc = fromUS(at), []byte(doc)
	return r, nil
}

func (t *sqlTx) PutEnvironment(ctx context.Context, e Environment) error {
	if err := t.mustWrite("record environment"); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO environments (tenant_id, id, name, tier, doc) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, id) DO UPDATE SET name = excluded.name, tier = excluded.tier, doc = excluded.doc`,
		t.tenant, e.ID, e.Name, e.Tier, string(e.Doc))
	return t.wrap("record environment "+e.ID, err)
}

func (t *sqlTx) Environment(ctx context.Context, id string) (Environment, error) {
	e := Environment{ID: id}
	var doc string
	err := t.tx.QueryRowContext(ctx, `SELECT name, tier, doc FROM environments WHERE tenant_id = $1 AND id = $2`, t.tenant, id).Scan(&e.Name, &e.Tier, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return e, notFound("environment", t.tenant, id)
	}
	if err != nil {
		return e, t.wrap("read environment "+id, err)
	}
	e.Doc = []byte(doc)
	return e, nil
}

func (t *sqlTx) Environments(ctx context.Context) ([]Environment, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT id, name, tier, doc FROM environments WHERE tenant_id = $1 ORDER BY id`, t.tenant)
	if err != nil {
		return nil, t.wrap("list environments", err)
	}
	defer rows.Close()
	var out []Environment
	for rows.Next() {
		var e Environment
		var doc string
		if err := rows.Scan(&e.ID, &e.Name, &e.Tier, &doc); err != nil {
			return nil, err
		}
		e.Doc = []byte(doc)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (t *sqlTx) PutTarget(ctx context.Context, x Target) error {
	if err := t.mustWrite("record target"); err != nil {
		return err
	}
	if _, err := t.Environment(ctx, x.EnvironmentID); err != nil {
		return fmt.Errorf("record target %s: %w", x.ID, err)
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO targets (tenant_id, environment_id, id, name, type) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, environment_id, id) DO UPDATE SET name = excluded.name, type = excluded.type`,
		t.tenant, x.EnvironmentID, x.ID, x.Name, x.Type)
	return t.wrap("record target "+x.ID, err)
}

func (t *sqlTx) Targets(ctx context.Context, envID string) ([]Target, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT id, name, type FROM targets WHERE tenant_id = $1 AND environment_id = $2 ORDER BY id`, t.tenant, envID)
	if err != nil {
		return nil, t.wrap("list targets", err)
	}
	defer rows.Close()
	var out []Target
	for rows.Next() {
		x := Target{EnvironmentID: envID}
		if err := rows.Scan(&x.ID, &x.Name, &x.Type); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func (t *sqlTx) CreateDeployment(ctx context.Context, d Deployment, tasks []Task) error {
	if err := t.mustWrite("record deployment"); err != nil {
		return err
	}
	if _, err := t.Deployment(ctx, d.ID); err == nil {
		return exists("deployment", t.tenant, d.ID)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if err := t.promotionFree(ctx, d); err != nil {
		return err
	}
	if _, err := t.Release(ctx, d.ReleaseID); err != nil {
		return fmt.Errorf("record deployment %s: %w", d.ID, err)
	}
	if _, err := t.Environment(ctx, d.EnvironmentID); err != nil {
		return fmt.Errorf("record deployment %s: %w", d.ID, err)
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = d.CreatedAt
	}
	if err := t.insertOnce(ctx, "deployment", d.ID, `INSERT INTO deployments (tenant_id, id, release_id, environment_id, promotion_id, status, created_at_us, updated_at_us, store_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant_id, id) DO NOTHING`,
		t.tenant, d.ID, d.ReleaseID, d.EnvironmentID, d.PromotionID, d.Status, us(d.CreatedAt), us(d.UpdatedAt), d.StoreKey); err != nil {
		if errors.Is(err, ErrExists) {
			// The unique index on (tenant, promotion id) decides a race the check above cannot see.
			if perr := t.promotionFree(ctx, d); perr != nil {
				return perr
			}
		}
		return err
	}
	for _, k := range tasks {
		if k.Status == "" {
			k.Status = TaskPending
		}
		if k.UpdatedAt.IsZero() {
			k.UpdatedAt = d.CreatedAt
		}
		if err := t.insertOnce(ctx, "task", d.ID+"/"+k.TargetID, `INSERT INTO deployment_tasks (tenant_id, deployment_id, target_id, type, status, idempotency_key, message, updated_at_us)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, deployment_id, target_id) DO NOTHING`,
			t.tenant, d.ID, k.TargetID, k.Type, k.Status, k.IdempotencyKey, k.Message, us(k.UpdatedAt)); err != nil {
			return err
		}
	}
	return nil
}

func (t *sqlTx) PutDocument(ctx context.Context, d Document, replace bool) error {
	if err := t.mustWrite("record " + d.Kind); err != nil {
		return err
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = d.CreatedAt
	}
	if replace {
		_, err := t.tx.ExecContext(ctx, `INSERT INTO documents (tenant_id, kind, id, body, sha256, created_at_us, updated_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (tenant_id, kind, id) DO UPDATE SET body = excluded.body, sha256 = excluded.sha256, updated_at_us = excluded.updated_at_us`,
			t.tenant, d.Kind, d.ID, string(d.Body), d.SHA256, us(d.CreatedAt), us(d.UpdatedAt))
		return t.wrap("record "+d.Kind+" "+d.ID, err)
	}
	return t.insertOnce(ctx, d.Kind, d.ID, `INSERT INTO documents (tenant_id, kind, id, body, sha256, created_at_us, updated_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (tenant_id, kind, id) DO NOTHING`, t.tenant, d.Kind, d.ID, string(d.Body), d.SHA256, us(d.CreatedAt), us(d.UpdatedAt))
}

const documentCols = `kind, id, body, sha256, created_at_us, updated_at_us`

// collect scans every row with scan and closes rows, appending to out: nil, or an empty slice where the
// caller answers an empty list rather than none.
func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error), out []T) ([]T, error) {
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func scanDocument(sc interface{ Scan(...any) error }) (Document, error) {
	var d Document
	var body string
	var c, u int64
	err := sc.Scan(&d.Kind, &d.ID, &body, &d.SHA256, &c, &u)
	d.Body, d.CreatedAt, d.UpdatedAt = []byte(body), fromUS(c), fromUS(u)
	return d, err
}

func (t *sqlTx) Document(ctx context.Context, kind, id string) (Document, error) {
	lock := ""
	if t.write {
		lock = " " + t.d.LockHead
	}
	d, err := scanDocument(t.tx.QueryRowContext(ctx, `SELECT `+documentCols+` FROM documents WHERE tenant_id = $1 AND kind = $2 AND id = $3`+lock, t.tenant, kind, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, notFound(kind, t.tenant, id)
	}
	if err != nil {
		return d, t.wrap("read "+kind+" "+id, err)
	}
	return d, nil
}

func (t *sqlTx) Documents(ctx context.Context, kind, after string, limit int) ([]Document, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	q := `SELECT ` + documentCols + ` FROM documents WHERE tenant_id = $1 AND kind = $2 ORDER BY created_at_us DESC, id DESC LIMIT $3`
	args := []any{t.tenant, kind, limit}
	if after != "" {
		q = `SELECT ` + documentCols + ` FROM documents d WHERE tenant_id = $1 AND kind = $2 AND (created_at_us, id) <
			(SELECT created_at_us, id FROM documents WHERE tenant_id = $1 AND kind = $2 AND id = $4) ORDER BY created_at_us DESC, id DESC LIMIT $3`
		args = append(args, after)
	}
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, t.wrap("list "+kind, err)
	}
	return collect(rows, scanDocument, []Document{})
}

// promotionFree refuses a promotion id that another deployment of the tenant already carries.
func (t *sqlTx) promotionFree(ctx context.Context, d Deployment) error {
	if d.PromotionID == "" {
		return nil
	}
	var other string
	err := t.tx.QueryRowContext(ctx, `SELECT id FROM deployments WHERE tenant_id = $1 AND promotion_id = $2 AND id <> $3`, t.tenant, d.PromotionID, d.ID).Scan(&other)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return t.wrap("record deployment "+d.ID, err)
	}
	return fault.Wrap(fault.Input, fmt.Errorf("promotion %s of tenant %s is already carried out by deployment %s: %w", d.PromotionID, t.tenant, other, ErrPromotionUsed))
}

// DeploymentByPromotion is the deployment that carries out promotion id (ErrNotFound: none).
func (t *sqlTx) DeploymentByPromotion(ctx context.Context, promotionID string) (Deployment, error) {
	row := t.tx.QueryRowContext(ctx, `SELECT `+deploymentCols+` FROM deployments WHERE tenant_id = $1 AND promotion_id = $2`, t.tenant, promotionID)
	d, err := scanDeployment(row)
	if errors.Is(err, sql.ErrNoRows) {
		return d, notFound("deployment of promotion", t.tenant, promotionID)
	}
	if err != nil {
		return d, t.wrap("read deployment of promotion "+promotionID, err)
	}
	return d, nil
}

const deploymentCols = `id, release_id, environment_id, promotion_id, status, created_at_us, updated_at_us, store_key`

func scanDeployment(sc interface{ Scan(...any) error }) (Deployment, error) {
	var d Deployment
	var c, u int64
	err := sc.Scan(&d.ID, &d.ReleaseID, &d.EnvironmentID, &d.PromotionID, &d.Status, &c, &u, &d.StoreKey)
	d.CreatedAt, d.UpdatedAt = fromUS(c), fromUS(u)
	return d, err
}

func (t *sqlTx) Deployment(ctx context.Context, id string) (Deployment, error) {
	d, err := scanDeployment(t.tx.QueryRowContext(ctx, `SELECT `+deploymentCols+` FROM deployments WHERE tenant_id = $1 AND id = $2`, t.tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, notFound("deployment", t.tenant, id)
	}
	if err != nil {
		return d, t.wrap("read deployment "+id, err)
	}
	return d, nil
}

func (t *sqlTx) Deployments(ctx context.Context, limit int) ([]Deployment, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	return t.DeploymentsPage(ctx, DeploymentQuery{Limit: limit})
}

func (t *sqlTx) DeploymentsPage(ctx context.Context, q DeploymentQuery) ([]Deployment, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	where, args := `tenant_id = $1`, []any{t.tenant}
	if q.EnvironmentID != "" {
		args = append(args, q.EnvironmentID)
		where += fmt.Sprintf(` AND environment_id = $%d`, len(args))
	}
	if !q.BeforeAt.IsZero() || q.BeforeID != "" {
		args = append(args, us(q.BeforeAt), q.BeforeID)
		n := len(args)
		where += fmt.Sprintf(` AND (created_at_us < $%d OR created_at_us = $%d AND id < $%d)`, n-1, n-1, n)
	}
	args = append(args, limit)
	rows, err := t.tx.QueryContext(ctx, `SELECT `+deploymentCols+` FROM deployments WHERE `+where+fmt.Sprintf(` ORDER BY created_at_us DESC, id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, t.wrap("list deployments", err)
	}
	return collect(rows, scanDeployment, nil)
}

func (t *sqlTx) SetDeploymentStatus(ctx context.Context, id, status string, at time.Time) error {
	if err := t.mustWrite("set deployment status"); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE deployments SET status = $3, updated_at_us = $4 WHERE tenant_id = $1 AND id = $2`, t.tenant, id, status, us(at))
	return t.affected(res, err, "deployment", id)
}

func (t *sqlTx) affected(res sql.Result, err error, what, id string) error {
	if err != nil {
		return t.wrap("update "+what+" "+id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound(what, t.tenant, id)
	}
	return nil
}

func (t *sqlTx) Tasks(ctx context.Context, deploymentID string) ([]Task, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT target_id, type, status, idempotency_key, message, updated_at_us FROM deployment_tasks
		WHERE tenant_id = $1 AND deployment_id = $2 ORDER BY target_id`, t.tenant, deploymentID)
	if err != nil {
		return nil, t.wrap("list tasks", err)
	}
	defer rows.Close()
	var out []Task
	for rows.Next() {
		k := Task{DeploymentID: deploymentID}
		var at int64
		if err := rows.Scan(&k.TargetID, &k.Type, &k.Status, &k.IdempotencyKey, &k.Message, &at); err != nil {
			return nil, err
		}
		k.UpdatedAt = fromUS(at)
		out = append(out, k)
	}
	return out, rows.Err()
}

func (t *sqlTx) SetTaskStatus(ctx context.Context, deploymentID, targetID, status, message string, at time.Time) error {
	if err := t.mustWrite("set task status"); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE deployment_tasks SET status = $4, message = $5, updated_at_us = $6 WHERE tenant_id = $1 AND deployment_id = $2 AND target_id = $3`,
		t.tenant, deploymentID, targetID, status, message, us(at))
	return t.affected(res, err, "task", deploymentID+"/"+targetID)
}

func (t *sqlTx) PutArtifacts(ctx context.Context, deploymentID string, as []Artifact) error {
	if err := t.mustWrite("record artifacts"); err != nil {
		return err
	}
	if _, err := t.Deployment(ctx, deploymentID); err != nil {
		return fmt.Errorf("record artifacts: %w", err)
	}
	for _, a := range as {
		if err := t.insertOnce(ctx, "artifact", deploymentID+"/"+a.Name, `INSERT INTO artifacts (tenant_id, deployment_id, name, type, size, sha256, storage_key) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (tenant_id, deployment_id, name) DO NOTHING`,
			t.tenant, deploymentID, a.Name, a.Type, a.Size, a.SHA256, a.StorageKey); err != nil {
			return err
		}
	}
	return nil
}

func (t *sqlTx) Artifacts(ctx context.Context, deploymentID string) ([]Artifact, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT name, type, size, sha256, storage_key FROM artifacts WHERE tenant_id = $1 AND deployment_id = $2 ORDER BY name`, t.tenant, deploymentID)
	if err != nil {
		return nil, t.wrap("list artifacts", err)
	}
	defer rows.Close()
	var out []Artifact
	for rows.Next() {
		a := Artifact{DeploymentID: deploymentID}
		if err := rows.Scan(&a.Name, &a.Type, &a.Size, &a.SHA256, &a.StorageKey); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (t *sqlTx) PutSticker(ctx context.Context, s Sticker) error {
	if err := t.mustWrite("record sticker"); err != nil {
		return err
	}
	if _, err := t.Deployment(ctx, s.DeploymentID); err != nil {
		return fmt.Errorf("record sticker %s: %w", s.ID, err)
	}
	return t.insertOnce(ctx, "sticker", s.ID, `INSERT INTO stickers (tenant_id, id, deployment_id, target_id, issued_at_us, sha256, doc) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (tenant_id, id) DO NOTHING`, t.tenant, s.ID, s.DeploymentID, s.TargetID, us(s.IssuedAt), s.SHA256, string(s.Doc))
}

func (t *sqlTx) Stickers(ctx context.Context, targetID string) ([]Sticker, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT id, deployment_id, issued_at_us, sha256, doc FROM stickers WHERE tenant_id = $1 AND target_id = $2 ORDER BY issued_at_us DESC, id DESC`, t.tenant, targetID)
	if err != nil {
		return nil, t.wrap("list stickers", err)
	}
	defer rows.Close()
	var out []Sticker
	for rows.Next() {
		s := Sticker{TargetID: targetID}
		var at int64
		var doc string
		if err := rows.Scan(&s.ID, &s.DeploymentID, &at, &s.SHA256, &doc); err != nil {
			return nil, err
		}
		s.IssuedAt, s.Doc = fromUS(at), []byte(doc)
		out = append(out, s)
	}
	return out, rows.Err()
}

func (t *sqlTx) LatestSticker(ctx context.Context, targetID string) (Sticker, error) {
	s := Sticker{TargetID: targetID}
	var at int64
	var doc string
	err := t.tx.QueryRowContext(ctx, `SELECT id, deployment_id, issued_at_us, sha256, doc FROM stickers WHERE tenant_id = $1 AND target_id = $2 ORDER BY issued_at_us DESC, id DESC LIMIT 1`, t.tenant, targetID).
		Scan(&s.ID, &s.DeploymentID, &at, &s.SHA256, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return s, notFound("sticker of target", t.tenant, targetID)
	}
	if err != nil {
		return s, t.wrap("read sticker of target "+targetID, err)
	}
	s.IssuedAt, s.Doc = fromUS(at), []byte(doc)
	return s, nil
}

func (t *sqlTx) AppendEvidence(ctx context.Context, build func(ChainHead) (Evidence, error)) (Evidence, error) {
	if err := t.mustWrite("append evidence"); err != nil {
		return Evidence{}, err
	}
	// The head row exists from the tenant's first packet on; lock it (PostgreSQL: FOR UPDATE; SQLite:
	// the IMMEDIATE transaction already holds the database's write lock).
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO evidence_heads (tenant_id, seq, packet_hash) VALUES ($1, 0, '') ON CONFLICT (tenant_id) DO NOTHING`, t.tenant); err != nil {
		return Evidence{}, t.wrap("append evidence", err)
	}
	var head ChainHead
	if err := t.tx.QueryRowContext(ctx, `SELECT seq, packet_hash FROM evidence_heads WHERE tenant_id = $1 `+t.d.LockHead, t.tenant).Scan(&head.Seq, &head.Hash); err != nil {
		return Evidence{}, t.wrap("append evidence: lock chain head", err)
	}
	e, err := build(head)
	if err != nil {
		return Evidence{}, err
	}
	if e.Seq != head.Seq+1 || e.PrevHash != head.Hash {
		return Evidence{}, fmt.Errorf("append evidence %s: %w (sequence %d after %d)", e.ID, ErrBadChain, e.Seq, head.Seq)
	}
	if _, err := t.Evidence(ctx, e.ID); err == nil {
		return Evidence{}, exists("evidence", t.tenant, e.ID)
	} else if !errors.Is(err, ErrNotFound) {
		return Evidence{}, err
	}
	var dep any
	if e.DeploymentID != "" {
		dep = e.DeploymentID
		if _, err := t.Deployment(ctx, e.DeploymentID); err != nil {
			return Evidence{}, fmt.Errorf("append evidence %s: %w", e.ID, err)
		}
	}
	if err := t.insertOnce(ctx, "evidence", e.ID, `INSERT INTO evidence (tenant_id, id, seq, type, deployment_id, promotion_id, generated_at_us, packet_hash, prev_hash, packet)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (tenant_id, id) DO NOTHING`,
		t.tenant, e.ID, e.Seq, e.Type, dep, e.PromotionID, us(e.GeneratedAt), e.PacketHash, e.PrevHash, string(e.Packet)); err != nil {
		return Evidence{}, err
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE evidence_heads SET seq = $2, packet_hash = $3, head_doc = $4 WHERE tenant_id = $1`, t.tenant, e.Seq, e.PacketHash, string(e.HeadDoc)); err != nil {
		return Evidence{}, t.wrap("append evidence: move chain head", err)
	}
	return e, nil
}

const evidenceCols = `id, seq, type, deployment_id, promotion_id, generated_at_us, packet_hash, prev_hash, packet`

func scanEvidence(sc interface{ Scan(...any) error }) (Evidence, error) {
	var e Evidence
	var dep sql.NullString
	var at int64
	var packet string
	err := sc.Scan(&e.ID, &e.Seq, &e.Type, &dep, &e.PromotionID, &at, &e.PacketHash, &e.PrevHash, &packet)
	e.DeploymentID, e.GeneratedAt, e.Packet = dep.String, fromUS(at), []byte(packet)
	return e, err
}

func (t *sqlTx) Evidence(ctx context.Context, id string) (Evidence, error) {
	e, err := scanEvidence(t.tx.QueryRowContext(ctx, `SELECT `+evidenceCols+` FROM evidence WHERE tenant_id = $1 AND id = $2`, t.tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, notFound("evidence", t.tenant, id)
	}
	if err != nil {
		return e, t.wrap("read evidence "+id, err)
	}
	return e, nil
}

func (t *sqlTx) ListEvidence(ctx context.Context, limit int) ([]Evidence, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	var out []Evidence
	err := t.scanEvidenceRows(ctx, `SELECT `+evidenceCols+` FROM evidence WHERE tenant_id = $1 ORDER BY seq DESC LIMIT $2`, func(e Evidence) error {
		out = append(out, e)
		return nil
	}, t.tenant, limit)
	return out, err
}

func (t *sqlTx) DeploymentEvidence(ctx context.Context, deploymentID string) ([]Evidence, error) {
	// Sorted here, not by ORDER BY seq: that lets SQLite walk the whole chain by its (tenant, seq) index
	// instead of looking the few packets up by evidence_deployment.
	var out []Evidence
	err := t.scanEvidenceRows(ctx, `SELECT `+evidenceCols+` FROM evidence WHERE tenant_id = $1 AND deployment_id = $2`, func(e Evidence) error {
		out = append(out, e)
		return nil
	}, t.tenant, deploymentID)
	slices.SortFunc(out, func(a, b Evidence) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, err
}

func (t *sqlTx) EvidencePage(ctx context.Context, q EvidenceQuery) ([]Evidence, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	where, args := `e.tenant_id = $1`, []any{t.tenant}
	add := func(cond string, v any) {
		args = append(args, v)
		where += " AND " + strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args)))
	}
	if q.BeforeSeq > 0 {
		add(`e.seq < ?`, q.BeforeSeq)
	}
	if q.MinSeq > 0 {
		add(`e.seq >= ?`, q.MinSeq)
	}
	if q.MaxSeq > 0 {
		add(`e.seq <= ?`, q.MaxSeq)
	}
	if !q.From.IsZero() {
		add(`e.generated_at_us >= ?`, us(q.From))
	}
	if !q.To.IsZero() {
		add(`e.generated_at_us < ?`, us(q.To))
	}
	// A packet's deployment: its own, or the one that carried out its promotion (a release decision),
	// looked up by key for each packet the scan from the head meets (a page needs few).
	if q.ReleaseID != "" || q.EnvironmentID != "" {
		dwhere := ``
		if q.ReleaseID != "" {
			args = append(args, q.ReleaseID)
			dwhere += fmt.Sprintf(` AND d.release_id = $%d`, len(args))
		}
		if q.EnvironmentID != "" {
			args = append(args, q.EnvironmentID)
			dwhere += fmt.Sprintf(` AND d.environment_id = $%d`, len(args))
		}
		where += ` AND (e.deployment_id IS NOT NULL AND EXISTS (SELECT 1 FROM deployments d WHERE d.tenant_id = e.tenant_id AND d.id = e.deployment_id` + dwhere + `)
			OR e.deployment_id IS NULL AND e.promotion_id <> '' AND EXISTS (SELECT 1 FROM deployments d WHERE d.tenant_id = e.tenant_id AND d.promotion_id = e.promotion_id AND d.promotion_id <> ''` + dwhere + `))`
	}
	args = append(args, limit)
	cols := strings.ReplaceAll("e."+evidenceCols, ", ", ", e.")
	var out []Evidence
	err := t.scanEvidenceRows(ctx, `SELECT `+cols+` FROM evidence e WHERE `+where+fmt.Sprintf(` ORDER BY e.seq DESC LIMIT $%d`, len(args)), func(e Evidence) error {
		out = append(out, e)
		return nil
	}, args...)
	return out, err
}

func (t *sqlTx) EvidenceTimes(ctx context.Context, afterSeq int64) ([]EvidenceTime, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT seq, generated_at_us FROM evidence WHERE tenant_id = $1 AND seq > $2 ORDER BY seq`, t.tenant, afterSeq)
	if err != nil {
		return nil, t.wrap("list evidence times", err)
	}
	defer rows.Close()
	var out []EvidenceTime
	for rows.Next() {
		var e EvidenceTime
		var at int64
		if err := rows.Scan(&e.Seq, &at); err != nil {
			return nil, err
		}
		e.GeneratedAt = fromUS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (t *sqlTx) Chain(ctx context.Context, fn func(Evidence) error) error {
	return t.scanEvidenceRows(ctx, `SELECT `+evidenceCols+` FROM evidence WHERE tenant_id = $1 ORDER BY seq`, fn, t.tenant)
}

func (t *sqlTx) scanEvidenceRows(ctx context.Context, q string, fn func(Evidence) error, args ...any) error {
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return t.wrap("list evidence", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvidence(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *sqlTx) ChainHead(ctx context.Context) (ChainHead, error) {
	var h ChainHead
	var doc string
	err := t.tx.QueryRowContext(ctx, `SELECT seq, packet_hash, head_doc FROM evidence_heads WHERE tenant_id = $1`, t.tenant).Scan(&h.Seq, &h.Hash, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return ChainHead{}, nil
	}
	h.Doc = []byte(doc)
	return h, t.wrap("read chain head", err)
}

func usOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return us(t)
}

func fromUSOrZero(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromUS(v)
}

const tokenCols = `sha256, id, tenant_id, role, name, created_at_us, expires_at_us, revoked_at_us, agent_id, target_id`

func scanToken(sc interface{ Scan(...any) error }) (Token, error) {
	var k Token
	var c, e, r int64
	err := sc.Scan(&k.SHA256, &k.ID, &k.TenantID, &k.Role, &k.Name, &c, &e, &r, &k.AgentID, &k.TargetID)
	k.CreatedAt, k.ExpiresAt, k.RevokedAt = fromUS(c), fromUSOrZero(e), fromUSOrZero(r)
	return k, err
}

// TokenBySHA256 finds a token by its hash, whatever its tenant.
func (s *SQL) TokenBySHA256(ctx context.Context, sum string) (Token, error) {
	k, err := scanToken(s.R.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE sha256 = $1`, sum))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, fault.Wrap(fault.NotFound, fmt.Errorf("token: %w", ErrNotFound))
	}
	if err != nil {
		return Token{}, fmt.Errorf("read token: %w", err)
	}
	return k, nil
}

func (t *sqlTx) CreateToken(ctx context.Context, k Token) error {
	if err := t.mustWrite("record token"); err != nil {
		return err
	}
	if !slices.Contains(Roles, k.Role) {
		return fault.Inputf("record token %s: role %q is not one of %s", k.ID, k.Role, strings.Join(Roles, ", "))
	}
	if len(k.SHA256) != 64 || k.ID == "" {
		return fmt.Errorf("record token %s: need an id and a 64-hex sha256", k.ID)
	}
	var n int
	if err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM api_tokens WHERE id = $1 OR sha256 = $2`, k.ID, k.SHA256).Scan(&n); err != nil {
		return t.wrap("record token "+k.ID, err)
	}
	if n > 0 {
		return exists("token", t.tenant, k.ID)
	}
	return t.insertOnce(ctx, "token", k.ID, `INSERT INTO api_tokens (`+tokenCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
		k.SHA256, k.ID, t.tenant, k.Role, k.Name, us(k.CreatedAt), usOrZero(k.ExpiresAt), usOrZero(k.RevokedAt), k.AgentID, k.TargetID)
}

// RegistrationBySHA256 finds an agent registration token by its hash, whatever its tenant.
func (s *SQL) RegistrationBySHA256(ctx context.Context, sum string) (Registration, error) {
	var g Registration
	var c, e, u int64
	err := s.R.QueryRowContext(ctx, `SELECT sha256, tenant_id, target_id, created_at_us, expires_at_us, used_at_us, agent_id FROM agent_registrations WHERE sha256 = $1`, sum).
		Scan(&g.SHA256, &g.TenantID, &g.TargetID, &c, &e, &u, &g.AgentID)
	if errors.Is(err, sql.ErrNoRows) {
		return g, fault.Wrap(fault.NotFound, fmt.Errorf("registration: %w", ErrNotFound))
	}
	g.CreatedAt, g.ExpiresAt, g.UsedAt = fromUS(c), fromUS(e), fromUSOrZero(u)
	return g, err
}

// AgentByID finds an agent by its id, whatever its tenant (the id is what an agent's assertion names).
func (s *SQL) AgentByID(ctx context.Context, id string) (Agent, error) {
	a, err := scanAgent(s.R.QueryRowContext(ctx, `SELECT `+agentCols+` FROM agents WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fault.Wrap(fault.NotFound, fmt.Errorf("agent %s: %w", id, ErrNotFound))
	}
	return a, err
}

const agentCols = `id, tenant_id, target_id, name, public_key, created_at_us, seen_at_us, revoked_at_us`

func scanAgent(sc interface{ Scan(...any) error }) (Agent, error) {
	var a Agent
	var c, se, r int64
	err := sc.Scan(&a.ID, &a.TenantID, &a.TargetID, &a.Name, &a.PublicKey, &c, &se, &r)
	a.CreatedAt, a.SeenAt, a.RevokedAt = fromUS(c), fromUSOrZero(se), fromUSOrZero(r)
	return a, err
}

func (t *sqlTx) CreateRegistration(ctx context.Context, g Registration) error {
	if err := t.mustWrite("record registration"); err != nil {
		return err
	}
	return t.insertOnce(ctx, "registration", g.SHA256[:12], `INSERT INTO agent_registrations (sha256, tenant_id, target_id, created_at_us, expires_at_us) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		g.SHA256, t.tenant, g.TargetID, us(g.CreatedAt), us(g.ExpiresAt))
}

func (t *sqlTx) ClaimRegistration(ctx context.Context, sum string, a Agent, now time.Time) error {
	if err := t.mustWrite("register agent"); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE agent_registrations SET used_at_us = $3, agent_id = $4
		WHERE tenant_id = $1 AND sha256 = $2 AND used_at_us = 0 AND expires_at_us > $3 AND target_id = $5`, t.tenant, sum, us(now), a.ID, a.TargetID)
	if err != nil {
		return t.wrap("register agent", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fault.Wrap(fault.Unauthenticated, errors.New("the registration token is unknown, used or expired"))
	}
	return t.insertOnce(ctx, "agent", a.ID, `INSERT INTO agents (`+agentCols+`) VALUES ($1, $2, $3, $4, $5, $6, 0, 0) ON CONFLICT DO NOTHING`,
		a.ID, t.tenant, a.TargetID, a.Name, a.PublicKey, us(a.CreatedAt))
}

func (t *sqlTx) Agents(ctx context.Context) ([]Agent, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+agentCols+` FROM agents WHERE tenant_id = $1 ORDER BY created_at_us, id`, t.tenant)
	if err != nil {
		return nil, t.wrap("list agents", err)
	}
	return collect(rows, scanAgent, []Agent{})
}

func (t *sqlTx) RevokeAgent(ctx context.Context, id string, at time.Time) error {
	if err := t.mustWrite("revoke agent"); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE agents SET revoked_at_us = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at_us = 0`, t.tenant, id, us(at))
	if err != nil {
		return t.wrap("revoke agent "+id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("agent", t.tenant, id)
	}
	return nil
}

func (t *sqlTx) AgentSeen(ctx context.Context, id string, at time.Time) error {
	if err := t.mustWrite("agent heartbeat"); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE agents SET seen_at_us = $3 WHERE tenant_id = $1 AND id = $2`, t.tenant, id, us(at))
	return t.wrap("agent heartbeat "+id, err)
}

func (t *sqlTx) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE tenant_id = $1 ORDER BY created_at_us, id`, t.tenant)
	if err != nil {
		return nil, t.wrap("list tokens", err)
	}
	return collect(rows, scanToken, nil)
}

func (t *sqlTx) RevokeToken(ctx context.Context, id string, at time.Time) error {
	if err := t.mustWrite("revoke token"); err != nil {
		return err
	}
	// A token already revoked keeps its first revocation time.
	res, err := t.tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at_us = CASE WHEN revoked_at_us = 0 THEN $3 ELSE revoked_at_us END
		WHERE tenant_id = $1 AND id = $2`, t.tenant, id, us(at))
	return t.affected(res, err, "token", id)
}

const agentTaskCols = `id, target_id, type, deployment_id, payload, status, timeout_ms, created_at_us, expires_at_us, leased_at_us, agent_id, finished_at_us, result`

func scanAgentTask(sc interface{ Scan(...any) error }) (AgentTask, error) {
	var k AgentTask
	var payload, result string
	var to, c, e, l, f int64
	err := sc.Scan(&k.ID, &k.TargetID, &k.Type, &k.DeploymentID, &payload, &k.Status, &to, &c, &e, &l, &k.AgentID, &f, &result)
	k.Payload, k.Result = []byte(payload), []byte(result)
	k.Timeout = time.Duration(to) * time.Millisecond
	k.CreatedAt, k.ExpiresAt, k.LeasedAt, k.FinishedAt = fromUS(c), fromUS(e), fromUSOrZero(l), fromUSOrZero(f)
	return k, err
}

func (t *sqlTx) CreateAgentTask(ctx context.Context, k AgentTask) error {
	if err := t.mustWrite("queue task"); err != nil {
		return err
	}
	if len(k.Payload) == 0 {
		k.Payload = []byte("{}")
	}
	return t.insertOnce(ctx, "task", k.ID, `INSERT INTO agent_tasks (tenant_id, id, target_id, type, deployment_id, payload, status, timeout_ms, created_at_us, expires_at_us)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
		t.tenant, k.ID, k.TargetID, k.Type, k.DeploymentID, string(k.Payload), TaskQueued, k.Timeout.Milliseconds(), us(k.CreatedAt), us(k.ExpiresAt))
}

func (t *sqlTx) LeaseAgentTask(ctx context.Context, targetID, agentID string, now time.Time) (AgentTask, error) {
	if err := t.mustWrite("lease task"); err != nil {
		return AgentTask{}, err
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE agent_tasks SET status = $4, finished_at_us = $3 WHERE tenant_id = $1 AND target_id = $2 AND status = $5 AND expires_at_us <= $3`,
		t.tenant, targetID, us(now), TaskExpired, TaskQueued); err != nil {
		return AgentTask{}, t.wrap("expire tasks", err)
	}
	k, err := scanAgentTask(t.tx.QueryRowContext(ctx, `SELECT `+agentTaskCols+` FROM agent_tasks WHERE tenant_id = $1 AND target_id = $2 AND status = $3
		ORDER BY created_at_us, id LIMIT 1 `+t.d.LockHead, t.tenant, targetID, TaskQueued))
	if errors.Is(err, sql.ErrNoRows) {
		return k, notFound("task for target", t.tenant, targetID)
	}
	if err != nil {
		return k, t.wrap("lease task", err)
	}
	if _, err := t.tx.ExecContext(ctx, `UPDATE agent_tasks SET status = $3, leased_at_us = $4, agent_id = $5 WHERE tenant_id = $1 AND id = $2`,
		t.tenant, k.ID, TaskLeased, us(now), agentID); err != nil {
		return k, t.wrap("lease task "+k.ID, err)
	}
	k.Status, k.LeasedAt, k.AgentID = TaskLeased, now, agentID
	return k, nil
}

func (t *sqlTx) FinishAgentTask(ctx context.Context, id, agentID, status string, result []byte, at time.Time) error {
	if err := t.mustWrite("finish task"); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `UPDATE agent_tasks SET status = $3, result = $4, finished_at_us = $5 WHERE tenant_id = $1 AND id = $2 AND status = $6 AND agent_id = $7`,
		t.tenant, id, status, string(result), us(at), TaskLeased, agentID)
	if err != nil {
		return t.wrap("finish task "+id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		k, err := t.AgentTask(ctx, id)
		if err != nil {
			return err
		}
		if k.AgentID != agentID {
			return notFound("task", t.tenant, id)
		}
		return exists("result of task", t.tenant, id)
	}
	return nil
}

func (t *sqlTx) AgentTask(ctx context.Context, id string) (AgentTask, error) {
	k, err := scanAgentTask(t.tx.QueryRowContext(ctx, `SELECT `+agentTaskCols+` FROM agent_tasks WHERE tenant_id = $1 AND id = $2`, t.tenant, id))
	if errors.Is(err, sql.ErrNoRows) {
		return k, notFound("task", t.tenant, id)
	}
	return k, t.wrap("read task "+id, err)
}

func (t *sqlTx) ImportAgentTask(ctx context.Context, k AgentTask) error {
	if err := t.mustWrite("import task"); err != nil {
		return err
	}
	if len(k.Payload) == 0 {
		k.Payload = []byte("{}")
	}
	return t.insertOnce(ctx, "task", k.ID, `INSERT INTO agent_tasks (tenant_id, id, target_id, type, deployment_id, payload, status, timeout_ms, created_at_us, expires_at_us, leased_at_us, agent_id, finished_at_us, result)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING`,
		t.tenant, k.ID, k.TargetID, k.Type, k.DeploymentID, string(k.Payload), k.Status, k.Timeout.Milliseconds(), us(k.CreatedAt), us(k.ExpiresAt),
		us(k.CreatedAt), k.AgentID, us(k.FinishedAt), string(k.Result))
}

func (t *sqlTx) AppendTaskLog(ctx context.Context, id string, seq int, text string) error {
	if err := t.mustWrite("task log"); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO agent_task_logs (tenant_id, task_id, seq, text) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, t.tenant, id, seq, text)
	return t.wrap("task log "+id, err)
}

func (t *sqlTx) AgentTasks(ctx context.Context, targetID, typ string, limit int) ([]AgentTask, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT `+agentTaskCols+` FROM agent_tasks WHERE tenant_id = $1 AND target_id = $2 AND ($3 = '' OR type = $3)
		ORDER BY created_at_us DESC, id DESC LIMIT $4`, t.tenant, targetID, typ, limit)
	if err != nil {
		return nil, t.wrap("list tasks", err)
	}
	return collect(rows, scanAgentTask, []AgentTask{})
}

func (t *sqlTx) AgentTasksByStatus(ctx context.Context, targetID, typ, status string, limit int) ([]AgentTask, error) {
	if limit <= 0 {
		limit = 1 << 30
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT `+agentTaskCols+` FROM agent_tasks WHERE tenant_id = $1 AND target_id = $2 AND status = $5 AND type = $3
		ORDER BY created_at_us DESC, id DESC LIMIT $4`, t.tenant, targetID, typ, limit, status)
	if err != nil {
		return nil, t.wrap("list tasks", err)
	}
	return collect(rows, scanAgentTask, []AgentTask{})
}

func (t *sqlTx) BlockRelease(ctx context.Context, b Block) error {
	if err := t.mustWrite("block release"); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO blocked_releases (tenant_id, environment_id, release_id, blocked_at_us, blocked_by, reason) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`, t.tenant, b.EnvironmentID, b.ReleaseID, us(b.BlockedAt), b.BlockedBy, b.Reason)
	return t.wrap("block release "+b.ReleaseID, err)
}

func (t *sqlTx) ReleaseBlock(ctx context.Context, environmentID, releaseID string) (Block, error) {
	b := Block{EnvironmentID: environmentID, ReleaseID: releaseID}
	var at int64
	err := t.tx.QueryRowContext(ctx, `SELECT blocked_at_us, blocked_by, reason FROM blocked_releases WHERE tenant_id = $1 AND environment_id = $2 AND release_id = $3`,
		t.tenant, environmentID, releaseID).Scan(&at, &b.BlockedBy, &b.Reason)
	if errors.Is(err, sql.ErrNoRows) {
		return b, notFound("block of release", t.tenant, releaseID)
	}
	b.BlockedAt = fromUS(at)
	return b, t.wrap("read block of "+releaseID, err)
}

func (t *sqlTx) UnblockRelease(ctx context.Context, environmentID, releaseID string) error {
	if err := t.mustWrite("unblock release"); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `DELETE FROM blocked_releases WHERE tenant_id = $1 AND environment_id = $2 AND release_id = $3`, t.tenant, environmentID, releaseID)
	if err != nil {
		return t.wrap("unblock release "+releaseID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("block of release", t.tenant, releaseID)
	}
	return nil
}

func (t *sqlTx) PutHold(ctx context.Context, h Hold) error {
	if err := t.mustWrite("hold deployment"); err != nil {
		return err
	}
	return t.insertOnce(ctx, "hold of deployment", h.DeploymentID, `INSERT INTO retention_holds (tenant_id, deployment_id, held_at_us, held_by, reason, evidence_id) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant_id, deployment_id) DO NOTHING`, t.tenant, h.DeploymentID, us(h.HeldAt), h.HeldBy, h.Reason, h.EvidenceID)
}

func (t *sqlTx) Hold(ctx context.Context, deploymentID string) (Hold, error) {
	h := Hold{DeploymentID: deploymentID}
	var at int64
	err := t.tx.QueryRowContext(ctx, `SELECT held_at_us, held_by, reason, evidence_id FROM retention_holds WHERE tenant_id = $1 AND deployment_id = $2`,
		t.tenant, deploymentID).Scan(&at, &h.HeldBy, &h.Reason, &h.EvidenceID)
	if errors.Is(err, sql.ErrNoRows) {
		return h, notFound("hold of deployment", t.tenant, deploymentID)
	}
	h.HeldAt = fromUS(at)
	return h, t.wrap("read hold of "+deploymentID, err)
}

func (t *sqlTx) RemoveHold(ctx context.Context, deploymentID string) error {
	if err := t.mustWrite("release hold"); err != nil {
		return err
	}
	res, err := t.tx.ExecContext(ctx, `DELETE FROM retention_holds WHERE tenant_id = $1 AND deployment_id = $2`, t.tenant, deploymentID)
	if err != nil {
		return t.wrap("release hold of "+deploymentID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("hold of deployment", t.tenant, deploymentID)
	}
	return nil
}

func (t *sqlTx) Holds(ctx context.Context) ([]Hold, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT deployment_id, held_at_us, held_by, reason, evidence_id FROM retention_holds WHERE tenant_id = $1 ORDER BY deployment_id`, t.tenant)
	if err != nil {
		return nil, t.wrap("list holds", err)
	}
	defer rows.Close()
	var out []Hold
	for rows.Next() {
		var h Hold
		var at int64
		if err := rows.Scan(&h.DeploymentID, &at, &h.HeldBy, &h.Reason, &h.EvidenceID); err != nil {
			return nil, err
		}
		h.HeldAt = fromUS(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

// TryLease takes, renews or is refused the lease in one statement: the row is inserted, or updated only
// where it is holder's own or has expired. The time is this process's clock: replicas must agree on the
// time to well within ttl (NTP does).
func (s *SQL) TryLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if name == "" || holder == "" || ttl <= 0 {
		return false, fmt.Errorf("lease %q: a name, a holder and a positive ttl are required", name)
	}
	now := time.Now()
	res, err := s.W.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at_us) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at_us = excluded.expires_at_us
		WHERE leases.holder = excluded.holder OR leases.expires_at_us <= $4`, name, holder, us(now.Add(ttl)), us(now))
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return n > 0, nil
}

// ReleaseLease ends holder's lease of name (nothing if another holds it).
func (s *SQL) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.W.ExecContext(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// PutSession records a web session.
func (s *SQL) PutSession(ctx context.Context, x Session) error {
	if len(x.IDSHA256) != 64 || len(x.TokenSHA256) != 64 || x.TenantID == "" || x.CSRF == "" {
		return fmt.Errorf("record session: need 64-hex hashes of its id and token, a tenant and a CSRF token")
	}
	if _, err := s.W.ExecContext(ctx, `INSERT INTO web_sessions (id_sha256, tenant_id, token_sha256, csrf, expires_at_us) VALUES ($1, $2, $3, $4, $5)`,
		x.IDSHA256, x.TenantID, x.TokenSHA256, x.CSRF, us(x.ExpiresAt)); err != nil {
		return fmt.Errorf("record session: %w", err)
	}
	return nil
}

// Session finds the session whose id hashes to idSHA256 and has not expired at now.
func (s *SQL) Session(ctx context.Context, idSHA256 string, now time.Time) (Session, error) {
	x := Session{IDSHA256: idSHA256}
	var exp int64
	err := s.R.QueryRowContext(ctx, `SELECT tenant_id, token_sha256, csrf, expires_at_us FROM web_sessions WHERE id_sha256 = $1 AND expires_at_us > $2`,
		idSHA256, us(now)).Scan(&x.TenantID, &x.TokenSHA256, &x.CSRF, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fault.Wrap(fault.NotFound, fmt.Errorf("session: %w", ErrNotFound))
	}
	if err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	x.ExpiresAt = fromUS(exp)
	return x, nil
}

// TouchSession moves a session's expiry.
func (s *SQL) TouchSession(ctx context.Context, idSHA256 string, expires time.Time) error {
	if _, err := s.W.ExecContext(ctx, `UPDATE web_sessions SET expires_at_us = $1 WHERE id_sha256 = $2`, us(expires), idSHA256); err != nil {
		return fmt.Errorf("extend session: %w", err)
	}
	return nil
}

// DropSession removes a session (nothing when there is none).
func (s *SQL) DropSession(ctx context.Context, idSHA256 string) error {
	if _, err := s.W.ExecContext(ctx, `DELETE FROM web_sessions WHERE id_sha256 = $1`, idSHA256); err != nil {
		return fmt.Errorf("drop session: %w", err)
	}
	return nil
}

// DropExpiredSessions removes every session expired at now.
func (s *SQL) DropExpiredSessions(ctx context.Context, now time.Time) error {
	if _, err := s.W.ExecContext(ctx, `DELETE FROM web_sessions WHERE expires_at_us <= $1`, us(now)); err != nil {
		return fmt.Errorf("drop expired sessions: %w", err)
	}
	return nil
}
