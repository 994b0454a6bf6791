package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/sticker"
)

// issueSticker completes the sticker of a deployment job for the calling agent's target — target,
// completion time, the agent, and what the target carried before (previous) — signs it, records it,
// and answers it: the version sticker the agent writes on its host. The template comes from the stored
// set, never from the caller.
func (s *Server) issueSticker(w http.ResponseWriter, r *http.Request, p meta.Token) error {
	if p.AgentID == "" || p.TargetID == "" {
		return fault.Wrap(fault.Forbidden, errors.New("only a registered agent is issued its target's sticker"))
	}
	if s.cfg.Signer == nil {
		return unavailable("this server has no signing key (stella serve --key REF): it cannot sign stickers")
	}
	id := r.PathValue("id")
	var d meta.Deployment
	var prev *sticker.Sticker
	err := s.cfg.DB.View(r.Context(), p.TenantID, func(tx meta.Tx) error {
		var err error
		if d, err = tx.Deployment(r.Context(), id); err != nil {
			return err
		}
		if err := agentMay(r.Context(), tx, p, d.ID); err != nil {
			return err
		}
		ss, err := tx.Stickers(r.Context(), p.TargetID)
		if err != nil {
			return err
		}
		for _, x := range ss {
			if x.DeploymentID != d.ID {
				if st, err := sticker.Parse(x.Doc); err == nil {
					prev = st
				}
				break
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fsys, err := s.openSet(r.Context(), p.TenantID, d)
	if err != nil {
		return fmt.Errorf("issue sticker of %s: %w", d.ID, err)
	}
	tpl, err := fs.ReadFile(fsys, sticker.FileName)
	if err != nil {
		return fmt.Errorf("issue sticker of %s: %w", d.ID, err)
	}
	st, err := sticker.Parse(tpl)
	if err != nil {
		return fault.Wrap(fault.Verification, fmt.Errorf("deployment %s: %s: %w", d.ID, sticker.FileName, err))
	}
	if st.TenantID != p.TenantID || st.Deployment.ID != d.ID {
		return fault.Wrap(fault.Verification, fmt.Errorf("deployment %s: the stored sticker is signed for %s/%s", d.ID, st.TenantID, st.Deployment.ID))
	}
	name := p.TargetID
	if raw, err := fs.ReadFile(fsys, manifest.FileName); err == nil {
		if m, err := manifest.Parse(raw); err == nil && m.Subject != nil {
			for _, t := range m.Subject.Targets {
				if t.ID == p.TargetID {
					name = t.Name
				}
			}
		}
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	st.SignedFields = sign.SignedFields{}
	st.Deployment.TargetID, st.Deployment.TargetName, st.Deployment.CompletedAt = p.TargetID, name, now.Format(time.RFC3339)
	st.Deployer.AgentID, st.Deployer.AgentName = p.AgentID, p.Name
	if prev != nil && prev.Release.ID != "" {
		st.Previous = sticker.Previous{ReleaseID: prev.Release.ID, ReleaseName: prev.Release.Name}
		if len(prev.Release.Components) > 0 {
			st.Previous.Digest = prev.Release.Components[0].Digest
		}
	}
	data, err := st.Sign(s.cfg.Signer)
	if err != nil {
		return err
	}
	sid := make([]byte, 8)
	_, _ = rand.Read(sid)
	rec := meta.Sticker{ID: "stk-" + hex.EncodeToString(sid), DeploymentID: d.ID, TargetID: p.TargetID, IssuedAt: now, SHA256: checksum.Sum(data), Doc: data}
	if err := s.cfg.DB.Update(r.Context(), p.TenantID, func(tx meta.Tx) error { return tx.PutSticker(r.Context(), rec) }); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("ETag", `"`+rec.SHA256+`"`)
	w.WriteHeader(http.StatusCreated)
	_, err = w.Write(data)
	return err
}
