package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/client"
	"github.com/stella-ops/stella/internal/drift"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/server"
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
	var expected, actual, targetID, keyringDir, environment string
	var pubs []string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "check --expected STICKER --actual STICKER | --environment E --server URL",
		Short: "Report whether a target's sticker is missing, corrupted or names other digests",
		Long: `Check compares the sticker the target should carry (--expected: the one written there, or the set's
stella.version.TARGET.json) with the one read from it (--actual) and prints the DriftCheck:

  missing    the actual file does not exist
  corrupted  the actual file is not a JSON sticker, or its signature does not verify
  mismatch   it names another release id or other component digests (details: the first differing
             field; differences: all of them)

Signatures are checked with the --public-key files, else with the keyring key each sticker names in
signerKeyRef. The expected sticker must verify: if it does not, that is bad input (exit 2).

With --environment and --server it asks the server to check every target of the environment that has an
agent now (each agent reads its sticker and running containers; the server compares them with what it
issued and with the set's lock), waits up to --wait for the results, and prints one line per target.

Exit 0: no drift. Exit 3: drift. The text output is one line; --output json prints the DriftCheck.`,
		Example: `  stella drift check --expected artifacts/acme/d1/stella.version.prod-web-01.json \
      --actual /mnt/prod-web-01/stella.version.json --public-key prod.pem --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if environment != "" {
				return remoteDriftCheck(cmd.Context(), g, environment, wait)
			}
			if expected == "" || actual == "" {
				return fault.Inputf("--expected and --actual: required (or --environment with --server)")
			}
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
	cmd.Flags().StringVar(&environment, "environment", "", "remote mode: check every target of this environment now")
	cmd.Flags().DurationVar(&wait, "wait", time.Minute, "remote mode: how long to wait for the agents' results")
	_ = cmd.MarkFlagFilename("public-key", "pem", "pub")
	return cmd
}

// remoteDriftCheck asks the server for a drift check of every target of env and prints each result.
func remoteDriftCheck(ctx context.Context, g *Globals, env string, wait time.Duration) error {
	if g.Server == "" {
		return fault.Inputf("--server: --environment checks the targets through a server (stella serve)")
	}
	c, err := client.New(g.Server, g.Token)
	if err != nil {
		return err
	}
	tasks, err := c.EnvironmentDriftCheck(ctx, env)
	if err != nil {
		return err
	}
	if len(tasks) == 0 {
		return fault.NotFoundf("environment %s: no target with an agent", env)
	}
	deadline := time.Now().Add(wait)
	type row struct {
		TargetID string        `json:"targetId"`
		State    string        `json:"state"`
		Check    *drift.Result `json:"check,omitempty"`
		Error    string        `json:"error,omitempty"`
	}
	rows := make([]row, len(tasks))
	drifted := false
	for i, k := range tasks {
		rows[i] = row{TargetID: k.TargetID, State: "unknown"}
		for {
			got, err := c.Task(ctx, k.TargetID, k.ID)
			if err != nil {
				return err
			}
			if got.Status != "pending" && got.Status != "leased" {
				var res server.TaskResult
				_ = json.Unmarshal(got.Result, &res)
				rows[i].Check, rows[i].Error = res.Drift, res.Error
				switch {
				case res.Drift == nil:
					rows[i].State = got.Status
				case res.Drift.DriftDetected:
					rows[i].State, drifted = res.Drift.DriftType, true
				default:
					rows[i].State = "none"
				}
				break
			}
			if time.Now().After(deadline) {
				rows[i].Error = "no result within --wait"
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	if g.JSON() {
		if err := g.PrintJSON(rows); err != nil {
			return err
		}
	} else {
		for _, r := range rows {
			line := r.TargetID + ": " + r.State
			if r.Check != nil {
				line = r.Check.Summary()
			} else if r.Error != "" {
				line += " (" + r.Error + ")"
			}
			fmt.Fprintln(g.Stdout, line)
		}
	}
	if drifted {
		return silentExit{code: 3}
	}
	for _, r := range rows {
		if r.Check == nil {
			return fault.Wrap(fault.Unavailable, fmt.Errorf("target %s: no drift result (%s)", r.TargetID, r.Error))
		}
	}
	return nil
}
