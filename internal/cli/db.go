package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/meta/connect"
)

var _ = register(newDBCommand)

func newDBCommand(g *Globals) *cobra.Command {
	cmd := &cobra.Command{Use: "db", Short: "The metadata database"}
	var o dbOptions
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Create the metadata database (or bring it to this stella's schema) and print its URL",
		Long: `Init creates the embedded database in the data directory, or applies this stella's migrations to the
database --database names. Commands that only read the database (evidence, tokens, serve) never create one:
they refuse a data directory that has none.`,
		Example: `  stella db init --data /var/lib/stella
  stella db init --database postgres://stella@db.internal/stella`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := o.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			v, err := db.SchemaVersion(cmd.Context())
			if err != nil {
				return err
			}
			if g.JSON() {
				return g.PrintJSON(map[string]any{"database": connect.Redact(o.URL()), "engine": db.Engine(), "schemaVersion": v})
			}
			_, err = fmt.Fprintf(g.Stdout, "%s (%s, schema version %d)\n", connect.Redact(o.URL()), db.Engine(), v)
			return err
		},
	}
	o.flags(initCmd)
	cmd.AddCommand(initCmd)
	return cmd
}
