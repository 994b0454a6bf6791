package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/fsck"
	"github.com/stella-ops/stella/internal/meta/connect"
	"github.com/stella-ops/stella/internal/store/local"
)

var _ = register(newFsckCommand)

// leftoverAge is how old a create's temp dir must be before --repair removes it: a younger one may
// belong to a generate that is still writing.
const leftoverAge = 15 * time.Minute

func newFsckCommand(g *Globals) *cobra.Command {
	var o dbOptions
	var storeFlag, keyringDir, trustFile string
	var pubs []string
	var repair, noCache bool
	cmd := &cobra.Command{
		Use:   "fsck",
		Short: "Check every stored set, every evidence chain and the metadata database",
		Long: `Fsck verifies every artifact set of every tenant in the store (checksums, signatures, manifest, the
lock's own checksum, as stella verify does), and, when the metadata database exists: every tenant's
evidence chain (as stella evidence verify does), that every stored set is recorded and every recorded
deployment's set is stored with the recorded digests, and the database file itself (SQLite: PRAGMA
quick_check, which reads every page).

Exit 0: clean. Exit 3: one line per problem on stderr, starting with TENANT/DEPLOYMENT (or TENANT for an
evidence chain). Temp directories left by an interrupted generate are warnings; --repair removes those
older than 15 minutes. Sets past their retention (retainUntil) are warnings too (stella retention sweep
removes them); a set whose S3 Object Lock ends before its manifest's retainUntil is a problem; a recorded
deployment whose set the retention sweep removed (with its set_removed packet) is not. Fsck never
changes a set or a record.

As stella verify does, fsck reads the memo generate keeps in the data directory (cache/compose-loads) of
the locks that passed these checks, and checks only the locks it does not know; it never writes the memo.
--no-cache loads every lock.`,
		Example: `  stella fsck --store artifacts --data stella-data
  stella fsck --database postgres://stella@db.internal/stella --public-key prod.pem --output json
  stella fsck --repair`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			setKeys, err := loadKeys(pubs, keyringDir)
			if err != nil {
				return err
			}
			evKeys, err := keySet(pubs, keyringDir)
			if err != nil {
				return err
			}
			loc := storeLocation(storeFlag)
			st, _, err := openStore(loc)
			if err != nil {
				return err
			}
			if l, ok := st.(*local.Store); ok && storeFlag != "" {
				if fi, err := os.Stat(l.Dir()); err != nil || !fi.IsDir() {
					return fault.Inputf("--store %s: no such directory", storeFlag)
				}
			}
			opts := fsck.Options{Store: st, SetKeys: setKeys, EvidenceKeys: evKeys, Repair: repair, MinLeftoverAge: leftoverAge, Log: g.Log}
			if !noCache {
				opts.LoadCache = loadsCache(o.cacheDir())
			}
			if trustFile != "" {
				tf, err := trustKeys(trustFile, pubs)
				if err != nil {
					return err
				}
				opts.SetKeys.Trust, opts.EvidenceKeys = tf, tf
			}
			url := o.URL()
			opts.DBName = connect.Redact(url)
			if path, ok := strings.CutPrefix(url, "sqlite://"); ok {
				if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
					if o.Data != "" || o.Database != "" {
						return fault.Inputf("--data/--database: no metadata database at %s", path)
					}
					fmt.Fprintf(g.Stderr, "stella: warning: no metadata database at %s: records and evidence not checked\n", path)
					url = ""
				}
			}
			if url != "" {
				db, err := connect.Open(ctx, url)
				if err != nil {
					return err
				}
				defer db.Close()
				opts.DB = db
			}
			rep, err := fsck.Run(ctx, opts)
			if err != nil {
				return err
			}
			for _, w := range rep.Warnings {
				fmt.Fprintln(g.Stderr, "stella: warning: "+w.String())
			}
			if g.JSON() {
				if err := g.PrintJSON(rep); err != nil {
					return err
				}
				for _, p := range rep.Problems {
					fmt.Fprintln(g.Stderr, p.String())
				}
				if !rep.Clean {
					return silentExit{code: 3}
				}
				return nil
			}
			if _, err := fmt.Fprintln(g.Stdout, rep.Summary()); err != nil {
				return err
			}
			return rep.Err()
		},
	}
	o.flags(cmd)
	cmd.Flags().StringVar(&storeFlag, "store", "", "artifact store: a directory, file:// URL or s3://BUCKET/PREFIX?endpoint=..&region=.. (default $STELLA_STORE, else ./artifacts)")
	cmd.Flags().StringArrayVar(&pubs, "public-key", nil, "trusted public key, PEM (repeatable); default: the keyring")
	cmd.Flags().BoolVar(&repair, "repair", false, "remove temp directories of interrupted creates (never a set)")
	cmd.Flags().BoolVar(&noCache, "no-cache", false, "load every set's lock with compose-go, whatever the memo of generate says")
	keyringFlag(cmd, &keyringDir)
	trustFlag(cmd, &trustFile)
	_ = cmd.MarkFlagDirname("store")
	return cmd
}
