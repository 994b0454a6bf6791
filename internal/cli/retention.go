package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/retention"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store"
)

var _ = register(newRetentionCommand)

func newRetentionCommand(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "retention",
		Short: "Remove artifact sets whose retention has ended; put and lift legal holds",
		Long: `A set is kept for its tier's retention (development 30 days, staging 90 days, production 7 years, or
longer where the environment says so), counted in calendar units from its manifest's createdAt and
written in the signed manifest as retainUntil. The sweep removes a set only when that time has passed,
it is not the current or previous deployment of any target or environment, and it carries no legal
hold; the store must let it go too (on S3, every object's Object Lock must have expired). Every
removal, hold and release is a signed evidence packet; evidence is never removed. See
docs/operations.md.`,
	}
	cmd.AddCommand(newRetentionSweepCommand(g), newRetentionHoldCommand(g, true), newRetentionHoldCommand(g, false))
	return cmd
}

// retentionFlags are what sweep, hold and release share.
type retentionFlags struct {
	db                    dbOptions
	storeURL, key, keyDir string
	now                   string
}

func (f *retentionFlags) add(cmd *cobra.Command) {
	f.db.flags(cmd)
	cmd.Flags().StringVar(&f.storeURL, "store", "", "artifact store: a directory, file:// URL or s3://BUCKET/PREFIX?endpoint=..&region=.. (default $STELLA_STORE, else ./artifacts)")
	cmd.Flags().StringVar(&f.key, "key", "", "signing key reference for the evidence packets (default: the key that signed the tenant's newest packet)")
	keyringFlag(cmd, &f.keyDir)
	_ = cmd.RegisterFlagCompletionFunc("key", completeKeys(&f.keyDir))
}

// options opens the database, the store and the key; close releases them.
func (f *retentionFlags) options(cmd *cobra.Command) (o retention.Options, close func(), err error) {
	now, err := parseNow(f.now)
	if err != nil {
		return o, nil, err
	}
	st, loc, err := openStore(storeLocation(f.storeURL))
	if err != nil {
		return o, nil, err
	}
	db, err := f.db.openExisting(cmd.Context())
	if err != nil {
		return o, nil, err
	}
	closers := []func() error{db.Close}
	close = func() {
		for _, c := range closers {
			_ = c()
		}
	}
	o = retention.Options{DB: db, Store: st, Locate: loc.SetLocation, Actor: actor()}
	if f.now != "" {
		o.Now = func() time.Time { return now }
	}
	if f.key != "" {
		s, err := loadSigner(f.key, f.keyDir)
		if err != nil {
			close()
			return o, nil, err
		}
		closers = append(closers, s.Close)
		o.Signer = s
	} else {
		o.KeyFor = func(ref string) (*sign.Signer, error) { return openSigner(ref, f.keyDir) }
	}
	return o, close, nil
}

// actor is who runs the command, for the packets: $USER@host.
func actor() string {
	u := os.Getenv("USER")
	if u == "" {
		u = "unknown"
	}
	if h, err := os.Hostname(); err == nil {
		return u + "@" + h
	}
	return u
}

func newRetentionSweepCommand(g *Globals) *cobra.Command {
	var f retentionFlags
	var tenants []string
	var dry bool
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Remove the sets whose retention has ended (--dry-run: list them, remove nothing)",
		Long: `Sweep looks at every set of every tenant (or of each --tenant) and removes those whose retainUntil has
passed, that are neither the current nor the previous deployment of any target or environment, and
that carry no legal hold. Each removal is a set_removed evidence packet (what, when, why), recorded in
the same transaction that checks the hold and the deployments again; evidence itself is never removed.
A set the database does not record, or whose manifest is not the recorded one, is kept and reported.
On S3 a set whose Object Lock has not expired yet is kept and reported (a later sweep removes it); it
is not an error.

--dry-run lists what would be removed and changes nothing. Every set is printed with what happened and
why; --output json prints the report. stella serve --retention-interval runs the same sweep on a
schedule, on one replica at a time.`,
		Example: `  stella retention sweep --dry-run
  stella retention sweep --store s3://stella-artifacts/prod?region=eu-west-1 --database postgres://stella@db/stella --key stella/signing/prod
  stella retention sweep --tenant acme --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, closeAll, err := f.options(cmd)
			if err != nil {
				return err
			}
			defer closeAll()
			o.Tenants, o.DryRun = tenants, dry
			if f.now != "" && !dry {
				if at, _ := parseNow(f.now); at.After(time.Now()) {
					return fault.Inputf("--now: %s is in the future: only a --dry-run may judge by a later time (a sweep never removes a set before its time)", f.now)
				}
			}
			rep, err := retention.Sweep(cmd.Context(), o)
			if err != nil {
				return err
			}
			if g.JSON() {
				return g.PrintJSON(rep)
			}
			for _, it := range rep.Items {
				if _, err := fmt.Fprintf(g.Stdout, "%s: %s: %s\n", it.Set(), it.Outcome, it.Reason); err != nil {
					return err
				}
			}
			_, err = fmt.Fprintln(g.Stdout, rep.Summary())
			return err
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&f.now, "now", "", "judge retention as of this time (RFC 3339; default now), to rehearse a future sweep with --dry-run; packets always carry the real time")
	cmd.Flags().StringArrayVar(&tenants, "tenant", nil, "only this tenant's sets (repeatable; default: every tenant)")
	cmd.Flags().BoolVar(&dry, "dry-run", false, "list what would be removed; remove and record nothing")
	return cmd
}

func newRetentionHoldCommand(g *Globals, hold bool) *cobra.Command {
	var f retentionFlags
	var reason string
	use, short, long := "hold TENANT/DEPLOYMENT --reason R", "Put a legal hold on a deployment's set: the sweep never removes it",
		`Hold keeps the set of a recorded deployment however old it is, until the hold is released; the hold is a
retention_hold evidence packet naming who asked and why. On S3 the Object Lock legal hold of every
object of the set is turned on too, so the bucket refuses to delete it. A set already held is refused
(exit 1).`
	if !hold {
		use, short, long = "release TENANT/DEPLOYMENT --reason R", "Lift a legal hold; the next sweep may remove the set if its retention has ended",
			`Release lifts the hold with a retention_release evidence packet that names the hold's packet (and,
on S3, turns the objects' legal hold off). A deployment without a hold is refused (exit 1).`
	}
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Long:    long,
		Example: "  stella retention " + map[bool]string{true: "hold", false: "release"}[hold] + " acme/deploy-42 --reason 'litigation hold 2026-17'",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := retention.ParseRef(args[0])
			if err != nil {
				return err
			}
			o, closeAll, err := f.options(cmd)
			if err != nil {
				return err
			}
			defer closeAll()
			if o.Signer == nil {
				s, err := o.KeyForTenant(cmd.Context(), ref.Tenant)
				if err != nil {
					return err
				}
				defer s.Close()
				o.Signer = s
			}
			do := retention.Hold
			if !hold {
				do = retention.Release
			}
			res, err := do(cmd.Context(), o, ref, reason)
			if err != nil {
				return err
			}
			if g.JSON() {
				return g.PrintJSON(res)
			}
			_, err = fmt.Fprintf(g.Stdout, "%s: %s at %s by %s: %s (evidence %s)\n", store.Ref{Tenant: res.Tenant, Deployment: res.Deployment}, res.Action, res.At.UTC().Format(time.RFC3339), res.By, res.Reason, res.EvidenceID)
			return err
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&reason, "reason", "", "why (required; recorded in the evidence packet)")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}
