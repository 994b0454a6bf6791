package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stella-ops/stella/internal/atomicfile"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/sticker"
	"github.com/stella-ops/stella/internal/store"
)

// ApplyOffline deploys a set carried to an air-gapped target by hand: it copies the set into the agent's
// sets (so what is verified is what runs), verifies it bound to this agent's tenant and the set's
// deployment, applies it as a deploy task would, writes the set's sticker for this target, and returns
// the signed result to carry back (server.OfflineResult, signed with the agent's key) whatever happened.
func (a *Agent) ApplyOffline(ctx context.Context, setDir string, log io.Writer) (signed string, out *DeployOutput, err error) {
	raw, err := os.ReadFile(filepath.Join(setDir, manifest.FileName))
	if err != nil {
		return "", nil, fault.Inputf("SET %s: not an artifact set: %v", setDir, errors.Unwrap(err))
	}
	m, err := manifest.Parse(raw)
	if err != nil || store.CheckName("deployment id", m.DeploymentID) != nil {
		return "", nil, fault.Inputf("SET %s: %s is not a Stella manifest", setDir, manifest.FileName)
	}
	id := m.DeploymentID
	start := time.Now().UTC()
	dir, err := a.stage(setDir, id)
	if err == nil {
		out, err = a.Apply(ctx, dir, id, log)
	}
	if err == nil {
		var path string
		path, err = a.writeSetSticker(dir, m)
		if out != nil {
			out.StickerPath = path
		}
	}
	res := server.TaskResult{Status: "succeeded", StartedAt: start, FinishedAt: time.Now().UTC()}
	if err != nil {
		res.Status, res.Error = "failed", err.Error()
		res.Retriable = !fault.Is(err, fault.Verification) && !fault.Is(err, fault.Input)
	}
	if out == nil {
		out = &DeployOutput{DeploymentID: id}
	}
	res.Output, _ = json.Marshal(out)
	now := time.Now()
	tok, serr := jwt.NewWithClaims(jwt.SigningMethodEdDSA, server.OfflineResult{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: a.State.AgentID, Subject: a.State.AgentID,
			Audience: jwt.ClaimStrings{server.OfflineAudience}, IssuedAt: jwt.NewNumericDate(now)},
		TenantID: a.State.TenantID, TargetID: a.State.TargetID, DeploymentID: id, Result: res,
	}).SignedString(a.key)
	if serr != nil {
		return "", out, serr
	}
	return tok, out, err
}

// stage copies the regular files of a set into the agent's sets/ID (a private temporary directory first,
// renamed into place), or keeps the copy already there.
func (a *Agent) stage(setDir, id string) (string, error) {
	dir := a.setDir(id)
	if _, err := os.Stat(filepath.Join(dir, manifest.FileName)); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".offline-"+id+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	ents, err := os.ReadDir(setDir)
	if err != nil {
		return "", fault.Inputf("SET %s: %v", setDir, err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue // verification names what is missing
		}
		b, err := os.ReadFile(filepath.Join(setDir, e.Name()))
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(tmp, e.Name()), b, 0o600); err != nil {
			return "", err
		}
	}
	return a.keep(tmp, id)
}

// writeSetSticker writes the set's own signed sticker of this target (stella.version.NAME.json, when
// generated with --target-name), else the set's sticker: offline nobody completes it; the server's
// next drift check compares it with what it issued.
func (a *Agent) writeSetSticker(dir string, m *manifest.Manifest) (string, error) {
	name := sticker.FileName
	if m.Subject != nil {
		for _, t := range m.Subject.Targets {
			if t.ID == a.State.TargetID {
				if _, err := os.Stat(filepath.Join(dir, "stella.version."+t.Name+".json")); err == nil {
					name = "stella.version." + t.Name + ".json"
				}
			}
		}
	}
	doc, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "", err
	}
	return a.putSticker(doc)
}

// putSticker writes a checked sticker atomically as STICKER-DIR/stella.version.json, keeping the last
// five as stella.version.json.1 … .5.
func (a *Agent) putSticker(doc []byte) (string, error) {
	if err := os.MkdirAll(a.StickerDir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(a.StickerDir, sticker.FileName)
	for i := 5; i >= 1; i-- {
		from := path
		if i > 1 {
			from = fmt.Sprintf("%s.%d", path, i-1)
		}
		if _, err := os.Stat(from); err == nil {
			if err := os.Rename(from, fmt.Sprintf("%s.%d", path, i)); err != nil {
				return "", err
			}
		}
	}
	return path, atomicfile.Write(path, doc, 0o644)
}
