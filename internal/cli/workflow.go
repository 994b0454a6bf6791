package cli

import (
	"context"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/generate"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/script"
	"github.com/stella-ops/stella/internal/workflow"
)

// WorkflowOptions are generate's flags for the workflow template and its deployment script.
type WorkflowOptions struct {
	Workflow       string
	CSXCompiler    string
	ProjectName    string
	ComposeCommand string
}

func workflowFlags(cmd *cobra.Command, o *WorkflowOptions) {
	f := cmd.Flags()
	f.StringVar(&o.Workflow, "workflow", "", "workflow template (workflow.yaml): strategy, hooks or a script")
	f.StringVar(&o.CSXCompiler, "csx-compiler", "", "Mono C# compiler for a workflow's .csx (default: mcs on PATH)")
	f.StringVar(&o.ProjectName, "project-name", "", "Compose project name the deployment script uses (default TENANT-ENVIRONMENT)")
	f.StringVar(&o.ComposeCommand, "compose-command", "docker compose", `command that runs Compose in the deployment script (e.g. "podman compose")`)
	_ = cmd.MarkFlagFilename("workflow", "yaml", "yml", "json")
}

// workflowArtifacts loads the workflow and builds its deployment script: the sticker's strategy, the
// script artifacts and the inputs to record. Without --workflow it returns nothing.
func workflowArtifacts(ctx context.Context, g *Globals, o WorkflowOptions, tenant, environmentID, deploymentID string) (workflow.Strategy, []generate.Artifact, []manifest.Input, error) {
	if o.Workflow == "" {
		return workflow.Strategy{}, nil, nil, nil
	}
	wf, err := workflow.Load(o.Workflow)
	if err != nil {
		return workflow.Strategy{}, nil, nil, err
	}
	project := o.ProjectName
	if project == "" {
		project = script.DefaultProjectName(tenant, environmentID)
	}
	arts, err := script.Build(ctx, wf, script.Options{
		ProjectName: project, ComposeCommand: o.ComposeCommand, DeploymentID: deploymentID,
		CSXCompiler: o.CSXCompiler, Log: g.Log,
	})
	if err != nil {
		return workflow.Strategy{}, nil, nil, err
	}
	extra := make([]generate.Artifact, len(arts))
	for i, a := range arts {
		extra[i] = generate.Artifact{Name: a.Name, Type: a.Type, Data: a.Data, Path: a.Path, Size: a.Size, SHA256: a.SHA256}
	}
	data, err := os.ReadFile(o.Workflow)
	if err != nil {
		return workflow.Strategy{}, nil, nil, err
	}
	inputs := []manifest.Input{{Role: "workflow", Name: filepath.Base(o.Workflow), SHA256: checksum.Sum(data)}}
	if wf.ScriptPath != "" {
		// A user's shell script is the artifact itself, already hashed as it was checked; a C# source
		// is hashed here, streaming (either may be large).
		sum := ""
		for _, a := range arts {
			if a.Path == wf.ScriptPath && a.SHA256 != "" {
				sum = a.SHA256
			}
		}
		if sum == "" {
			f, err := os.Open(wf.ScriptPath)
			if err != nil {
				return workflow.Strategy{}, nil, nil, err
			}
			sum, _, err = checksum.Stream(f)
			f.Close()
			if err != nil {
				return workflow.Strategy{}, nil, nil, err
			}
		}
		inputs = append(inputs, manifest.Input{Role: "script", Name: filepath.Base(wf.ScriptPath), SHA256: sum})
	}
	return wf.Strategy, extra, inputs, nil
}
