package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/resolve"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/verify"
)

var _ = register(newQuickstartCommand)

func newQuickstartCommand(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "quickstart DIR",
		Short: "Write an example release and a development key into DIR, generate a deployment and verify it",
		Long: `Quickstart runs Stella's main job end to end on embedded defaults, with no server and no network:
it writes an example release, environment and Compose template into DIR, creates a development EdDSA key
in DIR/keys, generates the signed artifact set of deployment "first-deployment" for tenant "demo" into
DIR/artifacts, verifies it, and prints where everything is.`,
		Example: `  stella quickstart /tmp/stella-demo`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := quickstart.Write(dir); err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					return err // I/O: exit 1
				}
				return fault.Wrap(fault.Input, err)
			}
			kr := sign.Keyring{Dir: filepath.Join(dir, "keys")}
			signer, err := kr.Generate("stella/signing/dev", sign.EdDSA)
			if err != nil {
				return err
			}
			// The same path as `stella generate`: pin, render, sign, store, record the deployment and its
			// evidence packet.
			ref := store.Ref{Tenant: "demo", Deployment: "first-deployment"}
			storeDir, dataDir := filepath.Join(dir, "artifacts"), filepath.Join(dir, "stella-data")
			quiet := *g
			quiet.Stdout = io.Discard
			err = runGenerate(cmd, &quiet, &GenerateOptions{
				Release: filepath.Join(dir, "release.yaml"), Environment: filepath.Join(dir, "environment.yaml"),
				Promotion: filepath.Join(dir, "promotion.yaml"), Tenant: ref.Tenant, DeploymentID: ref.Deployment,
				Key: signer.Ref, Keyring: kr.Dir, Store: storeDir, DB: dbOptions{Data: dataDir},
				TargetNames: []string{"prod-web-01", "prod-web-02"},
				Offline:     true, ResolveConcurrency: resolve.DefaultConcurrency, RegistryTimeout: resolve.DefaultTimeout,
			})
			if err != nil {
				return err
			}
			_, loc, err := openStore(storeDir)
			if err != nil {
				return err
			}
			setDir := loc.SetLocation(ref)
			vr, err := verify.SetAt(os.DirFS(setDir), verify.Keys{Keyring: &kr}, ref.Tenant, ref.Deployment)
			if err != nil {
				return err
			}
			if err := vr.Err(); err != nil {
				return err
			}
			pub, _ := kr.PublicPath(signer.Ref)
			if g.JSON() {
				return g.PrintJSON(map[string]any{
					"inputs": dir, "keyring": kr.Dir, "publicKey": pub, "store": storeDir, "data": dataDir,
					"deployment": setDir, "valid": vr.Valid, "files": vr.Files,
				})
			}
			w := g.Stdout
			fmt.Fprintf(w, "Example inputs:   %s/{release,environment,compose,promotion}.yaml\n", dir)
			fmt.Fprintf(w, "Signing key:      %s (EdDSA, in keyring %s)\n", signer.Ref, kr.Dir)
			fmt.Fprintf(w, "Public key:       %s\n", pub)
			fmt.Fprintf(w, "Artifact set:     %s\n", setDir)
			for _, f := range vr.Files {
				fmt.Fprintf(w, "  %-36s %7d  sha256:%s\n", f.Name, f.Size, f.SHA256[:16])
			}
			fmt.Fprintf(w, "Verified:         valid (checksums, lock self-checksum, %d signatures)\n", countSigned(vr))
			fmt.Fprintf(w, "Evidence:         deployment packet in %s (promotion %s)\n\n", dataDir, filepath.Join(dir, "promotion.yaml"))
			fmt.Fprintf(w, "Try:\n  (cd %s && sha256sum -c checksums.sha256)\n  stella verify %s --public-key %s\n", setDir, setDir, pub)
			fmt.Fprintf(w, "  stella evidence list --data %s --tenant demo\n  stella evidence verify --data %s --keyring %s\n", dataDir, dataDir, kr.Dir)
			return nil
		},
	}
}

func countSigned(r *verify.Result) int {
	n := 1 // checksums.sha256.sig
	for _, f := range r.Files {
		if filepath.Ext(f.Name) == ".json" {
			n++
		}
	}
	return n
}
