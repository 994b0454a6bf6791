package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/verify"
)

var _ = register(newVerifyCommand)

// loadKeys builds the trusted keys from --public-key files, else from the keyring.
func loadKeys(pubFiles []string, keyringDir string) (verify.Keys, error) {
	var k verify.Keys
	for _, p := range pubFiles {
		v, err := sign.LoadPublicFile(p)
		if err != nil {
			return k, fault.Inputf("--public-key: %v", err)
		}
		k.Given = append(k.Given, v)
	}
	if len(k.Given) == 0 {
		kr := keyring(keyringDir)
		k.Keyring = &kr
	}
	return k, nil
}

func newVerifyCommand(g *Globals) *cobra.Command {
	var pubs []string
	var dir, storeURL, tenant, deployment, trustFile, data string
	var noCache bool
	cmd := &cobra.Command{
		Use:   "verify DIR | verify --store URL --tenant T --deployment-id D",
		Short: "Prove that an artifact set is exactly what was generated and signed",
		Long: `Verify recomputes every checksum of the set in DIR, the lock file's own checksum and the manifest's
sizes and digests, and checks every signature (checksums.sha256.sig, manifest.json, each sticker) against
the public keys given with --public-key, or else the keyring key each document names in signerKeyRef.
A signature by a key that is not among those given is invalid.

A set kept in a store (a directory, or s3://…) is read there with --store, --tenant and --deployment-id.

A set verifies only where it belongs: its signed manifest and stickers name its tenant and deployment id,
which must be those of the place it is found — STORE/TENANT/DEPLOYMENT, so for DIR its last two path
elements. A copy kept elsewhere (on removable media, say) is verified with --tenant and --deployment-id
naming what it must be.

The lock must also be one self-contained Compose file that Compose loads: compose-go's loader reads it with
the set's stella.env (secrets as a placeholder), which for a large lock is most of verify's time. Generate
makes the same checks of each lock it stores and remembers it (with its stella.env and the secrets' names)
in the data directory's cache/compose-loads, by a SHA-256 of those exact bytes and of this build's checks;
verify reads that memo and does not check again a lock it knows.
Only generate writes the memo; verify never creates or changes anything in the data directory, a missing
one just means no memo, and a lock whose bytes differ by one byte is not known. --no-cache always loads the
lock (an auditor's full check); a set verified where it was not generated is always loaded in full.

Exit 0: valid. Exit 3: invalid, one line per problem on stderr (file, what was expected, what was found).`,
		Example: `  stella verify artifacts/acme/deploy-42 --public-key prod.pem
  stella verify artifacts/acme/deploy-42 --output json
  stella verify --store 's3://stella-artifacts/prod?region=eu-west-1' --tenant acme --deployment-id deploy-42 --public-key prod.pem`,
		Args: func(cmd *cobra.Command, args []string) error {
			if storeURL != "" {
				if len(args) != 0 || tenant == "" || deployment == "" {
					return fault.Inputf("--store: give --tenant and --deployment-id, and no DIR")
				}
				return nil
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			keys, err := loadKeys(pubs, dir)
			if err == nil && trustFile != "" {
				keys.Trust, err = trustKeys(trustFile, pubs)
			}
			if err != nil {
				return err
			}
			var opts verify.Options
			if !noCache {
				db := dbOptions{Data: data}
				opts.LoadCache = loadsCache(db.cacheDir())
			}
			if storeURL != "" {
				return verifyStored(cmd, g, keys, storeURL, store.Ref{Tenant: tenant, Deployment: deployment}, opts)
			}
			st, err := os.Stat(args[0])
			if err != nil || !st.IsDir() {
				if err == nil {
					err = errors.New("not a directory")
				}
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err
				}
				return fault.Inputf("DIR %s: %v", args[0], err)
			}
			t, d := placeOf(args[0], tenant, deployment)
			return printVerify(g, args[0], os.DirFS(args[0]), keys, t, d, opts)
		},
	}
	cmd.Flags().StringArrayVar(&pubs, "public-key", nil, "trusted public key, PEM (repeatable); default: the keyring")
	keyringFlag(cmd, &dir)
	trustFlag(cmd, &trustFile)
	cmd.Flags().StringVar(&storeURL, "store", "", "read the set from this store (a directory or s3:// URL) instead of DIR")
	cmd.Flags().StringVar(&tenant, "tenant", "", "the set's tenant (with DIR: default the name of DIR's parent)")
	cmd.Flags().StringVar(&deployment, "deployment-id", "", "the set's deployment id (with DIR: default DIR's own name)")
	cmd.Flags().StringVar(&data, "data", "", "data directory whose memo of loading locks to read, never write (default: generate's, $STELLA_DATA, else ./stella-data)")
	cmd.Flags().BoolVar(&noCache, "no-cache", false, "always load the lock with compose-go, whatever the memo says")
	_ = cmd.MarkFlagFilename("public-key", "pem", "pub")
	_ = cmd.MarkFlagDirname("data")
	return cmd
}

// placeOf is the tenant and deployment a set directory must be bound to: those given, else its parent's
// name and its own (STORE/TENANT/DEPLOYMENT).
func placeOf(dir, tenant, deployment string) (string, string) {
	if abs, err := filepath.Abs(dir); err == nil {
		if tenant == "" {
			tenant = filepath.Base(filepath.Dir(abs))
		}
		if deployment == "" {
			deployment = filepath.Base(abs)
		}
	}
	return tenant, deployment
}

// verifyStored verifies a set read from a store.
func verifyStored(cmd *cobra.Command, g *Globals, keys verify.Keys, url string, ref store.Ref, opts verify.Options) error {
	if err := store.CheckName("--tenant", ref.Tenant); err != nil {
		return err
	}
	if err := store.CheckName("--deployment-id", ref.Deployment); err != nil {
		return err
	}
	st, loc, err := openStore(url)
	if err != nil {
		return err
	}
	fsys, err := st.Open(cmd.Context(), ref)
	if err != nil {
		return err
	}
	return printVerify(g, loc.SetLocation(ref), fsys, keys, ref.Tenant, ref.Deployment, opts)
}

// printVerify verifies the set in fsys and prints the result; name says where the set is.
// The set must be bound (by its signed manifest and stickers) to tenant and deployment.
func printVerify(g *Globals, name string, fsys fs.FS, keys verify.Keys, tenant, deployment string, opts verify.Options) error {
	res, err := verify.SetAtWith(fsys, keys, tenant, deployment, opts)
	if err != nil {
		return err
	}
	if g.JSON() {
		if err := g.PrintJSON(res); err != nil {
			return err
		}
		if !res.Valid {
			for _, p := range res.Problems {
				fmt.Fprintln(g.Stderr, p.String())
			}
			return silentExit{code: 3}
		}
		return nil
	}
	if !res.Valid {
		return res.Err()
	}
	_, err = fmt.Fprintf(g.Stdout, "%s: valid (%d files; signed with %s %s, key %s)\n", name, len(res.Files), res.Algorithm, res.Signer, res.KeyID)
	return err
}

// silentExit ends a command with an exit code after it already printed its result.
type silentExit struct{ code int }

func (s silentExit) Error() string { return "" }
