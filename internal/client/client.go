// Package client is a Go client of Stella's HTTP API (internal/server; the routes and bodies of
// internal/server/openapi.json). The command line's remote mode (--server, --token) uses it. Errors keep
// the server's kind: an answer's status maps back to the fault kind (404 → not found, 409 → exists or
// conflict, 422 → verification failed …), so a remote command exits as the local one would.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/server"
)

// Client talks to one server with one bearer token.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// New checks the server URL and returns a client. The token is sent as "Authorization: Bearer".
func New(serverURL, token string) (*Client, error) {
	if token == "" {
		return nil, fault.Inputf("--token: required with --server (or $STELLA_TOKEN)")
	}
	return newClient(serverURL, token)
}

// newClient is a client with token, or with none for the calls whose body is the credential.
func newClient(serverURL, token string) (*Client, error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fault.Inputf("--server: %q is not an http:// or https:// URL", serverURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, token: token, http: &http.Client{Timeout: 5 * time.Minute}}, nil
}

// Error is an answer that was not a success, with the server's envelope.
type Error struct {
	Status  int
	Code    string
	Message string
	Field   string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("server: %s (%s)", e.Message, e.Field)
	}
	return "server: " + e.Message
}

var kinds = map[int]fault.Kind{
	http.StatusBadRequest: fault.Input, http.StatusRequestEntityTooLarge: fault.TooLarge,
	http.StatusUnauthorized: fault.Unauthenticated, http.StatusForbidden: fault.Forbidden,
	http.StatusNotFound: fault.NotFound, http.StatusUnprocessableEntity: fault.Verification,
	http.StatusServiceUnavailable: fault.Unavailable,
}

func asError(status int, body []byte) error {
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"error"`
	}
	e := &Error{Status: status}
	if json.Unmarshal(body, &env) == nil && env.Error.Message != "" {
		e.Code, e.Message, e.Field = env.Error.Code, env.Error.Message, env.Error.Field
	} else {
		e.Message = fmt.Sprintf("HTTP %d", status)
	}
	kind, ok := kinds[status]
	switch {
	case status == http.StatusConflict && e.Code == "exists":
		kind = fault.Exists
	case status == http.StatusConflict:
		kind = fault.Conflict
	case !ok:
		kind = fault.Operational
	}
	return fault.Wrap(kind, e)
}

// do sends a request and decodes a JSON answer into out (nil: discard).
func (c *Client) do(ctx context.Context, method, path string, body any, hdr map[string]string, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	res, err := c.send(ctx, method, path, rd, hdr)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return res.StatusCode, fault.Wrap(fault.Unavailable, fmt.Errorf("%s %s: %w", method, path, err))
	}
	if res.StatusCode >= 300 {
		return res.StatusCode, asError(res.StatusCode, b)
	}
	if out != nil && res.StatusCode != http.StatusNoContent && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return res.StatusCode, fmt.Errorf("%s %s: answer is not the expected JSON: %w", method, path, err)
		}
	}
	return res.StatusCode, nil
}

func (c *Client) send(ctx context.Context, method, path string, body io.Reader, hdr map[string]string) (*http.Response, error) {
	u := *c.base
	p, q, _ := strings.Cut(path, "?")
	u.Path += p
	u.RawQuery = q
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		// The URL is ours; never the token.
		return nil, fault.Wrap(fault.Unavailable, fmt.Errorf("%s %s%s: %v", method, c.base.Redacted(), p, unwrapURL(err)))
	}
	return res, nil
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func esc(s string) string { return url.PathEscape(s) }

// NewIdempotencyKey is a random key for one request.
func NewIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Jobs lists the tenant's deployment jobs, newest first.
func (c *Client) Jobs(ctx context.Context, limit int) ([]server.Job, error) {
	var out []server.Job
	_, err := c.do(ctx, http.MethodGet, "/api/v1/deployment-jobs?limit="+strconv.Itoa(limit), nil, nil, &out)
	return out, err
}

// Job reads one deployment job with its tasks.
func (c *Client) Job(ctx context.Context, id string) (server.Job, error) {
	var out server.Job
	_, err := c.do(ctx, http.MethodGet, "/api/v1/deployment-jobs/"+esc(id), nil, nil, &out)
	return out, err
}

// CreateJob creates the deployment job of an approved promotion; key is its Idempotency-Key ("" for a
// new random one). created is false when the server answered an existing job of the promotion.
func (c *Client) CreateJob(ctx context.Context, req server.CreateJob, key string) (out server.JobCreated, created bool, err error) {
	if key == "" {
		key = NewIdempotencyKey()
	}
	status, err := c.do(ctx, http.MethodPost, "/api/v1/deployment-jobs", req, map[string]string{"Idempotency-Key": key}, &out)
	return out, status == http.StatusCreated, err
}

// Artifacts lists a job's files.
func (c *Client) Artifacts(ctx context.Context, id string) ([]server.Artifact, error) {
	var out []server.Artifact
	_, err := c.do(ctx, http.MethodGet, "/api/v1/deployment-jobs/"+esc(id)+"/artifacts", nil, nil, &out)
	return out, err
}

// Artifact writes one file of a job's set to w and checks the bytes against the SHA-256 the server
// recorded (its ETag): a mismatch is a verification error, whatever was written.
func (c *Client) Artifact(ctx context.Context, id, name string, w io.Writer) (int64, string, error) {
	res, err := c.send(ctx, http.MethodGet, "/api/v1/deployment-jobs/"+esc(id)+"/artifacts/"+esc(name), nil, nil)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		return 0, "", asError(res.StatusCode, b)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), res.Body)
	if err != nil {
		return n, "", fault.Wrap(fault.Unavailable, fmt.Errorf("download %s/%s: %w", id, name, err))
	}
	got := hex.EncodeToString(h.Sum(nil))
	if want := strings.Trim(res.Header.Get("ETag"), `"`); want != "" && want != got {
		return n, got, fault.Wrap(fault.Verification, fmt.Errorf("download %s/%s: sha256 %s, the server recorded %s", id, name, got, want))
	}
	return n, got, nil
}

// Verify asks the server to verify one artifact of a job's set.
func (c *Client) Verify(ctx context.Context, id, name string) (server.Verification, error) {
	var out server.Verification
	_, err := c.do(ctx, http.MethodPost, "/api/v1/deployment-jobs/"+esc(id)+"/artifacts/"+esc(name)+"/verify", nil, nil, &out)
	return out, err
}

// Evidence lists the tenant's packets, newest first, as stored.
func (c *Client) Evidence(ctx context.Context, limit int) ([]json.RawMessage, error) {
	var out []json.RawMessage
	_, err := c.do(ctx, http.MethodGet, "/api/v1/evidence?limit="+strconv.Itoa(limit), nil, nil, &out)
	return out, err
}

// EvidencePacket reads one packet exactly as stored, byte for byte.
func (c *Client) EvidencePacket(ctx context.Context, id string) ([]byte, error) {
	res, err := c.send(ctx, http.MethodGet, "/api/v1/evidence/"+esc(id), nil, nil)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, fault.Wrap(fault.Unavailable, fmt.Errorf("read evidence %s: %w", id, err))
	}
	if res.StatusCode != http.StatusOK {
		return nil, asError(res.StatusCode, b)
	}
	return b, nil
}

// Register exchanges a one-time registration token for an agent identity (no bearer token is sent).
func Register(ctx context.Context, serverURL string, req server.Register) (server.Registered, error) {
	var out server.Registered
	c, err := newClient(serverURL, "")
	if err != nil {
		return out, err
	}
	_, err = c.do(ctx, http.MethodPost, "/api/v1/agents/register", req, nil, &out)
	return out, err
}

// AgentToken exchanges an agent's signed assertion for a short-lived access token.
func AgentToken(ctx context.Context, serverURL, assertion string) (server.AgentToken, error) {
	var out server.AgentToken
	c, err := newClient(serverURL, "")
	if err != nil {
		return out, err
	}
	_, err = c.do(ctx, http.MethodPost, "/api/v1/agents/token", map[string]string{"assertion": assertion}, nil, &out)
	return out, err
}

// Heartbeat tells the server the agent is alive.
func (c *Client) Heartbeat(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodPost, "/api/v1/agents/heartbeat", nil, nil, nil)
	return err
}

// IssueSticker asks for the calling agent's completed, signed sticker of a job (bytes as signed).
func (c *Client) IssueSticker(ctx context.Context, id string) ([]byte, error) {
	res, err := c.send(ctx, http.MethodPost, "/api/v1/deployment-jobs/"+esc(id)+"/sticker", nil, nil)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return nil, fault.Wrap(fault.Unavailable, fmt.Errorf("sticker of %s: %w", id, err))
	}
	if res.StatusCode != http.StatusCreated {
		return nil, asError(res.StatusCode, b)
	}
	return b, nil
}

// NextTask long-polls for the agent's next task (up to wait); ok is false when none came.
func (c *Client) NextTask(ctx context.Context, wait time.Duration) (server.AgentTask, bool, error) {
	var out server.AgentTask
	status, err := c.do(ctx, http.MethodGet, "/api/v1/agents/tasks/next?wait="+wait.String(), nil, nil, &out)
	if err != nil {
		return out, false, err
	}
	return out, status == http.StatusOK, nil
}

// TaskResult reports a leased task's result.
func (c *Client) TaskResult(ctx context.Context, id string, r server.TaskResult) error {
	_, err := c.do(ctx, http.MethodPost, "/api/v1/agents/tasks/"+esc(id)+"/result", r, nil, nil)
	return err
}

// Rollback asks for a rollback of environment env (to the deployment before the current one, or to).
func (c *Client) Rollback(ctx context.Context, env string, req server.RollbackRequest, key string) (server.JobCreated, error) {
	var out server.JobCreated
	if key == "" {
		key = NewIdempotencyKey()
	}
	_, err := c.do(ctx, http.MethodPost, "/api/v1/environments/"+esc(env)+"/rollback", req, map[string]string{"Idempotency-Key": key}, &out)
	return out, err
}

// TaskLog sends one numbered chunk of a leased task's log.
func (c *Client) TaskLog(ctx context.Context, id string, seq int, text string) error {
	_, err := c.do(ctx, http.MethodPost, "/api/v1/agents/tasks/"+esc(id)+"/logs", map[string]any{"seq": seq, "text": text}, nil, nil)
	return err
}

// ImportResult hands the server a signed offline result (stella agent apply --offline) of target.
func (c *Client) ImportResult(ctx context.Context, target, signed string) (server.AgentTask, error) {
	var out server.AgentTask
	_, err := c.do(ctx, http.MethodPost, "/api/v1/targets/"+esc(target)+"/offline-results", map[string]string{"result": signed},
		map[string]string{"Idempotency-Key": NewIdempotencyKey()}, &out)
	return out, err
}

// EnvironmentDriftCheck queues a read-sticker task for every target of env that has an agent.
func (c *Client) EnvironmentDriftCheck(ctx context.Context, env string) ([]server.AgentTask, error) {
	var out []server.AgentTask
	_, err := c.do(ctx, http.MethodPost, "/api/v1/environments/"+esc(env)+"/drift-check", nil, nil, &out)
	return out, err
}

// Task reads one task of a target, with its result once it has one.
func (c *Client) Task(ctx context.Context, target, id string) (server.AgentTask, error) {
	var out server.AgentTask
	_, err := c.do(ctx, http.MethodGet, "/api/v1/targets/"+esc(target)+"/tasks/"+esc(id), nil, nil, &out)
	return out, err
}
