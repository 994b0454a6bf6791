package drift

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/release"
)

// Service is what a lock says should run of one service: its image digest and how many replicas.
type Service struct {
	Name     string `json:"name"`
	Image    string `json:"image"`
	Digest   string `json:"digest"`
	Replicas int    `json:"replicas"`
}

// Running is one container as the target's container engine reports it: its service, state and the
// repository digests (repo@sha256:…) of the image it runs.
type Running struct {
	Service string   `json:"service"`
	Name    string   `json:"name"`
	State   string   `json:"state"`
	Digests []string `json:"digests"`
}

// Services reads what a lock says should run, loading it with compose-go as Compose would on the target
// (the environment's variables; secrets as placeholders). Services are in name order.
func Services(ctx context.Context, lock []byte, env *release.Environment) ([]Service, error) {
	p, err := lockfile.Load(ctx, "compose.stella.lock.yml", lock, "/", lockfile.EnvLookup(env))
	if err != nil {
		return nil, fmt.Errorf("compose.stella.lock.yml: %w", err)
	}
	out := make([]Service, 0, len(p.Services))
	for name, s := range p.Services {
		sv := Service{Name: name, Image: s.Image, Replicas: 1}
		if _, d, ok := strings.Cut(s.Image, "@"); ok {
			sv.Digest = d
		}
		if s.Deploy != nil && s.Deploy.Replicas != nil {
			sv.Replicas = *s.Deploy.Replicas
		}
		if s.Scale != nil {
			sv.Replicas = *s.Scale
		}
		out = append(out, sv)
	}
	slices.SortFunc(out, func(a, b Service) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// CompareRunning lists how the running containers differ from what should run: per service (in
// expected order) the number of running replicas, then each container whose image is not the lock's
// digest, then containers of services the lock does not have.
func CompareRunning(expected []Service, running []Running) []Difference {
	var ds []Difference
	want := make(map[string]Service, len(expected))
	for _, s := range expected {
		want[s.Name] = s
	}
	count := map[string]int{}
	for _, c := range running {
		if c.State == "running" {
			count[c.Service]++
		}
	}
	for _, s := range expected {
		if n := count[s.Name]; n != s.Replicas {
			ds = append(ds, Difference{Field: "services[" + s.Name + "].replicas", ExpectedDigest: strconv.Itoa(s.Replicas), ActualDigest: strconv.Itoa(n)})
		}
	}
	for _, c := range running {
		s, ok := want[c.Service]
		if !ok {
			ds = append(ds, Difference{Field: "services[" + c.Service + "]", ActualDigest: c.Name})
			continue
		}
		if s.Digest == "" || slices.ContainsFunc(c.Digests, func(d string) bool { return strings.HasSuffix(d, "@"+s.Digest) }) {
			continue
		}
		got := ""
		if len(c.Digests) > 0 {
			_, got, _ = strings.Cut(c.Digests[0], "@")
		}
		ds = append(ds, Difference{Field: "services[" + c.Service + "].containers[" + c.Name + "].digest", ExpectedDigest: s.Digest, ActualDigest: got})
	}
	return ds
}

// AddRunning adds the differences of the running containers (CompareRunning) to the result: any makes
// it a mismatch.
func (r *Result) AddRunning(ds []Difference) {
	if len(ds) == 0 {
		return
	}
	if r.DriftDetected {
		r.Differences = append(r.Differences, ds...)
		return
	}
	r.drift(Mismatch, "", ds...)
}
