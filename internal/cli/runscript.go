package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/script"
	"github.com/stella-ops/stella/internal/verify"
)

var _ = register(newRunScriptCommand)

// RunScriptOptions are the flags of stella run-script.
type RunScriptOptions struct {
	PublicKeys []string
	Keyring    string
	WorkDir    string
	Bash       string
	Runtime    string
	Env        []string
	// Tenant and DeploymentID are what the set must be bound to (default: DIR's parent's name and its own).
	Tenant       string
	DeploymentID string
}

func newRunScriptCommand(g *Globals) *cobra.Command {
	o := &RunScriptOptions{}
	cmd := &cobra.Command{
		Use:   "run-script DIR",
		Short: "Verify an artifact set, then run its deployment script",
		Long: `Run-script copies the artifact set in DIR to a private directory, verifies the copy exactly as
stella verify does (exit 3 naming each problem, nothing run), and then runs its deployment script from it:
deploy.stella.script.dll with mono (or --runtime), else deploy.stella.sh with bash. The hooks' commands run
in --workdir (default: the current directory) with the process environment plus the deployment's identity
(STELLA_SET_DIR, STELLA_DEPLOYMENT_ID, STELLA_RELEASE_ID, STELLA_ENVIRONMENT_ID, ...) and --env.

The script's output streams through; the exit status is the script's: 0, or the failing hook's status.

C# scripts read STELLA_HEALTH_BASE_URL (base of a relative health check, default http://localhost) and
STELLA_NOTIFY_<CHANNEL> (webhook URL of a notification channel, e.g. STELLA_NOTIFY_SLACK). Both kinds read
STELLA_PREVIOUS_LOCK, the previous deployment's lock file, to roll back to.`,
		Example: `  stella run-script artifacts/acme/deploy-42 --public-key prod.pem --workdir /srv/myapp
  stella run-script artifacts/acme/deploy-42 --env STELLA_NOTIFY_SLACK=https://hooks.example.com/x`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScript(cmd, g, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.PublicKeys, "public-key", nil, "trusted public key, PEM (repeatable); default: the keyring")
	keyringFlag(cmd, &o.Keyring)
	f.StringVar(&o.Tenant, "tenant", "", "the set's tenant (default: the name of DIR's parent)")
	f.StringVar(&o.DeploymentID, "deployment-id", "", "the set's deployment id (default: DIR's own name)")
	f.StringVar(&o.WorkDir, "workdir", "", "directory the hooks' commands run in (default: the current directory)")
	f.StringVar(&o.Bash, "bash", "", "bash to run deploy.stella.sh with (default: bash on PATH)")
	f.StringVar(&o.Runtime, "runtime", "", "CLR to run deploy.stella.script.dll with (default: mono on PATH)")
	f.StringArrayVar(&o.Env, "env", nil, "NAME=value added to the script's environment (repeatable)")
	_ = cmd.MarkFlagFilename("public-key", "pem", "pub")
	_ = cmd.MarkFlagDirname("workdir")
	return cmd
}

func runScript(cmd *cobra.Command, g *Globals, o *RunScriptOptions, dir string) error {
	for _, e := range o.Env {
		if name, _, ok := strings.Cut(e, "="); !ok || name == "" {
			return fault.Inputf("--env: %q is not NAME=value", e)
		}
	}
	if o.WorkDir != "" {
		if st, err := os.Stat(o.WorkDir); err != nil || !st.IsDir() {
			return fault.Inputf("--workdir: %s is not a directory", o.WorkDir)
		}
	}
	keys, err := loadKeys(o.PublicKeys, o.Keyring)
	if err != nil {
		return err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fault.Inputf("DIR %s: not a directory", dir)
	}
	staged, cleanup, err := script.Stage(dir)
	if err != nil {
		return err
	}
	defer cleanup()
	tenant, deployment := placeOf(dir, o.Tenant, o.DeploymentID)
	res, err := verify.SetAt(os.DirFS(staged), keys, tenant, deployment)
	if err != nil {
		return err
	}
	if !res.Valid {
		return res.Err()
	}
	g.Log.Debug("set verified", "dir", dir, "signer", res.Signer)
	code, err := script.Run(cmd.Context(), staged, script.RunOptions{
		WorkDir: o.WorkDir, Bash: o.Bash, Runtime: o.Runtime, Env: o.Env, Stdout: g.Stdout, Stderr: g.Stderr,
	})
	if err != nil {
		return err
	}
	if code != 0 {
		fmt.Fprintf(g.Stderr, "stella: deployment script of %s exited with status %d\n", dir, code)
		return silentExit{code: code}
	}
	return nil
}
