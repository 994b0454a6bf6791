package cli

import (
	"context"
	"fmt"
	"github.com/stella-ops/stella/internal/atomicfile"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/client"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/store"
)

var _ = register(newDeploymentsCommand)
var _ = register(newArtifactsCommand)

// remote is the API client of --server/--token, or nil for local mode.
func remote(g *Globals) (*client.Client, error) {
	if g.Server == "" {
		return nil, nil
	}
	return client.New(g.Server, g.Token)
}

func newDeploymentsCommand(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deployments",
		Short: "Deployment jobs: list, show, create (locally from the database, or from a server with --server)",
	}
	var o dbOptions
	var tenant string
	var limit int
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List deployment jobs, newest first",
		Example: `  stella deployments ls --tenant acme
  stella --server https://stella.internal --token $TOKEN deployments ls --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 || limit > 1000 {
				return fault.Inputf("--limit: %d is not from 1 to 1000", limit)
			}
			jobs, err := listJobs(cmd.Context(), g, &o, tenant, limit)
			if err != nil {
				return err
			}
			if g.JSON() {
				return g.PrintJSON(jobs)
			}
			tw := tabwriter.NewWriter(g.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTENANT\tRELEASE\tENVIRONMENT\tPROMOTION\tSTATUS\tCREATED")
			for _, j := range jobs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.TenantID, j.ReleaseID, j.EnvironmentID, orDash(j.PromotionID), j.Status, j.CreatedAt.UTC().Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	show := &cobra.Command{
		Use:     "show ID",
		Short:   "Show one deployment job with its per-target tasks",
		Example: `  stella deployments show deploy-42 --tenant acme`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			j, err := showJob(cmd.Context(), g, &o, tenant, args[0])
			if err != nil {
				return err
			}
			if g.JSON() {
				return g.PrintJSON(j)
			}
			fmt.Fprintf(g.Stdout, "deployment %s/%s: %s\nrelease %s, environment %s, promotion %s\ncreated %s\n", j.TenantID, j.ID, j.Status,
				j.ReleaseID, j.EnvironmentID, orDash(j.PromotionID), j.CreatedAt.UTC().Format(time.RFC3339))
			for _, k := range j.Tasks {
				fmt.Fprintf(g.Stdout, "  target %s: %s %s\n", k.TargetID, k.Type, k.Status)
			}
			return nil
		},
	}
	for _, c := range []*cobra.Command{ls, show} {
		c.Flags().StringVar(&tenant, "tenant", "", "local mode: the tenant (required when the database has several)")
		o.flags(c)
	}
	ls.Flags().IntVar(&limit, "limit", 50, "at most this many jobs")
	var req server.CreateJob
	var key string
	create := &cobra.Command{
		Use:   "create --promotion-id P",
		Short: "Create the deployment job of an approved promotion on a server (--server)",
		Long: `Create asks the server to generate, sign, store and record the deployment of an approved promotion, by
the same pipeline as stella generate. The job id defaults to one derived from the promotion, so asking
again answers the same job. On the command line without a server, use stella generate.`,
		Example: `  stella --server https://stella.internal --token $TOKEN deployments create --promotion-id promo-17`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := remote(g)
			if err != nil {
				return err
			}
			if c == nil {
				return fault.Inputf("--server: deployments create runs on a server (locally, use stella generate)")
			}
			if req.PromotionID == "" {
				return fault.Inputf("--promotion-id: required")
			}
			out, created, err := c.CreateJob(cmd.Context(), req, key)
			if err != nil {
				return err
			}
			if g.JSON() {
				return g.PrintJSON(out)
			}
			verb := "created"
			if !created {
				verb = "exists (this promotion's job)"
			}
			fmt.Fprintf(g.Stdout, "deployment %s/%s %s: %d artifacts, evidence %s\n", out.Job.TenantID, out.Job.ID, verb, len(out.Artifacts), orDash(out.EvidenceID))
			return nil
		},
	}
	create.Flags().StringVar(&req.PromotionID, "promotion-id", "", "the approved promotion to deploy")
	create.Flags().StringVar(&req.DeploymentID, "deployment-id", "", "the job's id (default: derived from the promotion)")
	create.Flags().StringArrayVar(&req.TargetNames, "target-name", nil, "a target to deploy to (repeatable; default: every target of the environment)")
	create.Flags().StringVar(&key, "idempotency-key", "", "the request's Idempotency-Key (default: a new random one); repeat it to retry safely")
	cmd.AddCommand(ls, show, create)
	return cmd
}

// noSubcommand makes "stella GROUP typo" an error naming the command (exit 2), not the help with exit 0.
func noSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fault.Inputf("%s: unknown command %q (see %s --help)", cmd.CommandPath(), args[0], cmd.CommandPath())
	}
	return nil
}

// localTenants is the tenant to read (given, or the database's only one).
func localTenant(ctx context.Context, db meta.DB, tenant string) (string, error) {
	if tenant != "" {
		return tenant, store.CheckName("--tenant", tenant)
	}
	ts, err := db.Tenants(ctx)
	if err != nil {
		return "", err
	}
	switch len(ts) {
	case 0:
		return "", fault.NotFoundf("no tenant has a record in this database")
	case 1:
		return ts[0], nil
	}
	return "", fault.Inputf("--tenant: the database has %d tenants; name one", len(ts))
}

func listJobs(ctx context.Context, g *Globals, o *dbOptions, tenant string, limit int) ([]server.Job, error) {
	c, err := remote(g)
	if err != nil || c != nil {
		if err != nil {
			return nil, err
		}
		return c.Jobs(ctx, limit)
	}
	db, err := o.openExisting(ctx)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if tenant, err = localTenant(ctx, db, tenant); err != nil {
		return nil, err
	}
	out := []server.Job{}
	err = db.View(ctx, tenant, func(tx meta.Tx) error {
		ds, err := tx.Deployments(ctx, limit)
		for _, d := range ds {
			out = append(out, server.JobOf(tenant, d))
		}
		return err
	})
	return out, err
}

func showJob(ctx context.Context, g *Globals, o *dbOptions, tenant, id string) (server.Job, error) {
	c, err := remote(g)
	if err != nil {
		return server.Job{}, err
	}
	if c != nil {
		return c.Job(ctx, id)
	}
	db, err := o.openExisting(ctx)
	if err != nil {
		return server.Job{}, err
	}
	defer db.Close()
	if tenant, err = localTenant(ctx, db, tenant); err != nil {
		return server.Job{}, err
	}
	var j server.Job
	err = db.View(ctx, tenant, func(tx meta.Tx) error {
		var err error
		j, err = server.ReadJob(ctx, tx, id)
		return err
	})
	return j, err
}

func newArtifactsCommand(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "artifacts",
		Short: "A deployment job's artifacts on a server (--server): list, download, verify",
	}
	need := func() (*client.Client, error) {
		c, err := remote(g)
		if err == nil && c == nil {
			err = fault.Inputf("--server: artifacts reads a server's sets (locally, the set is the directory STORE/TENANT/DEPLOYMENT)")
		}
		return c, err
	}
	ls := &cobra.Command{
		Use: "ls DEPLOYMENT", Short: "List the set's files", Args: cobra.ExactArgs(1),
		Example: `  stella --server $URL --token $TOKEN artifacts ls deploy-42`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := need()
			if err != nil {
				return err
			}
			as, err := c.Artifacts(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.JSON() {
				return g.PrintJSON(as)
			}
			tw := tabwriter.NewWriter(g.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tTYPE\tSIZE\tSHA256")
			for _, a := range as {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", a.Name, a.Type, a.Size, a.SHA256)
			}
			return tw.Flush()
		},
	}
	var file string
	get := &cobra.Command{
		Use: "get DEPLOYMENT NAME [--file FILE]", Short: "Download one file, checked against the recorded SHA-256", Args: cobra.ExactArgs(2),
		Example: `  stella --server $URL --token $TOKEN artifacts get deploy-42 compose.stella.lock.yml --file lock.yml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := need()
			if err != nil {
				return err
			}
			if file == "" {
				_, _, err := c.Artifact(cmd.Context(), args[0], args[1], g.Stdout)
				return err
			}
			// Written beside FILE and renamed into place only once its SHA-256 checked.
			var n int64
			var sum string
			err = atomicfile.WriteFunc(file, 0o644, func(w io.Writer) error {
				var err error
				n, sum, err = c.Artifact(cmd.Context(), args[0], args[1], w)
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.Stderr, "%s: %d bytes, sha256 %s\n", file, n, sum)
			return nil
		},
	}
	get.Flags().StringVar(&file, "file", "", "write to FILE (atomically) instead of stdout")
	verifyCmd := &cobra.Command{
		Use: "verify DEPLOYMENT NAME", Short: "Have the server verify one file and the signatures that vouch for it", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := need()
			if err != nil {
				return err
			}
			v, err := c.Verify(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			if g.JSON() {
				if err := g.PrintJSON(v); err != nil {
					return err
				}
			} else if v.Valid {
				fmt.Fprintf(g.Stdout, "%s/%s: valid (checksum %s, signature %s)\n", args[0], args[1], v.Checksum, v.Signature)
			}
			if !v.Valid {
				return &fault.Problems{List: v.Problems}
			}
			return nil
		},
	}
	cmd.AddCommand(ls, get, verifyCmd)
	return cmd
}
