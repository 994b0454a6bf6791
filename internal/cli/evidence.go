package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/atomicfile"
	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/sign"
)

var _ = register(newEvidenceCommand)

func newEvidenceCommand(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "evidence",
		Short: "List, export and verify the signed, hash-chained evidence packets",
		Long: `Evidence packets record who approved what and what exactly was deployed. They are signed, chained
per tenant (each packet carries the previous packet's hash) and never changed: the database refuses
UPDATE and DELETE. See docs/evidence.md.`,
	}
	cmd.AddCommand(newEvidenceListCommand(g), newEvidenceExportCommand(g), newEvidenceVerifyCommand(g))
	return cmd
}

type evidenceRow struct {
	ID              string    `json:"id"`
	Type            string    `json:"type"`
	TenantID        string    `json:"tenantId"`
	DeploymentJobID string    `json:"deploymentJobId"`
	PromotionID     string    `json:"promotionId"`
	Sequence        int64     `json:"sequence"`
	GeneratedAt     time.Time `json:"generatedAt"`
	PacketHash      string    `json:"packetHash"`
}

// tenantsOf is the one tenant given, or every tenant of the database.
func tenantsOf(ctx context.Context, db meta.DB, tenant string) ([]string, error) {
	if tenant != "" {
		return []string{tenant}, nil
	}
	return db.Tenants(ctx)
}

func newEvidenceListCommand(g *Globals) *cobra.Command {
	var o dbOptions
	var tenant string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List evidence packets, newest first",
		Example: `  stella evidence list --tenant acme --output json
  stella evidence list --database postgres://stella@db.internal/stella`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			rows := []evidenceRow{}
			c, err := remote(g)
			if err != nil {
				return err
			}
			if c != nil {
				// Remote mode: the token's tenant's packets, as stored; the rows are read from the packets.
				n := limit
				if n <= 0 {
					n = 10000
				}
				raws, err := c.Evidence(ctx, n)
				if err != nil {
					return err
				}
				for _, raw := range raws {
					e, p, err := evidence.Row(raw)
					if err != nil {
						return fault.Wrap(fault.Verification, fmt.Errorf("server answered a packet that does not parse: %w", err))
					}
					rows = append(rows, evidenceRow{ID: e.ID, Type: e.Type, TenantID: p.TenantID, DeploymentJobID: e.DeploymentID, PromotionID: e.PromotionID, Sequence: e.Seq, GeneratedAt: e.GeneratedAt, PacketHash: e.PacketHash})
				}
				return printEvidenceRows(g, rows)
			}
			db, err := o.openExisting(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			tenants, err := tenantsOf(ctx, db, tenant)
			if err != nil {
				return err
			}
			for _, t := range tenants {
				err := db.View(ctx, t, func(tx meta.Tx) error {
					es, err := tx.ListEvidence(ctx, limit)
					for _, e := range es {
						rows = append(rows, evidenceRow{ID: e.ID, Type: e.Type, TenantID: t, DeploymentJobID: e.DeploymentID, PromotionID: e.PromotionID, Sequence: e.Seq, GeneratedAt: e.GeneratedAt, PacketHash: e.PacketHash})
					}
					return err
				})
				if err != nil {
					return err
				}
			}
			// Newest first across tenants; within a tenant, chain order decides.
			sort.SliceStable(rows, func(i, j int) bool {
				if rows[i].TenantID == rows[j].TenantID {
					return rows[i].Sequence > rows[j].Sequence
				}
				if !rows[i].GeneratedAt.Equal(rows[j].GeneratedAt) {
					return rows[i].GeneratedAt.After(rows[j].GeneratedAt)
				}
				return rows[i].TenantID < rows[j].TenantID
			})
			if limit > 0 && len(rows) > limit {
				rows = rows[:limit]
			}
			return printEvidenceRows(g, rows)
		},
	}
	o.flags(cmd)
	cmd.Flags().StringVar(&tenant, "tenant", "", "only this tenant's packets (default: every tenant)")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many packets (default: all)")
	return cmd
}

func printEvidenceRows(g *Globals, rows []evidenceRow) error {
	if g.JSON() {
		return g.PrintJSON(rows)
	}
	for _, r := range rows {
		fmt.Fprintf(g.Stdout, "%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.Type, r.TenantID, r.Sequence, orDash(r.DeploymentJobID), r.GeneratedAt.Format(time.RFC3339))
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newEvidenceExportCommand(g *Globals) *cobra.Command {
	var o dbOptions
	var tenant, format, file, keyringDir string
	var publicKeys []string
	var allowUnverified bool
	cmd := &cobra.Command{
		Use:   "export ID --format json|pdf -o FILE",
		Short: "Write one packet as the signed JSON exactly as stored, or as a PDF report",
		Long: `Write one packet to FILE: --format json is the signed packet byte for byte as stored (verify it with the
signer's public key); --format pdf is a report for people. Here -o/--output names the file.

A PDF is written only for a packet that verifies (its stored copies, hash, contentHash and signature,
with the keys of --public-key or the keyring): otherwise exit 3 naming each problem. With
--allow-unverified the report is written anyway and every page is stamped NOT VERIFIED with the reason.`,
		Example: `  stella evidence export ev-3f9c… --format pdf -o evidence.pdf
  stella evidence export ev-3f9c… --format json -o evidence.json --tenant acme`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "json" && format != "pdf" {
				return fault.Inputf("--format: %q is not json or pdf", format)
			}
			if file == "" {
				return fault.Inputf("-o: give the file to write")
			}
			ctx := cmd.Context()
			var e meta.Evidence
			var t string
			c, err := remote(g)
			if err != nil {
				return err
			}
			if c != nil {
				// Remote mode: the packet exactly as the server stores it; its row copies are its own.
				raw, err := c.EvidencePacket(ctx, args[0])
				if err != nil {
					return err
				}
				row, p, err := evidence.Row(raw)
				if err != nil {
					return fault.Wrap(fault.Verification, fmt.Errorf("evidence %s: %w", args[0], err))
				}
				e, t = row, p.TenantID
			} else {
				db, err := o.openExisting(ctx)
				if err != nil {
					return err
				}
				defer db.Close()
				if e, t, err = findEvidence(ctx, db, tenant, args[0]); err != nil {
					return err
				}
			}
			var data []byte
			switch format {
			case "json":
				data = e.Packet
			case "pdf":
				p, err := evidence.Parse(e.Packet)
				if err != nil {
					return fault.Wrap(fault.Verification, fmt.Errorf("export evidence %s/%s: %w", t, e.ID, err))
				}
				keys, err := keySet(publicKeys, keyringDir)
				if err != nil {
					return err
				}
				var opts evidence.PDFOptions
				if verr := evidence.VerifyStored(e, t, keys); verr != nil {
					if !allowUnverified {
						return verr
					}
					opts.Unverified = verr.Error()
					fmt.Fprintf(g.Stderr, "stella: warning: evidence %s/%s does not verify; the PDF is stamped NOT VERIFIED on every page\n", t, e.ID)
				}
				var b strings.Builder
				if err := evidence.PDFWith(&b, p, e.PacketHash, opts); err != nil {
					return err
				}
				data = []byte(b.String())
			}
			if err := atomicfile.Write(file, data, 0o644); err != nil {
				return fmt.Errorf("export evidence %s: %w", e.ID, err)
			}
			_, err = fmt.Fprintln(g.Stdout, file)
			return err
		},
	}
	o.flags(cmd)
	cmd.Flags().StringVar(&tenant, "tenant", "", "the packet's tenant (default: search every tenant)")
	cmd.Flags().StringVar(&format, "format", "json", "json (the signed packet as stored) or pdf (a report)")
	cmd.Flags().StringArrayVar(&publicKeys, "public-key", nil, "pdf: trusted public key, PEM (repeatable); default: the keyring by signerKeyRef")
	cmd.Flags().StringVar(&keyringDir, "keyring", "", "pdf: keyring directory for signerKeyRef look-ups (default $STELLA_KEYRING, else ~/.config/stella/keys)")
	cmd.Flags().BoolVar(&allowUnverified, "allow-unverified", false, "pdf: write the report of a packet that does not verify, stamped NOT VERIFIED on every page")
	// -o is the file here, as the contract names it; it stands in for the global --output.
	cmd.Flags().StringVarP(&file, "output", "o", "", "file to write")
	return cmd
}

// findEvidence finds packet id in tenant, or in any tenant when tenant is empty.
func findEvidence(ctx context.Context, db meta.DB, tenant, id string) (meta.Evidence, string, error) {
	tenants, err := tenantsOf(ctx, db, tenant)
	if err != nil {
		return meta.Evidence{}, "", err
	}
	var found []meta.Evidence
	var in []string
	for _, t := range tenants {
		err := db.View(ctx, t, func(tx meta.Tx) error {
			e, err := tx.Evidence(ctx, id)
			if err == nil {
				found, in = append(found, e), append(in, t)
			}
			if errors.Is(err, meta.ErrNotFound) {
				return nil
			}
			return err
		})
		if err != nil {
			return meta.Evidence{}, "", err
		}
	}
	switch len(found) {
	case 0:
		if tenant != "" {
			return meta.Evidence{}, "", fault.NotFoundf("evidence %s: no such packet in tenant %s", id, tenant)
		}
		return meta.Evidence{}, "", fault.NotFoundf("evidence %s: no such packet", id)
	case 1:
		return found[0], in[0], nil
	}
	return meta.Evidence{}, "", fault.Inputf("evidence %s: in tenants %s; give --tenant", id, strings.Join(in, ", "))
}

// keySet builds the verification keys from --public-key and --keyring: the public keys given; the
// keyring (by each packet's signerKeyRef) when --keyring is given or no --public-key is.
func keySet(publicKeys []string, keyringDir string) (evidence.KeySet, error) {
	var ks evidence.KeySet
	for _, p := range publicKeys {
		v, err := sign.LoadPublicFile(p)
		if err != nil {
			return ks, fault.Inputf("--public-key: %v", err)
		}
		ks.Public = append(ks.Public, v)
	}
	if keyringDir != "" || len(publicKeys) == 0 {
		kr := keyring(keyringDir)
		ks.Keyring = &kr
	}
	return ks, nil
}

func newEvidenceVerifyCommand(g *Globals) *cobra.Command {
	var o dbOptions
	var tenant, keyringDir, trustFile string
	var publicKeys, files []string
	cmd := &cobra.Command{
		Use:   "verify [--file PACKET.json]...",
		Short: "Walk every evidence chain and check each packet's hashes and signature",
		Long: `Walk each tenant's evidence chain (or only --tenant's) and check every packet: its content hash, its
signature, and that it follows the previous packet (sequence and hash) up to the chain head. Exit 0 when
every chain holds, 3 with one line per problem, naming the packet. Public keys come from the keyring by
each packet's signerKeyRef, or from --public-key files.

With --file it checks exported packets (stella evidence export --format json) on their own, without a
database: each one's content hash and signature, made inside its key's window with --trust FILE.`,
		Example: `  stella evidence verify --tenant acme
  stella evidence verify --public-key prod.pub --output json
  stella evidence verify --file ev-deploy-42.json --trust stella-trust.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var ks evidence.Keys
			ks, err := keySet(publicKeys, keyringDir)
			if err == nil && trustFile != "" {
				ks, err = trustKeys(trustFile, publicKeys)
			}
			if err != nil {
				return err
			}
			if len(files) > 0 {
				return verifyPacketFiles(g, files, ks)
			}
			ctx := cmd.Context()
			db, err := o.openExisting(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			tenants, err := tenantsOf(ctx, db, tenant)
			if err != nil {
				return err
			}
			reports := []evidence.ChainReport{}
			var problems []fault.Problem
			for _, t := range tenants {
				rep, err := evidence.VerifyChain(ctx, db, t, ks)
				if err != nil {
					return err
				}
				reports = append(reports, rep)
				problems = append(problems, rep.Problems...)
			}
			if len(problems) > 0 {
				return &fault.Problems{List: problems}
			}
			if g.JSON() {
				return g.PrintJSON(map[string]any{"valid": true, "chains": reports})
			}
			for _, r := range reports {
				fmt.Fprintf(g.Stdout, "tenant %s: %d packets, chain intact\n", r.Tenant, r.Packets)
			}
			return nil
		},
	}
	o.flags(cmd)
	cmd.Flags().StringVar(&tenant, "tenant", "", "only this tenant's chain (default: every tenant)")
	cmd.Flags().StringArrayVar(&publicKeys, "public-key", nil, "public key PEM file to verify with (repeatable)")
	cmd.Flags().StringArrayVar(&files, "file", nil, "an exported packet (JSON) to check on its own, without a database (repeatable)")
	keyringFlag(cmd, &keyringDir)
	trustFlag(cmd, &trustFile)
	return cmd
}

// verifyPacketFiles checks exported packets on their own: one line per problem, each naming the file.
func verifyPacketFiles(g *Globals, files []string, ks evidence.Keys) error {
	var problems []fault.Problem
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return fault.Inputf("--file %s: %v", f, errors.Unwrap(err))
		}
		var p *fault.Problems
		if err := evidence.VerifyPacket(raw, ks); errors.As(err, &p) {
			for _, x := range p.List {
				x.File = f + ": " + x.File
				problems = append(problems, x)
			}
		} else if err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return &fault.Problems{List: problems}
	}
	if g.JSON() {
		return g.PrintJSON(map[string]any{"valid": true, "files": files})
	}
	for _, f := range files {
		fmt.Fprintf(g.Stdout, "%s: valid\n", f)
	}
	return nil
}
