package cli

import (
	"time"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/generate"
	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/record"
	"github.com/stella-ops/stella/internal/release"
	"github.com/stella-ops/stella/internal/sticker"
	"github.com/stella-ops/stella/internal/store"
)

// loadPromotion reads --promotion, if given, and reconciles it with --promotion-id. A denied promotion
// is not deployed.
func loadPromotion(o *GenerateOptions) (*evidence.Promotion, error) {
	if o.Promotion == "" {
		return nil, nil
	}
	p, err := evidence.LoadPromotion(o.Promotion)
	if err != nil {
		return nil, err
	}
	if o.PromotionID != "" && o.PromotionID != p.ID {
		return nil, fault.Inputf("--promotion-id: %q differs from the id %q of %s", o.PromotionID, p.ID, o.Promotion)
	}
	if p.Decision != "allow" {
		return nil, fault.Inputf("%s: decision: %s; only an allowed promotion is deployed", o.Promotion, p.Decision)
	}
	o.PromotionID = p.ID
	return p, nil
}

type storedSet struct {
	files     []record.File
	manifest  *manifest.Manifest
	createdAt time.Time
}

// adoptStored reads a set that is stored but not recorded, if it is the same deployment (same release and
// environment) and intact; otherwise it fails and the caller reports the set as already existing.
func adoptStored(cmd *cobra.Command, st store.Store, ref store.Ref, in *generate.Inputs) (*storedSet, error) {
	fsys, err := st.Open(cmd.Context(), ref)
	if err != nil {
		return nil, err
	}
	files, m, err := record.StoredFiles(fsys)
	if err != nil {
		return nil, err
	}
	if m.TenantID != ref.Tenant || m.DeploymentID != ref.Deployment || m.Release.ID != in.Release.ID || m.Environment.ID != in.Environment.ID {
		return nil, fault.Existsf("deployment %s already exists", ref)
	}
	at, err := time.Parse(time.RFC3339, m.CreatedAt)
	if err != nil {
		return nil, err
	}
	return &storedSet{files: files, manifest: m, createdAt: at}, nil
}

// deploymentTargets are the targets named by --target-name, else every target of the environment.
func deploymentTargets(env *release.Environment, names []string) []release.Target {
	if len(names) == 0 {
		return env.Targets
	}
	var out []release.Target
	for _, n := range names {
		t := release.Target{ID: n, Name: n}
		for _, x := range env.Targets {
			if x.Name == n {
				t = x
			}
		}
		out = append(out, t)
	}
	return out
}

func pinDigests(pins []lockfile.Pin) map[string]string {
	m := map[string]string{}
	for _, p := range pins {
		if p.ComponentID != "" {
			m[p.ComponentID] = p.Digest
		}
	}
	return m
}

// previousOf turns the sticker's --previous-* flags into the packet's previous: the digest is the
// primary component's.
func previousOf(p sticker.Previous, rel *release.Release) *evidence.Previous {
	if p.ReleaseID == "" && p.Digest == "" {
		return nil
	}
	pv := &evidence.Previous{ReleaseID: p.ReleaseID, ReleaseName: p.ReleaseName, Digests: map[string]string{}}
	if p.Digest != "" {
		name := "primary"
		for _, c := range rel.Components {
			if c.Role == "" || c.Role == "primary" {
				name = c.Name
				break
			}
		}
		pv.Digests[name] = p.Digest
	}
	return pv
}
