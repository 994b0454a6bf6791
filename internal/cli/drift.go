package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/drift"
)

var _ = register(newDriftCommand)

func newDriftCommand(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "Compare the version sticker a target should carry with the one it carries",
	}
	cmd.AddCommand(newDriftCheckCommand(g))
	return cmd
}

func newDriftCheckCommand(g *Globals) *cobra.Command {
	var expected, actual, targetID, keyringDir string
	var pubs []string
	cmd := &cobra.Command{
		Use:   "check --expected STICKER --actual STICKER",
		Short: "Report whether a target's sticker is missing, corrupted or names other digests",
		Long: `Check compares the sticker the target should carry (--expected: the one written there, or the set's
stella.version.TARGET.json) with the one read from it (--actual) and prints the DriftCheck:

  missing    the actual file does not exist
  corrupted  the actual file is not a JSON sticker, or its signature does not verify
  mismatch   it names another release id or other component digests (details: the first differing
             field; differences: all of them)

Signatures are checked with the --public-key files, else with the keyring key each sticker names in
signerKeyRef. The expected sticker must verify: if it does not, that is bad input (exit 2).

Exit 0: no drift. Exit 3: drift. The text output is one line; --output json prints the DriftCheck.`,
		Example: `  stella drift check --expected artifacts/acme/d1/stella.version.prod-web-01.json \
      --actual /mnt/prod-web-01/stella.version.json --public-key prod.pem --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			keys, err := loadKeys(pubs, keyringDir)
			if err != nil {
				return err
			}
			res, err := drift.CheckFiles(expected, actual, targetID, keys)
			if err != nil {
				return err
			}
			if g.JSON() {
				err = g.PrintJSON(res)
			} else {
				_, err = fmt.Fprintln(g.Stdout, res.Summary())
			}
			if err != nil {
				return err
			}
			if res.DriftDetected {
				g.Log.Debug("drift", "type", res.DriftType, "differences", len(res.Differences))
				return silentExit{code: 3}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&expected, "expected", "", "the sticker the target should carry")
	cmd.Flags().StringVar(&actual, "actual", "", "the sticker read from the target")
	cmd.Flags().StringVar(&targetID, "target-id", "", "target id to report (default: the expected sticker's deployment.targetId)")
	cmd.Flags().StringArrayVar(&pubs, "public-key", nil, "trusted public key, PEM (repeatable); default: the keyring")
	keyringFlag(cmd, &keyringDir)
	_ = cmd.MarkFlagRequired("expected")
	_ = cmd.MarkFlagRequired("actual")
	_ = cmd.MarkFlagFilename("public-key", "pem", "pub")
	return cmd
}
