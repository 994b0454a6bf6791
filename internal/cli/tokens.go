package cli

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/store"
)

var _ = register(newTokensCommand)

func newTokensCommand(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Create, list and revoke bearer tokens of the HTTP API",
		Long: `A token names one tenant and one role. Roles: admin, deployer and auditor read everything of their
tenant; agent reads deployment jobs and their artifacts, not evidence. Only the token's SHA-256 is kept in
the metadata database: a lost token cannot be shown again, only revoked and replaced.`,
	}
	cmd.AddCommand(newTokensCreateCommand(g), newTokensListCommand(g), newTokensRevokeCommand(g))
	return cmd
}

type tokenRow struct {
	ID        string     `json:"id"`
	TenantID  string     `json:"tenantId"`
	Role      string     `json:"role"`
	Name      string     `json:"name,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	Token     string     `json:"token,omitempty"`
}

func rowOf(k meta.Token) tokenRow {
	r := tokenRow{ID: k.ID, TenantID: k.TenantID, Role: k.Role, Name: k.Name, CreatedAt: k.CreatedAt}
	if !k.ExpiresAt.IsZero() {
		r.ExpiresAt = &k.ExpiresAt
	}
	if !k.RevokedAt.IsZero() {
		r.RevokedAt = &k.RevokedAt
	}
	return r
}

func newTokensCreateCommand(g *Globals) *cobra.Command {
	var o dbOptions
	var tenant, role, name, target string
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a bearer token and print it (alone) on stdout",
		Example: `  TOKEN=$(stella tokens create --tenant acme --role auditor --expires 720h)
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/deployment-jobs`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := store.CheckName("--tenant", tenant); err != nil {
				return err
			}
			if !slices.Contains(meta.Roles, role) {
				return fault.Inputf("--role: %q is not one of %s", role, strings.Join(meta.Roles, ", "))
			}
			if expires < 0 {
				return fault.Inputf("--expires: %s is negative", expires)
			}
			ctx := cmd.Context()
			db, err := o.openExisting(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if role == meta.RoleAgent && target == "" {
				return fault.Inputf("--target: an agent token reads one target's jobs only; name the target (or register an agent: stella agents token create)")
			}
			if target != "" && role != meta.RoleAgent {
				return fault.Inputf("--target: only an agent token is bound to a target")
			}
			secret, k := server.NewToken(tenant, role, name, time.Now(), expires)
			k.TargetID = target
			if err := db.Update(ctx, tenant, func(tx meta.Tx) error { return tx.CreateToken(ctx, k) }); err != nil {
				return fmt.Errorf("create token: %w", err)
			}
			g.Log.Info("token created", "id", k.ID, "tenant", tenant, "role", role)
			if g.JSON() {
				r := rowOf(k)
				r.Token = secret
				return g.PrintJSON(r)
			}
			_, err = fmt.Fprintln(g.Stdout, secret)
			return err
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant the token acts for")
	cmd.Flags().StringVar(&role, "role", "", "admin, deployer, auditor or agent")
	cmd.Flags().StringVar(&target, "target", "", "with --role agent: the one target whose jobs the token reads")
	cmd.Flags().StringVar(&name, "name", "", "a label to recognise the token by in tokens list")
	cmd.Flags().DurationVar(&expires, "expires", 0, "lifetime, e.g. 720h (default: no expiry)")
	_ = cmd.MarkFlagRequired("tenant")
	_ = cmd.MarkFlagRequired("role")
	o.flags(cmd)
	return cmd
}

func newTokensListCommand(g *Globals) *cobra.Command {
	var o dbOptions
	var tenant string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List a tenant's tokens (ids, roles, expiry; never the tokens)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := store.CheckName("--tenant", tenant); err != nil {
				return err
			}
			ctx := cmd.Context()
			db, err := o.openExisting(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			var ks []meta.Token
			if err := db.View(ctx, tenant, func(tx meta.Tx) error {
				var err error
				ks, err = tx.Tokens(ctx)
				return err
			}); err != nil {
				return err
			}
			rows := make([]tokenRow, 0, len(ks))
			for _, k := range ks {
				rows = append(rows, rowOf(k))
			}
			if g.JSON() {
				return g.PrintJSON(rows)
			}
			now := time.Now()
			for _, k := range ks {
				state := "active"
				switch {
				case !k.RevokedAt.IsZero():
					state = "revoked " + k.RevokedAt.Format(time.RFC3339)
				case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
					state = "expired " + k.ExpiresAt.Format(time.RFC3339)
				case !k.ExpiresAt.IsZero():
					state = "expires " + k.ExpiresAt.Format(time.RFC3339)
				}
				if _, err := fmt.Fprintf(g.Stdout, "%s\t%s\t%s\t%s\n", k.ID, k.Role, state, k.Name); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant whose tokens to list")
	_ = cmd.MarkFlagRequired("tenant")
	o.flags(cmd)
	return cmd
}

func newTokensRevokeCommand(g *Globals) *cobra.Command {
	var o dbOptions
	var tenant string
	cmd := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke a token by its id (from tokens list); the API refuses it from then on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := store.CheckName("--tenant", tenant); err != nil {
				return err
			}
			ctx := cmd.Context()
			db, err := o.openExisting(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Update(ctx, tenant, func(tx meta.Tx) error { return tx.RevokeToken(ctx, args[0], time.Now()) }); err != nil {
				return fmt.Errorf("revoke token: %w", err)
			}
			_, err = fmt.Fprintf(g.Stdout, "%s revoked\n", args[0])
			return err
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant the token belongs to")
	_ = cmd.MarkFlagRequired("tenant")
	o.flags(cmd)
	return cmd
}
