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
// the hash and never the token, checks on every request that its token is still usable.
func (s *Server) AuthenticateHash(ctx context.Context, sum string) (meta.Token, error) {
	k, err := s.cfg.DB.TokenBySHA256(ctx, sum)
	if errors.Is(err, meta.ErrNotFound) || err == nil && !k.Usable(s.cfg.Now()) {
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
