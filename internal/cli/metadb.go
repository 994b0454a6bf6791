package cli

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/connect"
)

// dbOptions are the flags of commands that use the metadata database.
type dbOptions struct {
	Data     string
	Database string
}

func (o *dbOptions) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.Data, "data", "", "data directory of the embedded database (default $STELLA_DATA, else ./stella-data)")
	cmd.Flags().StringVar(&o.Database, "database", "", "metadata database URL, sqlite://PATH or postgres://…; overrides --data (default $STELLA_DATABASE)")
}

// URL is the database the flags name: --database, else $STELLA_DATABASE (unless --data is given), else
// the embedded database of the data directory. $STELLA_DATABASE keeps a PostgreSQL URL and its password
// off every command line.
func (o *dbOptions) URL() string {
	db := o.Database
	if db == "" && o.Data == "" {
		db = os.Getenv("STELLA_DATABASE")
	}
	return connect.URL(o.Data, db)
}

// open opens the database, creating an embedded one that does not exist yet: for the commands that
// record (generate, db init).
func (o *dbOptions) open(ctx context.Context) (meta.DB, error) { return connect.Open(ctx, o.URL()) }

// openExisting opens the database for a command that only reads it, or writes into a database that must
// already be there (tokens, serve): an embedded database that does not exist is bad input naming the
// path and the flag, and nothing is created.
func (o *dbOptions) openExisting(ctx context.Context) (meta.DB, error) {
	url := o.URL()
	if path, ok := strings.CutPrefix(url, "sqlite://"); ok {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			flag := "--data"
			if o.Database != "" {
				flag = "--database"
			}
			return nil, fault.Inputf("%s: no metadata database at %s (stella generate or stella db init creates one)", flag, path)
		}
	}
	return connect.Open(ctx, url)
}

// cacheDir is where generate keeps its caches: the data directory; with a --database URL (and no
// --data) the user's cache directory, never a stella-data directory made in the working directory.
func (o *dbOptions) cacheDir() string {
	if o.Data != "" {
		return o.Data
	}
	if o.Database != "" || os.Getenv("STELLA_DATABASE") != "" {
		if d, err := os.UserCacheDir(); err == nil {
			return filepath.Join(d, "stella")
		}
		return filepath.Join(os.TempDir(), "stella-cache")
	}
	return connect.DefaultDataDir()
}

// validCache is generate's memo of templates that passed the Compose checks, in the cache directory dir.
func validCache(dir string) lockfile.DirCache {
	return lockfile.DirCache{Dir: filepath.Join(dir, "cache", "compose-valid")}
}

// loadsCache is the memo of locks that passed the checks (lockfile.LoadKey) in the cache directory dir:
// generate (and serve, generating jobs) writes it, verify and fsck only read it.
func loadsCache(dir string) lockfile.DirCache {
	return lockfile.DirCache{Dir: filepath.Join(dir, "cache", "compose-loads")}
}
