package lockfile

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/stella-ops/stella/internal/release"
)

// Pin is how one service's image is pinned.
type Pin struct {
	Service     string `json:"service"`
	Repository  string `json:"repository"`            // as written in the lock, without tag or digest
	Tag         string `json:"tag,omitempty"`         // the original tag ("" when pinned by digest alone)
	Digest      string `json:"digest"`                // sha256:…; empty until resolved
	ComponentID string `json:"componentId,omitempty"` // the release component that fills the service
	// Reference is "repository:tag" when the digest must come from a registry.
	Reference string `json:"reference,omitempty"`
	line      int
}

// Image is the pinned reference written in the lock.
func (p Pin) Image() string { return p.Repository + "@" + p.Digest }

// splitRef splits an image reference as written into repository, tag and digest without normalising
// the repository (postgres stays postgres, not index.docker.io/library/postgres).
func splitRef(s string) (repo, tag, digest string) {
	repo = s
	if i := strings.Index(repo, "@"); i >= 0 {
		repo, digest = repo[:i], repo[i+1:]
	}
	if i := strings.LastIndex(repo, ":"); i >= 0 && !strings.Contains(repo[i:], "/") {
		repo, tag = repo[:i], repo[i+1:]
	}
	return repo, tag, digest
}

func sameRepository(a, b string) bool {
	ra, errA := name.NewRepository(a)
	rb, errB := name.NewRepository(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return ra.Name() == rb.Name()
}

// Pins decides how every service is pinned: a service a release component fills takes the component's
// image and digest (the release is the source of truth); any other service keeps the digest in its
// image reference. A pin with an empty Digest needs registry resolution of its Reference.
func (t *Template) Pins(rel *release.Release) ([]Pin, error) {
	for i, c := range rel.Components {
		if !t.HasService(c.Name) {
			p := fmt.Sprintf("components[%d].name", i)
			return nil, inputErr(rel.File, rel.Line(p), p, "the Compose template %s has no service %q", t.File, c.Name)
		}
	}
	pins := make([]Pin, 0, len(t.services))
	for _, s := range t.services {
		field := "services." + s.name + ".image"
		file := t.originOf(t.File, "services."+s.name)
		k, v := get(s.node, "image")
		raw, line := "", s.key.Line
		if v != nil {
			raw, line = v.Value, k.Line
			if v.Kind != 8 /* scalar */ && v.Kind != 0 {
				return nil, inputErr(file, line, field, "must be a string")
			}
		}
		var tRepo, tTag, tDigest string
		if raw != "" && !strings.Contains(raw, "$") {
			if _, err := name.ParseReference(raw); err != nil {
				return nil, inputErr(file, line, field, "%q is not a valid image reference: %v", raw, err)
			}
			tRepo, tTag, tDigest = splitRef(raw)
			if tDigest != "" && !release.IsDigest(tDigest) {
				return nil, inputErr(file, line, field, "digest %q is not sha256: followed by 64 lowercase hex digits", tDigest)
			}
		}
		p := Pin{Service: s.name, line: line}
		if c := rel.Component(s.name); c != nil {
			if tRepo != "" && !sameRepository(tRepo, c.Image) {
				return nil, inputErr(file, line, field, "repository %q differs from the release component %q's image %q", tRepo, c.Name, c.Image)
			}
			p.Repository, p.Tag, p.Digest, p.ComponentID = c.Image, c.Tag, c.Digest, c.ID
			if p.Tag == "" {
				p.Tag = tTag
			}
			if p.Tag == "" && tDigest == "" {
				p.Tag = "latest"
			}
			if p.Digest == "" && tDigest != "" && tRepo != "" {
				p.Digest = tDigest
			}
			if p.Digest == "" {
				p.Reference = p.Repository + ":" + p.Tag
			}
			pins = append(pins, p)
			continue
		}
		switch {
		case raw == "":
			if _, b := get(s.node, "build"); b != nil {
				return nil, inputErr(file, s.key.Line, "services."+s.name, "a build-only service needs a release component that gives its image and digest")
			}
			return nil, inputErr(file, s.key.Line, "services."+s.name, "no image, and no release component fills it")
		case strings.Contains(raw, "$"):
			return nil, inputErr(file, line, field, "%q uses a variable; an image must be pinned at generation time (name it in a release component)", raw)
		}
		p.Repository, p.Tag, p.Digest = tRepo, tTag, tDigest
		if p.Digest == "" {
			if p.Tag == "" {
				p.Tag = "latest"
			}
			p.Reference = p.Repository + ":" + p.Tag
		}
		pins = append(pins, p)
	}
	return pins, nil
}

// Unpinned returns the pins that still need a digest, and an error naming every such service when
// resolution is not available.
func Unpinned(pins []Pin) []Pin {
	var out []Pin
	for _, p := range pins {
		if p.Digest == "" {
			out = append(out, p)
		}
	}
	return out
}

// UnpinnedError names every service whose image has no known digest.
func UnpinnedError(file string, pins []Pin) error {
	var parts []string
	for _, p := range pins {
		parts = append(parts, fmt.Sprintf("%s (%s, line %d)", p.Service, p.Reference, p.line))
	}
	return inputErr(file, 0, "", "no digest known for %d image(s): %s; give each a digest in the release or the template, or enable registry resolution", len(pins), strings.Join(parts, ", "))
}
