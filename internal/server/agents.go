package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/sign"
)

// RegistrationPrefix starts every agent registration token.
const RegistrationPrefix = "sar_"

// Agent access tokens live AgentTokenTTL; an assertion may ask for one for at most AssertionMaxAge.
const (
	AgentTokenTTL   = 10 * time.Minute
	AssertionMaxAge = 5 * time.Minute
	// AssertionAudience is the aud an agent's assertion must carry.
	AssertionAudience = "stella"
)

// NewRegistration makes a one-time registration token for one target of tenant: the token (shown once)
// and its record (only its hash).
func NewRegistration(tenant, target string, now time.Time, ttl time.Duration) (string, meta.Registration) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := RegistrationPrefix + base64.RawURLEncoding.EncodeToString(b)
	return tok, meta.Registration{SHA256: HashToken(tok), TenantID: tenant, TargetID: target, CreatedAt: now.UTC(), ExpiresAt: now.UTC().Add(ttl)}
}

// Register is the body of POST /api/v1/agents/register.
type Register struct {
	RegistrationToken string `json:"registrationToken"`
	// PublicKey is the agent's Ed25519 public key: base64 (standard) of its 32 bytes.
	PublicKey string `json:"publicKey"`
	Name      string `json:"name"`
}

// Registered is the answer: the agent's identity and the keys it must trust for what it deploys.
type Registered struct {
	AgentID     string       `json:"agentId"`
	TenantID    string       `json:"tenantId"`
	TargetID    string       `json:"targetId"`
	TrustedKeys []TrustedKey `json:"trustedKeys"`
}

// TrustedKey is one public key the tenant's sets are signed with.
type TrustedKey struct {
	KeyID     string `json:"keyId"`
	Algorithm string `json:"algorithm"`
	PEM       string `json:"pem"`
}

// AgentToken is the answer of POST /api/v1/agents/token.
type AgentToken struct {
	AccessToken string    `json:"accessToken"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

var errRegistration = fault.Wrap(fault.Unauthenticated, errors.New("the registration token is unknown, used or expired"))

// register exchanges a one-time registration token for an agent identity. No bearer token: the
// registration token is the credential, and it names the tenant and the target.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	if err := s.doRegister(w, r); err != nil {
		s.writeError(w, r, err)
	}
}

func (s *Server) doRegister(w http.ResponseWriter, r *http.Request) error {
	var in Register
	if err := readJSON(r, &in, "a registration is {registrationToken, publicKey, name?}"); err != nil {
		return err
	}
	pub, err := base64.StdEncoding.DecodeString(in.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return badField("/publicKey", "base64 of a 32-byte Ed25519 public key")
	}
	if len(in.Name) > 128 {
		return badField("/name", "longer than 128 characters")
	}
	g, err := s.cfg.DB.RegistrationBySHA256(r.Context(), HashToken(in.RegistrationToken))
	now := s.now()
	if errors.Is(err, meta.ErrNotFound) || err == nil && (!g.UsedAt.IsZero() || !now.Before(g.ExpiresAt)) {
		return errRegistration
	}
	if err != nil {
		return err
	}
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	a := meta.Agent{ID: "agt-" + hex.EncodeToString(id), TenantID: g.TenantID, TargetID: g.TargetID, Name: in.Name,
		PublicKey: base64.StdEncoding.EncodeToString(pub), CreatedAt: now}
	if err := s.cfg.DB.Update(r.Context(), g.TenantID, func(tx meta.Tx) error { return tx.ClaimRegistration(r.Context(), g.SHA256, a, now) }); err != nil {
		return err
	}
	s.cfg.Log.Info("agent registered", "tenant", g.TenantID, "target", g.TargetID, "agent", a.ID)
	writeJSON(w, http.StatusCreated, Registered{AgentID: a.ID, TenantID: g.TenantID, TargetID: g.TargetID, TrustedKeys: s.trustedKeys()})
	return nil
}

// trustedKeys are the public keys the server signs with and trusts.
func (s *Server) trustedKeys() []TrustedKey {
	var vs []*sign.Verifier
	if s.cfg.Signer != nil {
		vs = append(vs, s.cfg.Signer.Verifier())
	}
	vs = append(vs, s.cfg.Keys.Given...)
	out := []TrustedKey{}
	seen := map[string]bool{}
	for _, v := range vs {
		pem, err := v.PublicPEM()
		if err != nil || seen[v.KeyID()] {
			continue
		}
		seen[v.KeyID()] = true
		out = append(out, TrustedKey{KeyID: v.KeyID(), Algorithm: v.Alg, PEM: string(pem)})
	}
	return out
}

// AssertionClaims are what an agent signs to get an access token.
type AssertionClaims struct {
	jwt.RegisteredClaims
}

// agentKey is the key function of a JWT an agent signed: its iss names the agent, whose record (put in
// *agent) holds the Ed25519 public key the agent registered.
func (s *Server) agentKey(ctx context.Context, agent *meta.Agent) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		iss, err := t.Claims.GetIssuer()
		if err != nil || iss == "" {
			return nil, errors.New("no iss")
		}
		if *agent, err = s.cfg.DB.AgentByID(ctx, iss); err != nil {
			return nil, err
		}
		pub, err := base64.StdEncoding.DecodeString(agent.PublicKey)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			return nil, errors.New("bad stored key")
		}
		return ed25519.PublicKey(pub), nil
	}
}

// agentToken exchanges an agent's signed assertion (a JWT, EdDSA only, by the agent's own key; iss and
// sub its id, aud "stella", at most AssertionMaxAge from iat to exp) for a short-lived access token bound
// to the agent and its target. A revoked agent gets none.
func (s *Server) agentToken(w http.ResponseWriter, r *http.Request) {
	if err := s.doAgentToken(w, r); err != nil {
		s.writeError(w, r, err)
	}
}

var errAssertion = fault.Wrap(fault.Unauthenticated, errors.New("the agent assertion is invalid, expired, or its agent unknown or revoked"))

func (s *Server) doAgentToken(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var in struct {
		Assertion string `json:"assertion"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Assertion == "" {
		return badField("/assertion", "required: a JWT signed by the agent's key")
	}
	var agent meta.Agent
	claims := &AssertionClaims{}
	now := s.cfg.Now()
	_, err = jwt.ParseWithClaims(in.Assertion, claims, s.agentKey(r.Context(), &agent), jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithAudience(AssertionAudience), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithLeeway(30*time.Second))
	if err != nil {
		if !errors.Is(err, meta.ErrNotFound) && !errors.Is(err, jwt.ErrTokenInvalidClaims) && !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
			s.cfg.Log.Info("agent assertion refused", "err", err)
		}
		return errAssertion
	}
	if sub, _ := claims.GetSubject(); sub != agent.ID || !agent.RevokedAt.IsZero() ||
		claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > AssertionMaxAge {
		return errAssertion
	}
	tok, rec := NewToken(agent.TenantID, meta.RoleAgent, "agent "+agent.ID, now, AgentTokenTTL)
	rec.AgentID, rec.TargetID = agent.ID, agent.TargetID
	err = s.cfg.DB.Update(r.Context(), agent.TenantID, func(tx meta.Tx) error {
		if err := tx.CreateToken(r.Context(), rec); err != nil {
			return err
		}
		return tx.AgentSeen(r.Context(), agent.ID, now)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, AgentToken{AccessToken: tok, ExpiresAt: rec.ExpiresAt})
	return nil
}

// heartbeat records that the calling agent is alive.
func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	if p.AgentID == "" {
		return fault.Wrap(fault.Forbidden, errors.New("only a registered agent sends heartbeats"))
	}
	now := s.cfg.Now()
	if err := s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error { return tx.AgentSeen(r.Context(), p.AgentID, now) }); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"agentId": p.AgentID, "targetId": p.TargetID, "serverTime": now.UTC()})
	return nil
}

// agentMay says whether the caller may see deployment job id: everyone of the tenant but an agent, which
// sees only the jobs with a task on its own target. Another target's job is absent, as another tenant's.
func agentMay(ctx context.Context, tx meta.Tx, p meta.Token, id string) error {
	if p.Role != meta.RoleAgent {
		return nil
	}
	ks, err := tx.Tasks(ctx, id)
	if err != nil {
		return err
	}
	for _, k := range ks {
		if p.TargetID != "" && k.TargetID == p.TargetID {
			return nil
		}
	}
	return fault.NotFoundf("deployment %s of tenant %s: %v", capID(id), p.TenantID, meta.ErrNotFound)
}

// agentAlive refuses an agent's access token once its agent is revoked: revocation takes effect at the
// agent's next request once the token's lookup is no longer cached (LookupCacheTTL, token.go).
func (s *Server) agentAlive(ctx context.Context, k meta.Token) error {
	if k.AgentID == "" {
		return nil
	}
	a, err := s.cfg.DB.AgentByID(ctx, k.AgentID)
	if err != nil || !a.RevokedAt.IsZero() || a.TenantID != k.TenantID {
		return fault.Wrap(fault.Unauthenticated, errors.New("the bearer token is unknown, expired or revoked"))
	}
	return nil
}
