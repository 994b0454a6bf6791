package server

import (
	"net/http"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/meta"
)

// Mount serves h for pattern (e.g. "/ui/") through the server's request log and metrics. A mounted
// handler is not an API route: openapi.json does not list it, and its errors are its own (the web
// interface answers HTML).
func (s *Server) Mount(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// DB is the metadata database the server reads.
func (s *Server) DB() meta.DB { return s.cfg.DB }

// Now is the server's clock.
func (s *Server) Now() time.Time { return s.cfg.Now() }

// EvidenceKeys are the keys evidence packets are checked with: the server's given public keys (and its
// own signing key), else the keyring by each packet's signerKeyRef.
func (s *Server) EvidenceKeys() evidence.KeySet {
	ks := evidence.KeySet{Public: s.trust.Given, Keyring: s.cfg.Keys.Keyring}
	if len(ks.Public) == 0 && ks.Keyring == nil && s.cfg.Signer != nil {
		ks.Public = append(ks.Public, s.cfg.Signer.Verifier())
	}
	return ks
}

// Writers may change state (a drift check, a deployment); every person may read and verify.
func Writer(role string) bool { return role == meta.RoleAdmin || role == meta.RoleDeployer }
