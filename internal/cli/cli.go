// Package cli is Stella's command line: one cobra command per file, each a thin layer that parses flags,
// calls the package that does the work, and prints the result on stdout (text or --output json).
// Diagnostics go to stderr; the exit code comes from fault.ExitCode.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/agent"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/version"
)

// Globals are the flags every command shares.
type Globals struct {
	Output  string // text | json
	Verbose bool
	// Server and Token put the commands that support it in remote mode (the HTTP API of stella serve).
	Server string
	Token  string
	Config string
	Stdout io.Writer
	Stderr io.Writer
	Log    *slog.Logger
	// NewDriver makes the agent's Compose driver (stella-agent: the Docker Compose SDK); nil: the
	// docker compose command line.
	NewDriver func() (agent.ComposeDriver, error)
}

// driver is the agent's Compose driver.
func (g *Globals) driver() (agent.ComposeDriver, error) {
	if g.NewDriver != nil {
		return g.NewDriver()
	}
	return agent.ExecDriver{}, nil
}

// JSON reports whether the result should be printed as JSON.
func (g *Globals) JSON() bool { return g.Output == "json" }

// PrintJSON writes v as indented JSON on stdout.
func (g *Globals) PrintJSON(v any) error {
	enc := json.NewEncoder(g.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Main runs the command line with os.Args and returns the exit code.
func Main() int {
	// A command is a short-lived process that allocates a few megabytes: collect garbage less often.
	// (A long-running command such as serve sets its own.)
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// Run runs the command line with args and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := &Globals{Stdout: stdout, Stderr: stderr}
	return execute(ctx, g, NewRoot(g), args)
}

// AgentMain is the stella-agent binary: the agent commands (stella agent …) with the Compose driver
// newDriver makes.
func AgentMain(newDriver func() (agent.ComposeDriver, error)) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g := &Globals{Stdout: os.Stdout, Stderr: os.Stderr, NewDriver: newDriver}
	root := NewRoot(g)
	var ag *cobra.Command
	for _, c := range root.Commands() {
		if c.Name() == "agent" {
			ag = c
		}
	}
	ag.Use, ag.Version = "stella-agent", root.Version
	ag.Short = "The Stella agent of a target: register, run tasks (deploy with the Docker Compose SDK), apply offline"
	ag.PersistentFlags().AddFlagSet(root.PersistentFlags())
	ag.PersistentPreRunE = root.PersistentPreRunE
	ag.SilenceUsage, ag.SilenceErrors = true, true
	root.RemoveCommand(ag)
	return execute(ctx, g, ag, os.Args[1:])
}

func execute(ctx context.Context, g *Globals, root *cobra.Command, args []string) int {
	stdout, stderr := g.Stdout, g.Stderr
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var se silentExit
	if errors.As(err, &se) {
		return se.code
	}
	var p *fault.Problems
	if errors.As(err, &p) {
		for _, x := range p.List {
			fmt.Fprintln(stderr, x.String())
		}
		if g.JSON() {
			_ = g.PrintJSON(map[string]any{"valid": false, "problems": p.List})
		}
	} else {
		msg := err.Error()
		// Cobra's own flag errors are usage errors.
		if fault.KindOf(err) == fault.Operational && isUsage(msg) {
			err = fault.Wrap(fault.Input, err)
		}
		fmt.Fprintln(stderr, "stella: "+oneLine(msg))
	}
	return fault.ExitCode(err)
}

func isUsage(msg string) bool {
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "unknown command", "accepts ", "requires at least", "required flag", "bad flag", "if any flags in the group"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }

// NewRoot builds the command tree.
func NewRoot(g *Globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "stella",
		Short: "Signed, verifiable deployment artifacts for Docker Compose hosts",
		Long: `Stella turns an approved promotion of a release into the immutable, signed artifact set of one
deployment (a digest-pinned Compose lock file, a version sticker, a signed manifest and checksums),
stores it, and proves later that not a byte changed.

Start with:  stella quickstart DIR`,
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := configure(cmd, g.Config); err != nil {
				return err
			}
			if g.Output != "text" && g.Output != "json" {
				return fault.Inputf("--output: %q is not text or json", g.Output)
			}
			level := slog.LevelWarn
			if g.Verbose {
				level = slog.LevelDebug
			}
			g.Log = slog.New(slog.NewTextHandler(g.Stderr, &slog.HandlerOptions{Level: level}))
			if g.Token == "" {
				g.Token = os.Getenv("STELLA_TOKEN")
			}
			return nil
		},
	}
	root.PersistentFlags().StringVarP(&g.Output, "output", "o", "text", "result format: text or json")
	root.PersistentFlags().BoolVarP(&g.Verbose, "verbose", "v", false, "print diagnostics on stderr")
	root.PersistentFlags().StringVar(&g.Config, "config", "", "configuration file (default $STELLA_CONFIG, else "+DefaultConfigFile+" if it exists): flags > STELLA_* environment > this file > defaults")
	root.PersistentFlags().StringVar(&g.Server, "server", os.Getenv("STELLA_SERVER"), "remote mode: the URL of a stella serve (default $STELLA_SERVER) for deployments and artifacts")
	root.PersistentFlags().StringVar(&g.Token, "token", "", "remote mode: the bearer token (default $STELLA_TOKEN; never printed)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return fault.Wrap(fault.Input, err) })
	root.AddCommand(
		newKeysCommand(g),
		newVersionCommand(g),
	)
	for _, add := range extraCommands {
		root.AddCommand(add(g))
	}
	strictGroups(root)
	return root
}

// strictGroups makes every command group refuse an unknown subcommand (exit 2 naming it) instead of
// printing its help and exiting 0, which a script would take for success.
func strictGroups(c *cobra.Command) {
	for _, sub := range c.Commands() {
		if sub.HasSubCommands() && sub.Run == nil && sub.RunE == nil {
			sub.Args = noSubcommand
			sub.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
		}
		strictGroups(sub)
	}
}

// extraCommands lets each command file register itself from its own file without a shared edit point.
// Order does not matter: cobra sorts commands by name.
var extraCommands []func(*Globals) *cobra.Command

func register(f func(*Globals) *cobra.Command) bool {
	extraCommands = append(extraCommands, f)
	return true
}

func newVersionCommand(g *Globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of stella",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.JSON() {
				return g.PrintJSON(map[string]string{"version": version.Version, "generator": version.Generator()})
			}
			_, err := fmt.Fprintln(g.Stdout, version.String())
			return err
		},
	}
}
