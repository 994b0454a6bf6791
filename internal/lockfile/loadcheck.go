package lockfile

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// ProjectName is the project name the loader check uses; Compose needs one, its value changes nothing
// the check looks at.
const ProjectName = "stella"

// Load loads a lock with compose-go's own loader the way `docker compose --env-file stella.env config`
// would on the target — interpolation (lookup's values, placeholders for what only the target knows),
// schema, normalisation and the consistency checks (unique container names, known networks, volumes and
// secrets, depends_on targets, exclusive device reservation fields…) — and returns the project. Files
// the lock refers to (env_file, label_file) live on the target and are not read. dir is the directory
// the lock's relative paths are taken from.
func Load(ctx context.Context, file string, lock []byte, dir string, lookup Lookup) (*types.Project, error) {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	return loader.LoadWithContext(ctx, types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: file, Content: lock}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) {
		o.SetProjectName(ProjectName, true)
		o.SkipResolveEnvironment = true
		o.SkipResolveLabels = true
		o.ResolvePaths = false
		if o.Interpolate != nil {
			o.Interpolate.LookupValue = func(k string) (string, bool) { return lookup(k) }
			o.Interpolate.Substitute = substitute
		}
	})
}

// CheckLock loads the rendered lock with compose-go's loader (see Load), so that Stella never signs a
// lock Compose would refuse. An error names the template's file and line of the path compose-go names.
func (t *Template) CheckLock(ctx context.Context, lock []byte, lookup Lookup) error {
	_, err := Load(ctx, FileName, lock, filepath.Dir(t.File), lookup)
	if err == nil {
		return nil
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "validating "+FileName+": ")
	return t.pathError("Compose refuses the lock: ", fmt.Errorf("%s", msg))
}
