package drift_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/drift"
	"github.com/stella-ops/stella/internal/release"
)

const (
	dA = "sha256:" + "aa" + "0000000000000000000000000000000000000000000000000000000000aa"
	dB = "sha256:" + "bb" + "0000000000000000000000000000000000000000000000000000000000bb"
)

// What a lock says should run comes from compose-go's loader: digests, replicas (deploy.replicas, the
// environment's variables interpolated), services in name order.
func TestServicesOfLock(t *testing.T) {
	lock := []byte("services:\n  web:\n    image: r.example/web@" + dA + "\n    deploy:\n      replicas: ${WEB_REPLICAS:-1}\n  api:\n    image: r.example/api:v1@" + dB + "\n    environment:\n      - DB=${DB_URL}\n")
	env := &release.Environment{Variables: map[string]string{"WEB_REPLICAS": "3"}, Secrets: []release.SecretRef{{Name: "DB_URL", Ref: "env:DB"}}}
	got, err := drift.Services(context.Background(), lock, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "api" || got[0].Digest != dB || got[0].Replicas != 1 || got[1].Name != "web" || got[1].Digest != dA || got[1].Replicas != 3 {
		t.Fatalf("services: %+v", got)
	}
	if _, err := drift.Services(context.Background(), []byte("services: [\n"), nil); err == nil {
		t.Error("a broken lock was read")
	}
}

func TestCompareRunning(t *testing.T) {
	want := []drift.Service{{Name: "api", Digest: dB, Replicas: 1}, {Name: "web", Digest: dA, Replicas: 2}}
	run := func(svc, name, state, digest string) drift.Running {
		return drift.Running{Service: svc, Name: name, State: state, Digests: []string{"r.example/" + svc + "@" + digest}}
	}
	ok := []drift.Running{run("api", "p-api-1", "running", dB), run("web", "p-web-1", "running", dA), run("web", "p-web-2", "running", dA)}
	if ds := drift.CompareRunning(want, ok); len(ds) != 0 {
		t.Fatalf("as expected, yet: %v", ds)
	}
	for name, c := range map[string]struct {
		running []drift.Running
		field   string
	}{
		"a replica stopped":        {[]drift.Running{ok[0], ok[1], run("web", "p-web-2", "exited", dA)}, "services[web].replicas: expected 2, found 1"},
		"a replica missing":        {ok[:2], "services[web].replicas: expected 2, found 1"},
		"another digest":           {[]drift.Running{run("api", "p-api-1", "running", dA), ok[1], ok[2]}, "services[api].containers[p-api-1].digest: expected " + dB + ", found " + dA},
		"a service the lock lacks": {append(ok[:3:3], run("extra", "p-extra-1", "running", dA)), "services[extra]: expected nothing, found p-extra-1"},
		"nothing runs":             {nil, "services[api].replicas: expected 1, found 0"},
	} {
		ds := drift.CompareRunning(want, c.running)
		var all []string
		for _, d := range ds {
			all = append(all, d.String())
		}
		if !strings.Contains(strings.Join(all, "\n"), c.field) {
			t.Errorf("%s: %v, want %q", name, all, c.field)
		}
	}
}
