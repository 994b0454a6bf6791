package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/server"
)

var _ = register(newRollbackCommand)

func newRollbackCommand(g *Globals) *cobra.Command {
	var env, key string
	var req server.RollbackRequest
	cmd := &cobra.Command{
		Use:   "rollback --environment E [--to DEPLOYMENT]",
		Short: "Roll an environment back to an earlier deployment's exact digests (on a server: --server)",
		Long: `Rollback asks the server for a new deployment job of the environment made from the exact digests,
environment and targets of an earlier deployment — the one before the current one, or --to — signed and
recorded with a rollback evidence packet that names who asked and what it returns to.`,
		Example: `  stella --server https://stella.internal --token $TOKEN rollback --environment env-prod
  stella --server $URL --token $TOKEN rollback --environment env-prod --to deploy-41 --reason "2.4.0 fails health checks"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := remote(g)
			if err != nil {
				return err
			}
			if c == nil {
				return fault.Inputf("--server: rollback runs on a server (it needs the releases' templates the API keeps)")
			}
			if env == "" {
				return fault.Inputf("--environment: required")
			}
			out, err := c.Rollback(cmd.Context(), env, req, key)
			if err != nil {
				return err
			}
			if g.JSON() {
				return g.PrintJSON(out)
			}
			_, err = fmt.Fprintf(g.Stdout, "deployment %s/%s: rollback of %s to release %s, %d artifacts, evidence %s\n",
				out.Job.TenantID, out.Job.ID, env, out.Job.ReleaseID, len(out.Artifacts), orDash(out.EvidenceID))
			return err
		},
	}
	cmd.Flags().StringVar(&env, "environment", "", "the environment to roll back")
	cmd.Flags().StringVar(&req.To, "to", "", "the deployment to return to (default: the one before the current one)")
	cmd.Flags().StringVar(&req.DeploymentID, "deployment-id", "", "the rollback job's id (default: a new one)")
	cmd.Flags().StringVar(&req.Reason, "reason", "", "why (goes into the rollback evidence packet)")
	cmd.Flags().StringVar(&key, "idempotency-key", "", "the request's Idempotency-Key (default: a new random one)")
	return cmd
}
