package verify

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/sticker"
)

// SetAt verifies the set in fsys as Set does, and also that it belongs where it was found: its signed
// manifest and every signed sticker must name tenant and deployment. A legitimately signed set of another
// tenant, or of another deployment, copied into this place does not verify here.
func SetAt(fsys fs.FS, keys Keys, tenant, deployment string) (*Result, error) {
	return SetAtWith(fsys, keys, tenant, deployment, Options{})
}

// SetAtWith is SetAt with options.
func SetAtWith(fsys fs.FS, keys Keys, tenant, deployment string, o Options) (*Result, error) {
	c, err := check(fsys, keys, o)
	if err != nil {
		return nil, err
	}
	res := c.res
	bind := func(file, what, want, got string) {
		if want != got {
			res.Problems = append(res.Problems, fault.Problem{File: file, Message: fmt.Sprintf("signed for %s %q, but found as %s %q: a set verifies only at STORE/tenantId/deploymentId", what, got, what, want), Expected: want, Found: got})
		}
	}
	if m := c.man; m != nil {
		bind(manifest.FileName, "tenant", tenant, m.TenantID)
		bind(manifest.FileName, "deployment", deployment, m.DeploymentID)
	}
	// The files as read once by check (a file that could not be read is a problem already).
	for _, n := range slices.Sorted(maps.Keys(c.files)) {
		if !strings.HasPrefix(n, "stella.version.") || !strings.HasSuffix(n, ".json") {
			continue
		}
		raw, _ := c.content(n)
		var st sticker.Sticker
		if json.Unmarshal(raw, &st) == nil {
			bind(n, "tenant", tenant, st.TenantID)
			bind(n, "deployment", deployment, st.Deployment.ID)
		}
	}
	res.Valid = len(res.Problems) == 0
	for i := range res.Files {
		for _, p := range res.Problems {
			if p.File == res.Files[i].Name {
				res.Files[i].OK = false
			}
		}
	}
	return res, nil
}
