package cli

import (
	"context"

	"github.com/spf13/cobra"
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

func (o *dbOptions) open(ctx context.Context) (meta.DB, error) { return connect.Open(ctx, o.URL()) }

// dataDir is the data directory the flags name (also where caches live with a --database URL).
func (o *dbOptions) dataDir() string {
	if o.Data != "" {
		return o.Data
	}
	return connect.DefaultDataDir()
}
