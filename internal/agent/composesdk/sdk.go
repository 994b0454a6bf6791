// Package composesdk is the agent's ComposeDriver on the Docker Compose SDK
// (github.com/docker/compose/v5/pkg/compose): the same code docker compose runs, talking to the Docker API
// of DOCKER_HOST (dockerd, or podman's Docker-compatible socket). It brings about 200 modules, so only
// the stella-agent binary imports it; stella's own agent command falls back to the docker compose CLI.
package composesdk

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	composecli "github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/flags"
	"github.com/docker/compose/v5/pkg/api"
	"github.com/docker/compose/v5/pkg/compose"
	"github.com/moby/moby/client"

	"github.com/stella-ops/stella/internal/agent"
)

// Driver is a ComposeDriver on the Compose SDK. Its Docker client is made on first use.
type Driver struct {
	// Host is the Docker API to talk to (default $DOCKER_HOST, else the local socket).
	Host string
	// WaitTimeout bounds how long Up waits for containers to run and be healthy (default 2 minutes).
	WaitTimeout time.Duration

	once sync.Once
	cli  *command.DockerCli
	err  error
}

// New returns a driver for $DOCKER_HOST.
func New() (agent.ComposeDriver, error) { return &Driver{Host: os.Getenv("DOCKER_HOST")}, nil }

func (d *Driver) docker() (*command.DockerCli, error) {
	d.once.Do(func() {
		d.cli, d.err = command.NewDockerCli(command.WithCombinedStreams(io.Discard))
		if d.err != nil {
			return
		}
		opts := flags.NewClientOptions()
		if d.Host != "" {
			opts.Hosts = []string{d.Host}
		}
		d.err = d.cli.Initialize(opts)
	})
	return d.cli, d.err
}

func (d *Driver) service(log io.Writer) (api.Compose, error) {
	cli, err := d.docker()
	if err != nil {
		return nil, fmt.Errorf("docker API %s: %w", d.Host, err)
	}
	if log == nil {
		log = io.Discard
	}
	return compose.NewComposeService(cli, compose.WithOutputStream(log), compose.WithErrorStream(log),
		compose.WithPrompt(func(string, bool) (bool, error) { return false, nil }))
}

func (d *Driver) load(ctx context.Context, svc api.Compose, p agent.Project, services []string) (*types.Project, error) {
	abs := func(fs []string) []string {
		out := make([]string, len(fs))
		for i, f := range fs {
			out[i] = f
			if !filepath.IsAbs(f) {
				out[i] = filepath.Join(p.Dir, f)
			}
		}
		return out
	}
	proj, err := svc.LoadProject(ctx, api.ProjectLoadOptions{
		ProjectName: p.Name, ConfigPaths: abs(p.Files), WorkingDir: p.Dir, EnvFiles: abs(p.EnvFiles), Services: services,
		Offline: true, ProjectOptionsFns: []composecli.ProjectOptionsFn{composecli.WithEnv(p.Env)},
	})
	if err != nil {
		return nil, fmt.Errorf("load project %s: %w", p.Name, err)
	}
	return proj, nil
}

// Pull pulls every image of the project (by the digests the lock pins).
func (d *Driver) Pull(ctx context.Context, p agent.Project) error {
	svc, err := d.service(p.Log)
	if err != nil {
		return err
	}
	t, err := d.load(ctx, svc, p, nil)
	if err != nil {
		return err
	}
	if err := svc.Pull(ctx, t, api.PullOptions{Quiet: true}); err != nil {
		return fmt.Errorf("pull %s: %w", p.Name, err)
	}
	return nil
}

// Up creates and starts services (all when none is named), recreating the containers whose
// configuration changed, and waits until they run and are healthy.
func (d *Driver) Up(ctx context.Context, p agent.Project, services []string) error {
	svc, err := d.service(p.Log)
	if err != nil {
		return err
	}
	t, err := d.load(ctx, svc, p, services)
	if err != nil {
		return err
	}
	wait := d.WaitTimeout
	if wait == 0 {
		wait = 2 * time.Minute
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		wait = time.Until(dl)
	}
	err = svc.Up(ctx, t, api.UpOptions{
		Create: api.CreateOptions{RemoveOrphans: len(services) == 0, Recreate: api.RecreateDiverged,
			RecreateDependencies: api.RecreateDiverged, QuietPull: true},
		Start: api.StartOptions{Project: t, Wait: true, WaitTimeout: wait},
	})
	if err != nil {
		return fmt.Errorf("up %s: %w", p.Name, err)
	}
	return nil
}

// Ps lists the project's containers with the repository digests of the images they run.
func (d *Driver) Ps(ctx context.Context, project string) ([]agent.Container, error) {
	svc, err := d.service(nil)
	if err != nil {
		return nil, err
	}
	list, err := svc.Ps(ctx, project, api.PsOptions{All: true})
	if err != nil {
		return nil, fmt.Errorf("ps %s: %w", project, err)
	}
	dc := d.cli.Client()
	out := make([]agent.Container, 0, len(list))
	for _, c := range list {
		ct := agent.Container{ID: c.ID, Name: c.Name, Service: c.Service, State: string(c.State), Health: string(c.Health), Image: c.Image}
		in, err := dc.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
		if err != nil {
			return nil, fmt.Errorf("inspect container %s: %w", c.Name, err)
		}
		img, err := dc.ImageInspect(ctx, in.Container.Image)
		if err != nil {
			return nil, fmt.Errorf("inspect image of container %s: %w", c.Name, err)
		}
		ct.Digests = img.RepoDigests
		out = append(out, ct)
	}
	return out, nil
}

// Down removes the project's containers and networks.
func (d *Driver) Down(ctx context.Context, project string) error {
	svc, err := d.service(nil)
	if err != nil {
		return err
	}
	if err := svc.Down(ctx, project, api.DownOptions{RemoveOrphans: true}); err != nil {
		return fmt.Errorf("down %s: %w", project, err)
	}
	return nil
}
