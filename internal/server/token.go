package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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

// tokenCache remembers, for a bounded time, what authenticate found for a token's SHA-256: the token
// record once its agent (if any) was found alive. A revocation made elsewhere (`stella tokens revoke`,
// `stella agents revoke`, another replica) therefore takes effect within ttl; expiry is still judged at
// every request against the clock, so an expired token is refused at once. Unknown tokens are never
// cached (a client making up tokens cannot fill it), and the cache holds at most maxTokens entries:
// when full it starts over.
type tokenCache struct {
	ttl time.Duration
	mu  sync.RWMutex
	m   map[string]cachedToken
}

type cachedToken struct {
	tok     meta.Token
	fetched time.Time
}

const maxTokens = 10_000

func (c *tokenCache) get(sum string, now time.Time) (meta.Token, bool) {
	if c == nil || c.ttl <= 0 {
		return meta.Token{}, false
	}
	c.mu.RLock()
	e, ok := c.m[sum]
	c.mu.RUnlock()
	if !ok || now.Sub(e.fetched) >= c.ttl || now.Before(e.fetched) {
		return meta.Token{}, false
	}
	return e.tok, true
}

func (c *tokenCache) put(sum string, tok meta.Token, now time.Time) {
	if c == nil || c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxTokens {
		c.m = map[string]cachedToken{}
	}
	c.m[sum] = cachedToken{tok: tok, fetched: now}
	c.mu.Unlock()
}
