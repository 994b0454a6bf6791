package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/retention"
	"github.com/stella-ops/stella/internal/store"
)

// holdOut is a deployment's legal hold as the API answers it.
type holdOut struct {
	Deployment string    `json:"deploymentId"`
	HeldAt     time.Time `json:"heldAt"`
	HeldBy     string    `json:"heldBy"`
	Reason     string    `json:"reason"`
	EvidenceID string    `json:"evidenceId"`
}

// getHold answers a deployment's legal hold, or 404 when it has none.
func (s *Server) getHold(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	id := r.PathValue("id")
	var h meta.Hold
	err := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		if _, err := tx.Deployment(r.Context(), id); err != nil {
			return err
		}
		var err error
		h, err = tx.Hold(r.Context(), id)
		return err
	})
	if err != nil {
		return notFoundID(err, "hold of deployment", id)
	}
	writeJSON(w, http.StatusOK, holdOut{Deployment: h.DeploymentID, HeldAt: h.HeldAt.UTC(), HeldBy: h.HeldBy, Reason: h.Reason, EvidenceID: h.EvidenceID})
	return nil
}

// putHold puts a legal hold on a deployment's set (retention.Hold: a retention_hold packet naming the
// token's holder; on S3 the objects' Object Lock legal hold too); 409 when it is held already.
func (s *Server) putHold(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	return s.holdOrRelease(w, r, p, true)
}

// deleteHold lifts it (retention.Release: a retention_release packet naming the hold's); 404 without
// a hold.
func (s *Server) deleteHold(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	return s.holdOrRelease(w, r, p, false)
}

func (s *Server) holdOrRelease(w http.ResponseWriter, r *http.Request, p meta.Token, hold bool) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := readJSON(r, &in, "a hold or its release is {reason}"); err != nil {
		return err
	}
	if strings.TrimSpace(in.Reason) == "" {
		return badField("/reason", "required: why the set is held or released (recorded in the evidence packet)")
	}
	if s.cfg.Signer == nil {
		return unavailable("this server has no signing key (stella serve --key REF): it cannot sign the hold's evidence")
	}
	o := retention.Options{DB: s.cfg.DB, Store: s.cfg.Store, Signer: s.cfg.Signer, Actor: person(p).Name}
	do, status := retention.Hold, http.StatusCreated
	if !hold {
		do, status = retention.Release, http.StatusOK
	}
	res, err := do(r.Context(), o, store.Ref{Tenant: p.TenantID, Deployment: r.PathValue("id")}, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, status, res)
	return nil
}
