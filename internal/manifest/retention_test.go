package manifest_test

import (
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/release"
)

// The manifest's retainUntil is the environment's: the tier's, lengthened by the environment's
// retention override.
func TestManifestRetainUntil(t *testing.T) {
	now := time.Date(2024, 2, 29, 10, 0, 0, 0, time.UTC)
	rel := &release.Release{ID: "rel-1", Name: "r"}
	for _, c := range []struct {
		env  release.Environment
		want string
	}{
		{release.Environment{ID: "e", Name: "e", Tier: "production"}, "2031-03-01T10:00:00Z"},
		{release.Environment{ID: "e", Name: "e", Tier: "production", Retention: "10y"}, "2034-03-01T10:00:00Z"},
		{release.Environment{ID: "e", Name: "e", Tier: "development", Retention: "90d"}, "2024-05-29T10:00:00Z"},
		{release.Environment{ID: "e", Name: "e", Tier: "staging"}, "2024-05-29T10:00:00Z"},
	} {
		m := manifest.New("t", "d", rel, &c.env, now, "stella")
		if m.RetainUntil != c.want {
			t.Errorf("%s %q: retainUntil %s, want %s", c.env.Tier, c.env.Retention, m.RetainUntil, c.want)
		}
	}
}
