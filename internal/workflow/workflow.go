// Package workflow is the model and loader of workflow.yaml: a deployment's strategy and its hooks
// (pre-deploy and post-deploy lists of steps: run a command, wait for a health check, notify a webhook),
// or a script of the user's own (a C# .csx or a shell .sh). Loading is strict: an unknown field, an unknown
// step kind, a hook with no command, a health check with no target or a timeout that does not parse is one
// line naming the file, the line and the field.
package workflow

import (
	"fmt"
	"time"
)

// Strategy types and failure behaviours.
const (
	AllAtOnce = "all-at-once"
	Rolling   = "rolling"

	Rollback = "rollback"
	Continue = "continue"
	Pause    = "pause"
)

// StrategyTypes and FailureModes list the accepted values; the first of each is the default.
var (
	StrategyTypes = []string{AllAtOnce, Rolling}
	FailureModes  = []string{Rollback, Continue, Pause}
)

// Hook names, as they appear in workflow.yaml and in a failing script's message.
const (
	PreDeploy  = "preDeploy"
	PostDeploy = "postDeploy"
)

// Script kinds, by the file name's extension.
const (
	ScriptCSharp = "csx"
	ScriptShell  = "sh"
)

// Workflow is a deployment's workflow template (workflow.yaml).
type Workflow struct {
	Strategy Strategy `json:"strategy"`
	Hooks    Hooks    `json:"hooks"`
	// Script is the user's own deployment script, relative to the workflow file (deploy.stella.csx or a .sh).
	Script string `json:"script,omitempty"`

	// File is the path the workflow was loaded from; ScriptPath is Script resolved against it.
	File       string `json:"-"`
	ScriptPath string `json:"-"`
	// ScriptLine is the line of the script field, for errors found in the script later.
	ScriptLine int `json:"-"`
}

// Strategy says how the deployment rolls out and what happens when it fails.
type Strategy struct {
	Type      string `json:"type"`
	BatchSize int    `json:"batchSize,omitempty"`
	OnFailure string `json:"onFailure"`
}

// Hooks are the steps run before and after the deploy step.
type Hooks struct {
	PreDeploy  []Step `json:"preDeploy,omitempty"`
	PostDeploy []Step `json:"postDeploy,omitempty"`
}

// Empty reports whether there is no step at all.
func (h Hooks) Empty() bool { return len(h.PreDeploy) == 0 && len(h.PostDeploy) == 0 }

// Step is one step of a hook: exactly one of Run, HealthCheck, Notify.
type Step struct {
	// Name is an optional label shown when the step runs.
	Name        string       `json:"name,omitempty"`
	Run         string       `json:"run,omitempty"`
	HealthCheck *HealthCheck `json:"healthCheck,omitempty"`
	Notify      *Notify      `json:"notify,omitempty"`

	// Line is the line of the step in File; RunLine is the line where the command's first line stands.
	Line    int `json:"-"`
	RunLine int `json:"-"`
}

// Kind is the step's kind: "run", "healthCheck" or "notify".
func (s Step) Kind() string {
	switch {
	case s.HealthCheck != nil:
		return "healthCheck"
	case s.Notify != nil:
		return "notify"
	default:
		return "run"
	}
}

// HealthCheck waits until a URL answers 2xx/3xx to GET, or a command exits 0.
type HealthCheck struct {
	URL     string `json:"url,omitempty"`
	Command string `json:"command,omitempty"`
	// Timeout bounds the whole wait (default 30s); Interval is the pause between attempts (default 1s).
	Timeout  Duration `json:"timeout"`
	Interval Duration `json:"interval"`
	// Retries is the number of attempts after the first; 0 means as many as fit in Timeout.
	Retries int `json:"retries,omitempty"`

	CommandLine int `json:"-"`
}

// Notify posts {"message": ...} as JSON to a webhook URL.
type Notify struct {
	URL     string `json:"url"`
	Message string `json:"message"`
}

// Defaults for a health check.
const (
	DefaultHealthTimeout  = 30 * time.Second
	DefaultHealthInterval = time.Second
)

// Duration is a time.Duration written as Go duration text ("30s", "2m").
type Duration time.Duration

// D is the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Seconds is the duration in whole seconds, rounded up (at least 1 for a positive duration).
func (d Duration) Seconds() int {
	s := int((time.Duration(d) + time.Second - 1) / time.Second)
	if s < 1 && d > 0 {
		s = 1
	}
	return s
}

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprintf("%q", d.String())), nil }
