// Package script turns a workflow into the deployment script of an artifact set, checked at generation
// time so that a broken script never reaches a target:
//
//   - hooks → deploy.stella.sh, generated deterministically, parsed and printed with mvdan.cc/sh and
//     checked with shellcheck when it is installed; a user's own .sh is checked the same way;
//   - a user's C# script (.csx) → deploy.stella.script.csx (the source as given), deploy.stella.script.dll
//     (its statements wrapped into a method of a generated class, compiled with Mono's mcs) and
//     StellaOps.Sdk.dll (the SDK, C# source of our own embedded in this package).
//
// Errors in the user's input are fault.Input errors naming the file, line and field (or the script's own
// line); a missing compiler is an input error naming the packages to install.
package script

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/workflow"
)

// Artifact file names and their manifest types.
const (
	ShellName    = "deploy.stella.sh"
	CSXName      = "deploy.stella.script.csx"
	DLLName      = "deploy.stella.script.dll"
	SDKName      = "StellaOps.Sdk.dll"
	LockFileName = "compose.stella.lock.yml"
	// EnvFileName is the set's env file (the environment's non-secret variables), passed to Compose
	// with --env-file when the set has one.
	EnvFileName = "stella.env"

	TypeShell    = "script-shell"
	TypeSource   = "script-source"
	TypeCompiled = "script-compiled"
	TypeSDK      = "script-sdk"
)

// SDKVersion is the version of the bundled StellaOps.Sdk; a #r "nuget: StellaOps.Sdk, V" directive
// resolves to it when V has the same major version and is not newer.
const SDKVersion = "1.0.0"

// Artifact is one file of the set produced from the workflow: its bytes in Data, or — for a user's own
// shell script, which goes into the set byte for byte and may be of any size — the file at Path, of
// Size bytes with SHA-256 SHA256 as Build read them (it parsed, linted and hashed them in one read).
type Artifact struct {
	Name string
	Type string
	Data []byte

	Path   string
	Size   int64
	SHA256 string
}

// Options configure generation.
type Options struct {
	// ProjectName is the Compose project (-p); default "stella".
	ProjectName string
	// ComposeCommand is the command that runs Compose, as words; default "docker compose" ("podman compose",
	// "podman-compose", or a stand-in in tests).
	ComposeCommand string
	// DeploymentID goes into notification bodies; optional.
	DeploymentID string
	// CSXCompiler is the path of mcs; empty: mcs on PATH.
	CSXCompiler string
	// Shellcheck is the path of shellcheck; empty: shellcheck on PATH, and no check when it is absent.
	Shellcheck string
	// Log receives diagnostics; nil discards them.
	Log *slog.Logger

	noLint bool // benchmarks measure generation alone
}

func (o *Options) defaults() error {
	if o.ProjectName == "" {
		o.ProjectName = "stella"
	}
	if o.ComposeCommand == "" {
		o.ComposeCommand = "docker compose"
	}
	if strings.TrimSpace(o.ComposeCommand) == "" {
		return fault.Inputf("--compose-command: empty")
	}
	for _, r := range o.ProjectName {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fault.Inputf("--project-name: %q: a Compose project name has lowercase letters, digits, - and _ only", o.ProjectName)
		}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Build produces the script artifacts of wf: none when the workflow has neither hooks nor a script.
// The artifacts are sorted by name.
func Build(ctx context.Context, wf *workflow.Workflow, opts Options) ([]Artifact, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	switch {
	case wf.Script != "" && strings.HasSuffix(wf.Script, ".csx"):
		return buildCSharp(ctx, wf, opts)
	case wf.Script != "":
		a, err := checkUserShell(ctx, wf, opts)
		if err != nil {
			return nil, err
		}
		return []Artifact{a}, nil
	case !wf.Hooks.Empty():
		data, err := Shell(ctx, wf, opts)
		if err != nil {
			return nil, err
		}
		return []Artifact{{Name: ShellName, Type: TypeShell, Data: data}}, nil
	}
	return nil, nil
}

// inputErr is the one-line input error for a workflow field: "workflow FILE:LINE: FIELD: message".
func inputErr(wf *workflow.Workflow, line int, field, format string, args ...any) error {
	return fault.Inputf("workflow %s:%d: %s: %s", wf.File, line, field, fmt.Sprintf(format, args...))
}

// DefaultProjectName is the Compose project of a tenant's environment when none is given: both folded
// into a project name (lowercase letters, digits, - and _). The generated scripts and the agent use it.
func DefaultProjectName(tenant, environment string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(tenant + "-" + environment) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-_")
}
