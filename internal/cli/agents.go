package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/agent"
	"github.com/stella-ops/stella/internal/atomicfile"
	"github.com/stella-ops/stella/internal/client"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/store"
)

var _ = register(newAgentsCommand)
var _ = register(newAgentCommand)

// DefaultAgentStateDir is where an agent keeps its identity.
const DefaultAgentStateDir = "/var/lib/stella/agent"

func newAgentsCommand(g *Globals) *cobra.Command {
	cmd := &cobra.Command{Use: "agents", Short: "The agents of a tenant's targets: registration tokens, list, revoke"}
	tok := &cobra.Command{Use: "token", Short: "One-time registration tokens"}
	var o dbOptions
	var tenant, target string
	var expires time.Duration
	create := &cobra.Command{
		Use:   "create --tenant T --target ID",
		Short: "Print a one-time registration token for the agent of one target",
		Long: `The token is printed once and stored as its SHA-256 only; it is bound to the tenant and the target,
makes one agent (stella agent register on the target) and expires soon (--expires, default 15m).`,
		Example: `  stella agents token create --tenant acme --target tgt-web-01`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := store.CheckName("--tenant", tenant); err != nil {
				return err
			}
			if err := store.CheckName("--target", target); err != nil {
				return err
			}
			if expires <= 0 || expires > 24*time.Hour {
				return fault.Inputf("--expires: %s is not from 1s to 24h", expires)
			}
			ctx := cmd.Context()
			db, err := o.openExisting(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			secret, rec := server.NewRegistration(tenant, target, time.Now(), expires)
			if err := db.Update(ctx, tenant, func(tx meta.Tx) error { return tx.CreateRegistration(ctx, rec) }); err != nil {
				return fmt.Errorf("create registration token: %w", err)
			}
			if g.JSON() {
				return g.PrintJSON(map[string]any{"registrationToken": secret, "tenantId": tenant, "targetId": target, "expiresAt": rec.ExpiresAt})
			}
			_, err = fmt.Fprintln(g.Stdout, secret)
			return err
		},
	}
	create.Flags().StringVar(&tenant, "tenant", "", "the target's tenant")
	create.Flags().StringVar(&target, "target", "", "the target's id")
	create.Flags().DurationVar(&expires, "expires", 15*time.Minute, "how long the token may be used")
	_ = create.MarkFlagRequired("tenant")
	_ = create.MarkFlagRequired("target")
	o.flags(create)
	tok.AddCommand(create)

	var lo dbOptions
	var ltenant string
	ls := &cobra.Command{
		Use: "ls --tenant T", Short: "List the tenant's agents", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := lo.openExisting(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			var as []meta.Agent
			if err := db.View(ctx, ltenant, func(tx meta.Tx) error { as, err = tx.Agents(ctx); return err }); err != nil {
				return err
			}
			type row struct {
				ID        string     `json:"id"`
				TargetID  string     `json:"targetId"`
				Name      string     `json:"name"`
				State     string     `json:"state"` // online | offline | revoked
				CreatedAt time.Time  `json:"createdAt"`
				SeenAt    *time.Time `json:"seenAt,omitempty"`
				RevokedAt *time.Time `json:"revokedAt,omitempty"`
			}
			rows := []row{}
			for _, a := range as {
				r := row{ID: a.ID, TargetID: a.TargetID, Name: a.Name, CreatedAt: a.CreatedAt, State: agentStatus(a, time.Now())}
				if !a.SeenAt.IsZero() {
					r.SeenAt = &a.SeenAt
				}
				if !a.RevokedAt.IsZero() {
					r.RevokedAt = &a.RevokedAt
				}
				rows = append(rows, r)
			}
			if g.JSON() {
				return g.PrintJSON(rows)
			}
			tw := tabwriter.NewWriter(g.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTARGET\tNAME\tSTATE\tLAST SEEN\tREVOKED")
			for _, r := range rows {
				seen, rev := "-", "-"
				if r.SeenAt != nil {
					seen = r.SeenAt.UTC().Format(time.RFC3339)
				}
				if r.RevokedAt != nil {
					rev = r.RevokedAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.TargetID, orDash(r.Name), r.State, seen, rev)
			}
			return tw.Flush()
		},
	}
	ls.Flags().StringVar(&ltenant, "tenant", "", "the tenant")
	_ = ls.MarkFlagRequired("tenant")
	lo.flags(ls)
	var ro dbOptions
	var rtenant string
	revoke := &cobra.Command{
		Use: "revoke ID --tenant T", Short: "Revoke an agent: it is refused at its next request", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := ro.openExisting(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Update(ctx, rtenant, func(tx meta.Tx) error { return tx.RevokeAgent(ctx, args[0], time.Now()) }); err != nil {
				return err
			}
			_, err = fmt.Fprintf(g.Stdout, "agent %s/%s revoked\n", rtenant, args[0])
			return err
		},
	}
	revoke.Flags().StringVar(&rtenant, "tenant", "", "the tenant")
	_ = revoke.MarkFlagRequired("tenant")
	ro.flags(revoke)
	cmd.AddCommand(tok, ls, revoke, newAgentsImportCommand(g))
	return cmd
}

// OfflineAfter is how long an agent may be silent (it heartbeats about every 30 s) before it is offline.
const OfflineAfter = 90 * time.Second

// newAgentsImportCommand hands the server an offline result carried back from an air-gapped target.
func newAgentsImportCommand(g *Globals) *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "import RESULT-FILE --target ID --server URL",
		Short: "Import the signed result of stella agent apply --offline as the target's deploy task",
		Long: `Import sends the result file an agent wrote on an air-gapped target to the server, which checks it was
signed by that target's agent and records it, once, as the target's deploy task of the job.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.Server == "" {
				return fault.Inputf("--server: import runs against a server (stella serve)")
			}
			if target == "" {
				return fault.Inputf("--target: required")
			}
			b, err := os.ReadFile(args[0])
			if err != nil {
				return fault.Inputf("RESULT-FILE %s: %v", args[0], errors.Unwrap(err))
			}
			c, err := client.New(g.Server, g.Token)
			if err != nil {
				return err
			}
			k, err := c.ImportResult(cmd.Context(), target, strings.TrimSpace(string(b)))
			if err != nil {
				return err
			}
			if g.JSON() {
				return g.PrintJSON(k)
			}
			_, err = fmt.Fprintf(g.Stdout, "task %s of deployment %s on target %s: %s\n", k.ID, k.DeploymentID, k.TargetID, k.Status)
			return err
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "the target the result is of")
	return cmd
}

func agentStatus(a meta.Agent, now time.Time) string {
	switch {
	case !a.RevokedAt.IsZero():
		return "revoked"
	case !a.SeenAt.IsZero() && now.Sub(a.SeenAt) <= OfflineAfter:
		return "online"
	}
	return "offline"
}

func newAgentCommand(g *Globals) *cobra.Command {
	cmd := &cobra.Command{Use: "agent", Short: "The agent on a target: register with a server, get access tokens"}
	var stateDir, regToken string
	reg := &cobra.Command{
		Use:   "register --server URL --token REGISTRATION-TOKEN [--state-dir DIR]",
		Short: "Register this host's agent: make its own key pair and exchange the registration token",
		Long: `Register makes the agent's Ed25519 key pair in the state directory (the private key 0600, never sent),
sends the public key with the one-time registration token (stella agents token create), and keeps the
answer — agent id, tenant, target, the keys to trust — in DIR/agent.json. Afterwards the agent proves
itself with assertions signed by its key (stella agent token).`,
		Example: `  stella agent register --server https://stella.internal --token sar_… --state-dir /var/lib/stella/agent`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.Server == "" {
				return fault.Inputf("--server: required (the URL of stella serve)")
			}
			if regToken == "" {
				regToken = g.Token
			}
			if regToken == "" {
				return fault.Inputf("--token: the registration token is required")
			}
			name, _ := os.Hostname()
			a, err := agent.Register(cmd.Context(), g.Server, regToken, stateDir, name)
			if err != nil {
				return err
			}
			st := a.State
			if g.JSON() {
				return g.PrintJSON(st)
			}
			_, err = fmt.Fprintf(g.Stdout, "agent %s registered for target %s of tenant %s (%d trusted keys)\n", st.AgentID, st.TargetID, st.TenantID, len(st.TrustedKeys))
			return err
		},
	}
	reg.Flags().StringVar(&stateDir, "state-dir", DefaultAgentStateDir, "where the agent keeps its key and identity")
	reg.Flags().StringVar(&regToken, "registration-token", "", "the one-time registration token (or the global --token)")
	var tstate string
	tok := &cobra.Command{
		Use:   "token [--state-dir DIR]",
		Short: "Print a short-lived access token of this agent (its key signs an assertion the server trades)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := agent.Load(tstate)
			if err != nil {
				return err
			}
			at, err := a.Token(cmd.Context())
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(g.Stdout, at)
			return err
		},
	}
	tok.Flags().StringVar(&tstate, "state-dir", DefaultAgentStateDir, "the agent's state directory")
	var sstate, stickerDir, job string
	stk := &cobra.Command{
		Use:   "sticker --job ID [--state-dir DIR] [--sticker-dir DIR]",
		Short: "Write this target's signed version sticker of a deployment job (after deploying it)",
		Long: `Sticker asks the server for the target's completed sticker of the job, checks its signature against
the keys trusted at registration and that it names this agent's tenant and target, then writes it to
STICKER-DIR/stella.version.json atomically, keeping the previous ones as stella.version.json.1 … .5.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if job == "" {
				return fault.Inputf("--job: required")
			}
			a, err := agent.Load(sstate)
			if err != nil {
				return err
			}
			a.StickerDir = stickerDir
			path, err := a.WriteSticker(cmd.Context(), job)
			if err != nil {
				return err
			}
			if g.JSON() {
				return g.PrintJSON(map[string]string{"path": path, "deploymentId": job, "targetId": a.State.TargetID})
			}
			_, err = fmt.Fprintln(g.Stdout, path)
			return err
		},
	}
	stk.Flags().StringVar(&job, "job", "", "the deployment job whose sticker to write")
	stk.Flags().StringVar(&sstate, "state-dir", DefaultAgentStateDir, "the agent's state directory")
	stk.Flags().StringVar(&stickerDir, "sticker-dir", "/var/lib/stella", "where the target's stella.version.json lives")
	var rstate, rsticker, rproject string
	var once bool
	var wait time.Duration
	run := &cobra.Command{
		Use:   "run [--state-dir DIR] [--sticker-dir DIR] [--once]",
		Short: "Run the agent: heartbeat, long-poll for this target's tasks and run them, with a journal",
		Long: `Run reports what a crash left in the journal first (a task started and not finished is reported
interrupted and retriable, never run again), then heartbeats and long-polls for tasks: write-sticker,
deploy and rollback (download the job's set, verify it against the keys trusted at registration before
anything runs, then pre-deploy hook, pull by digest, up by the signed strategy, read back every
container's digest, post-deploy hook, and write the signed sticker), read-sticker (with the running
containers; the server answers it with a drift check), health-check. Each task is journaled by its id
before it runs; a task seen again returns its stored result; an expired one is refused. SIGINT or SIGTERM
stops it between tasks. With --once it takes at most one task and exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := agent.Load(rstate)
			if err != nil {
				return err
			}
			a.StickerDir, a.Log, a.Project = rsticker, g.Log, rproject
			if a.Driver, err = g.driver(); err != nil {
				return err
			}
			if once {
				if err := a.Recover(cmd.Context()); err != nil {
					return err
				}
				ran, err := a.RunOnce(cmd.Context(), wait)
				if err == nil && g.JSON() {
					return g.PrintJSON(map[string]bool{"ran": ran})
				}
				return err
			}
			return a.Run(cmd.Context())
		},
	}
	run.Flags().StringVar(&rstate, "state-dir", DefaultAgentStateDir, "the agent's state directory")
	run.Flags().StringVar(&rsticker, "sticker-dir", "/var/lib/stella", "where the target's stella.version.json lives")
	run.Flags().StringVar(&rproject, "project", "", "the Compose project name (default: TENANT-ENVIRONMENT, as the generated scripts use)")
	run.Flags().BoolVar(&once, "once", false, "take at most one task, then exit")
	run.Flags().DurationVar(&wait, "wait", 5*time.Second, "with --once: how long to wait for a task")
	var astate, asticker, aproject, resultFile string
	var offline bool
	apply := &cobra.Command{
		Use:   "apply --offline SET [--state-dir DIR] [--sticker-dir DIR] [--result FILE]",
		Short: "Deploy a set carried to an air-gapped target by hand, and write a signed result to carry back",
		Long: `Apply --offline verifies the set in SET (a directory with the files of stella artifacts get, or a copy of
STORE/TENANT/DEPLOYMENT) against the keys trusted at registration, bound to this agent's tenant and the
set's deployment, before anything runs; then deploys it as a deploy task would (hooks, pull by digest,
up by the signed strategy, every container's digest read back) and writes the set's sticker for this
target. Whatever happened, it writes the result signed with the agent's key to --result (default
stella-result-DEPLOYMENT-TARGET.jwt); carry it back and hand it to the server with
stella agents import FILE --target ID --server URL. Exit 0 deployed, 3 the set does not verify, 1 failed.`,
		Example: `  stella-agent apply --offline /media/usb/acme/deploy-42 --state-dir /var/lib/stella/agent`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !offline {
				return fault.Inputf("--offline: required (apply deploys a set carried by hand; online, stella agent run takes deploy tasks)")
			}
			a, err := agent.Load(astate)
			if err != nil {
				return err
			}
			a.StickerDir, a.Log, a.Project = asticker, g.Log, aproject
			if a.Driver, err = g.driver(); err != nil {
				return err
			}
			signed, out, aerr := a.ApplyOffline(cmd.Context(), args[0], g.Stderr)
			if signed != "" {
				path := resultFile
				if path == "" {
					path = "stella-result-" + out.DeploymentID + "-" + a.State.TargetID + ".jwt"
				}
				if err := atomicfile.Write(path, []byte(signed+"\n"), 0o600); err != nil {
					return err
				}
				fmt.Fprintf(g.Stderr, "stella: signed result written to %s\n", path)
			}
			if aerr != nil {
				return aerr
			}
			if g.JSON() {
				return g.PrintJSON(out)
			}
			_, err = fmt.Fprintf(g.Stdout, "deployment %s deployed on target %s (project %s, %d containers)\n", out.DeploymentID, a.State.TargetID, out.Project, len(out.Containers))
			return err
		},
	}
	apply.Flags().BoolVar(&offline, "offline", false, "the set was carried by hand (required)")
	apply.Flags().StringVar(&astate, "state-dir", DefaultAgentStateDir, "the agent's state directory")
	apply.Flags().StringVar(&asticker, "sticker-dir", "/var/lib/stella", "where the target's stella.version.json lives")
	apply.Flags().StringVar(&aproject, "project", "", "the Compose project name (default: TENANT-ENVIRONMENT)")
	apply.Flags().StringVar(&resultFile, "result", "", "where to write the signed result (default stella-result-DEPLOYMENT-TARGET.jwt)")
	cmd.AddCommand(reg, tok, stk, run, apply)
	return cmd
}
