package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// ComposeDriver is what the agent needs of Docker Compose: pull a project's images, bring (some of) its
// services up, list its containers with the digests they run, take it down. The Docker Compose SDK is the
// real implementation (internal/agent/composesdk, built into stella-agent only: it brings ~200 modules);
// ExecDriver runs the docker compose command line as the fallback.
type ComposeDriver interface {
	Pull(ctx context.Context, p Project) error
	// Up creates and starts the project's services (all of them when services is empty) and waits until
	// their containers run (and are healthy, where a health check is defined).
	Up(ctx context.Context, p Project, services []string) error
	Ps(ctx context.Context, project string) ([]Container, error)
	Down(ctx context.Context, project string) error
}

// Project is one Compose project as the agent deploys it: a fixed name, the set's lock file and env file,
// and the environment the lock's ${NAME}s are taken from (the secrets resolved on the target).
type Project struct {
	Name     string
	Dir      string   // the verified set's directory, the project's working directory
	Files    []string // compose.stella.lock.yml
	EnvFiles []string // stella.env when the set has one
	Env      []string // NAME=value: secrets resolved on this host; never logged
	Log      io.Writer
}

// Container is a container of a project as it runs.
type Container struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Service string `json:"service"`
	State   string `json:"state"`
	Health  string `json:"health,omitempty"`
	// Image is the reference the container was created from; Digests are the repository digests
	// (repo@sha256:…) of the image it runs.
	Image   string   `json:"image"`
	Digests []string `json:"digests"`
}

// ExecDriver drives the docker compose command line (Command, default "docker compose") and docker
// inspect for the digests.
type ExecDriver struct {
	Command []string
}

func (d ExecDriver) cmd(ctx context.Context, p *Project, args ...string) *exec.Cmd {
	c := d.Command
	if len(c) == 0 {
		c = []string{"docker", "compose"}
	}
	cmd := exec.CommandContext(ctx, c[0], append(append([]string{}, c[1:]...), args...)...)
	if p != nil {
		cmd.Dir = p.Dir
		cmd.Env = append(os.Environ(), p.Env...)
		if p.Log != nil {
			cmd.Stdout, cmd.Stderr = p.Log, p.Log
		}
	}
	return cmd
}

func (d ExecDriver) projectArgs(p Project) []string {
	args := []string{"-p", p.Name}
	for _, f := range p.EnvFiles {
		args = append(args, "--env-file", f)
	}
	for _, f := range p.Files {
		args = append(args, "-f", f)
	}
	return args
}

func run(cmd *exec.Cmd, what string) error {
	var stderr bytes.Buffer
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v %s", what, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// Pull pulls the project's images.
func (d ExecDriver) Pull(ctx context.Context, p Project) error {
	return run(d.cmd(ctx, &p, append(d.projectArgs(p), "pull", "--quiet")...), "compose pull")
}

// Up brings services up and waits for them.
func (d ExecDriver) Up(ctx context.Context, p Project, services []string) error {
	args := append(d.projectArgs(p), "up", "--detach", "--wait", "--no-build", "--pull", "never")
	if len(services) == 0 {
		args = append(args, "--remove-orphans")
	}
	return run(d.cmd(ctx, &p, append(args, services...)...), "compose up")
}

// Ps lists the project's containers and the digests of the images they run.
func (d ExecDriver) Ps(ctx context.Context, project string) ([]Container, error) {
	var out bytes.Buffer
	cmd := d.cmd(ctx, nil, "-p", project, "ps", "--all", "--format", "json")
	cmd.Stdout = &out
	if err := run(cmd, "compose ps"); err != nil {
		return nil, err
	}
	var cs []Container
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var row []struct {
			ID, Name, Service, State, Health, Image string
		}
		if line[0] != '[' {
			line = append(append([]byte{'['}, line...), ']')
		}
		if err := json.Unmarshal(line, &row); err != nil {
			return nil, fmt.Errorf("compose ps: %v", err)
		}
		for _, r := range row {
			cs = append(cs, Container{ID: r.ID, Name: r.Name, Service: r.Service, State: r.State, Health: r.Health, Image: r.Image})
		}
	}
	if len(cs) == 0 {
		return cs, nil
	}
	// The image each container runs, then those images' repository digests: one inspect each.
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	images, err := inspect(ctx, append([]string{"inspect", "--format", "{{.Id}} {{.Image}}"}, ids...))
	if err != nil {
		return nil, err
	}
	imgs := slices.Collect(maps.Values(images))
	digests, err := inspect(ctx, append([]string{"image", "inspect", "--format", "{{.Id}} {{json .RepoDigests}}"}, imgs...))
	if err != nil {
		return nil, err
	}
	for i := range cs {
		for id, im := range images {
			if strings.HasPrefix(id, cs[i].ID) {
				_ = json.Unmarshal([]byte(digests[im]), &cs[i].Digests)
			}
		}
	}
	return cs, nil
}

// Down removes the project's containers and networks.
func (d ExecDriver) Down(ctx context.Context, project string) error {
	return run(d.cmd(ctx, nil, "-p", project, "down", "--remove-orphans"), "compose down")
}

// inspect runs docker with args whose --format prints "ID VALUE" a line, and maps ID to VALUE.
func inspect(ctx context.Context, args []string) (map[string]string, error) {
	var out bytes.Buffer
	c := exec.CommandContext(ctx, "docker", args...)
	c.Stdout = &out
	if err := run(c, "docker "+args[0]); err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if id, v, ok := strings.Cut(line, " "); ok {
			m[id] = v
		}
	}
	return m, nil
}
