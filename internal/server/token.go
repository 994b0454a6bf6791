package server

import (
	"context"
	"errors"
	"fmt"

	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"github.com/stella-ops/stella/internal/fault"
	"strings"
	"sync"
	"time"

	"github.com/stella-ops/stella/internal/meta"
)

// TokenPrefix starts every bearer token, so a leaked token is recognisable (secret scanners, logs).
const TokenPrefix = "stl_"

// NewToken makes a bearer token for tenant and role: 32 bytes from crypto/rand, base64url after
// TokenPrefix. It returns the token, to hand to its user once, and the record to store, which holds only
// the token's SHA-256. A zero ttl means the token does not expire.
func NewToken(tenant, role, name string, now time.Time, ttl time.Duration) (string, meta.Token) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	sum := HashToken(secret)
	k := meta.Token{ID: "tok-" + sum[:16], TenantID: tenant, Role: role, Name: name, SHA256: sum, CreatedAt: now.UTC()}
	if ttl > 0 {
		k.ExpiresAt = now.Add(ttl).UTC()
	}
	return secret, k
}

// HashToken is the hex SHA-256 of the token's exact string: what the database stores and looks up.
func HashToken(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

// bearer extracts the token of an "Authorization: Bearer TOKEN" header value.
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// Authenticate finds the record of a bearer token (as a sign-in form gives it): unknown, expired and
// revoked tokens, and those of a revoked agent, are all fault.Unauthenticated with one message. The API
// and the web interface's sign-in check a token the same way.
func (s *Server) Authenticate(ctx context.Context, token string) (meta.Token, error) {
	return s.AuthenticateHash(ctx, HashToken(token))
}

// AuthenticateHash is Authenticate by the token's SHA-256 (HashToken): how a web session, which keeps
// the hash and never the token, checks on every request that its token is still usable. It always asks
// the database (a revoked token ends a session at once); the API's bearer tokens go through
// authenticateCached.
func (s *Server) AuthenticateHash(ctx context.Context, sum string) (meta.Token, error) {
	return s.lookupToken(ctx, sum, s.cfg.Now())
}

// authenticateCached is AuthenticateHash through s.tokens, given the token's SHA-256: what it found is
// kept for LookupCacheTTL (lookupCache), so a revocation takes effect for an API client within that
// time. The cache is keyed by the digest itself; only a lookup in the database spells it in hex.
func (s *Server) authenticateCached(ctx context.Context, sum [sha256.Size]byte) (meta.Token, error) {
	now := s.cfg.Now()
	if k, ok := s.tokens.get(sum, now); ok && k.Usable(now) {
		return k, nil
	}
	k, err := s.lookupToken(ctx, hex.EncodeToString(sum[:]), now)
	if err == nil {
		s.tokens.put(sum, k, now)
	}
	return k, err
}

func (s *Server) lookupToken(ctx context.Context, sum string, now time.Time) (meta.Token, error) {
	k, err := s.cfg.DB.TokenBySHA256(ctx, sum)
	if errors.Is(err, meta.ErrNotFound) || err == nil && !k.Usable(now) {
		return meta.Token{}, fault.Wrap(fault.Unauthenticated, errors.New("the bearer token is unknown, expired or revoked"))
	}
	if err != nil {
		return meta.Token{}, fmt.Errorf("authenticate: %w", err)
	}
	if err := s.agentAlive(ctx, k); err != nil {
		return meta.Token{}, err
	}
	return k, nil
}

// lookupCache remembers, for a bounded time, what a database lookup of the request path found: a
// token's record (authenticate, once its agent if any was found alive) and a deployment's artifact
// records (download.go). A revocation made elsewhere (`stella tokens revoke`, `stella agents revoke`,
// another replica) therefore takes effect within ttl, and so does a deployment's removal; a token's
// expiry is still judged at every request against the clock, so an expired token is refused at once.
// Only what was found is kept — an unknown token or deployment is looked up every time, so a client
// making up names cannot fill the cache — and it holds at most maxCached entries, and with a cost
// function at most maxCost of what it counts: when full it starts over. A zero ttl keeps nothing.
type lookupCache[K comparable, V any] struct {
	ttl time.Duration
	// cost, when set, is what an entry counts against maxCost (download.go: the bytes kept).
	cost    func(V) int
	maxCost int
	mu      sync.RWMutex
	m       map[K]cached[V]
	spent   int
}

type cached[V any] struct {
	v       V
	fetched time.Time
}

const maxCached = 10_000

func (c *lookupCache[K, V]) get(key K, now time.Time) (V, bool) {
	var zero V
	if c.ttl <= 0 {
		return zero, false
	}
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || now.Sub(e.fetched) >= c.ttl || now.Before(e.fetched) {
		return zero, false
	}
	return e.v, true
}

func (c *lookupCache[K, V]) put(key K, v V, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cost := 0
	if c.cost != nil {
		cost = c.cost(v)
		if old, ok := c.m[key]; ok {
			c.spent -= c.cost(old.v)
		}
	}
	if c.m == nil || len(c.m) >= maxCached || (c.cost != nil && c.spent+cost > c.maxCost) {
		c.m, c.spent = map[K]cached[V]{}, 0
	}
	c.m[key] = cached[V]{v: v, fetched: now}
	c.spent += cost
}
