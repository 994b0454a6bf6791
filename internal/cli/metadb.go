package cli

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/fault"
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
	cmd.Flags().StringVar(&o.Database, "database", "", "metadata database URL, sqlite://PATH or postgres://…; overrides --data")
}

// URL is the database the flags name.
func (o *dbOptions) URL() string { return connect.URL(o.Data, o.Database) }

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

// dataDir is the data directory the flags name (also where caches live with a --database URL).
func (o *dbOptions) dataDir() string {
	if o.Data != "" {
		return o.Data
	}
	return connect.DefaultDataDir()
}
