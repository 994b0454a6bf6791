package lockfile

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// A lock large enough to be loaded in parts is checked as a whole: references across parts resolve,
// a reference to no service, an unknown network and a container name used twice are all found, each
// naming the template's line.
func TestCheckLockInParts(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs two cores to load in parts")
	}
	build := func(extra map[int]string) []byte {
		var b strings.Builder
		b.WriteString("services:\n")
		for i := range 3 * minChunk {
			fmt.Fprintf(&b, "  s%03d:\n    image: x\n", i)
			if i > 0 {
				fmt.Fprintf(&b, "    depends_on: [s%03d]\n", (i+2*minChunk)%(3*minChunk))
			}
			b.WriteString(extra[i])
		}
		b.WriteString("networks:\n  front: {}\n")
		return []byte(b.String())
	}
	for _, tc := range []struct {
		name  string
		extra map[int]string
		want  string
	}{
		{"valid", map[int]string{7: "    networks: [front]\n"}, ""},
		// Each reference kind to a service in another part: its stub must be there.
		{"references across parts", map[int]string{
			1:   "    network_mode: service:s110\n",
			2:   "    volumes_from: [s111, \"s112:ro\"]\n",
			4:   "    links: [\"s113:db\"]\n",
			5:   "    ipc: service:s114\n",
			0:   "    depends_on: {s115: {condition: service_healthy}}\n",
			110: "    pid: service:s001\n",
			115: "    healthcheck: {test: [CMD, \"true\"]}\n",
		}, ""},
		{"network_mode service missing", map[int]string{1: "    network_mode: service:nope\n"}, "nope"},
		{"undefined service", map[int]string{100: "    volumes_from: [nope]\n"}, "compose.yaml:"},
		{"unknown network", map[int]string{110: "    networks: [back]\n"}, "back"},
		// Two problems in two parts: the first service in name order, with its line.
		{"first of two", map[int]string{110: "    networks: [back]\n", 10: "    networks: [zzz]\n"}, `compose.yaml:31: services.s010: Compose refuses the lock: service "s010" refers to undefined network zzz`},
		{"container name twice", map[int]string{3: "    container_name: c\n", 115: "    container_name: c\n"}, "services.s115.container_name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := build(tc.extra)
			tpl, err := Parse("compose.yaml", src)
			if err != nil {
				t.Fatal(err)
			}
			err = tpl.CheckLock(context.Background(), src, nil)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("valid lock refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// referenced finds every kind of reference to another service, so that a part's stubs cover them and
// the whole-lock fallback is for real errors only.
func TestReferenced(t *testing.T) {
	services := map[string]any{}
	for _, n := range []string{"web", "db", "cache", "net", "logs", "ipc", "pid", "init", "unused"} {
		services[n] = map[string]any{"image": "x"}
	}
	def := map[string]any{
		"image":        "x",
		"network_mode": "service:net",
		"ipc":          "service:ipc",
		"pid":          "service:pid",
		"volumes_from": []any{"logs:ro", "container:other"},
		"links":        []any{"db:database"},
		"depends_on":   map[string]any{"cache": map[string]any{"condition": "service_healthy"}, "init": map[string]any{}},
	}
	got := referenced(def, services)
	want := []string{"cache", "db", "init", "ipc", "logs", "net", "pid"}
	if len(got) != len(want) {
		t.Fatalf("referenced = %v, want %v", got, want)
	}
	for _, n := range want {
		if !got[n] {
			t.Errorf("referenced misses %s (got %v)", n, got)
		}
	}
}

// The check generation makes of its lock is every check verification makes of a stored lock's bytes
// (CheckStored), so that the memo of a generated lock (LoadKey) may stand for all three: a lock that is
// not one YAML document, not self-contained, or not loadable is refused, and a good one passes.
func TestCheckLockIsVerifysChecks(t *testing.T) {
	tpl, err := Parse("compose.yaml", []byte("services:\n  web:\n    image: nginx\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, lock, want string }{
		{"good", "services:\n  web:\n    image: nginx@sha256:" + strings.Repeat("a", 64) + "\n", ""},
		{"include", "include: [other.yaml]\nservices:\n  web:\n    image: nginx\n", "not self-contained"},
		{"extends a file", "services:\n  web:\n    image: nginx\n    extends: {file: base.yaml, service: b}\n", "services.web.extends.file"},
		{"two documents", "services:\n  web:\n    image: nginx\n---\nservices: {}\n", "YAML"},
		{"not loadable", "services:\n  web:\n    image: nginx\n    ports: [\"not a port\"]\n", "Compose refuses the lock"},
	} {
		err := tpl.CheckLock(context.Background(), []byte(tc.lock), nil)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error naming %q", tc.name, err, tc.want)
		}
		if p, c, l := CheckStored(context.Background(), []byte(tc.lock), ".", nil); (p == nil && c == nil && l == nil) != (err == nil) {
			t.Errorf("%s: CheckStored says %v %v %v, CheckLock %v", tc.name, p, c, l, err)
		}
	}
}

// Of several services Compose refuses, the first in name order is reported, every time, with its line —
// also for a message of compose-go's that names no service ("invalid hostPort: x", from its walk of a
// map) — and a problem no service has alone (a cycle) or a top-level section's keeps Compose's own.
func TestCheckLockNamesFirstBadService(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"undefined services", "services:\n  c:\n    image: x\n    depends_on: [z]\n  b:\n    image: x\n    depends_on: [y]\n  a:\n    image: x\n    depends_on: [x]\n",
			`compose.yaml:8: services.a: Compose refuses the lock: service "a" depends on undefined service "x"`},
		{"unnamed by compose-go", "services:\n  b:\n    image: x\n    ports: [\"x:80\"]\n  a:\n    image: x\n    ports: [\"y:80\"]\n",
			"compose.yaml:5: services.a: Compose refuses the lock: invalid hostPort: y"},
		{"one service", "services:\n  app:\n    image: x\n    volumes: [\":/data\"]\n",
			"compose.yaml:2: services.app: Compose refuses the lock: invalid spec: :/data"},
		{"empty variable", "services:\n  app:\n    image: x\n    volumes: [\"${UPLOAD_LOCATION}:/data\", \"${LOGS:-/l}:/l\"]\n",
			"compose.yaml:2: services.app: Compose refuses the lock: invalid spec: :/data: empty section between colons (UPLOAD_LOCATION: not given by the environment and without a default, so empty"},
		{"cycle", "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n",
			"compose.yaml: Compose refuses the lock: dependency cycle detected"},
		{"top-level section", "services:\n  a:\n    image: x\n    secrets: [s]\nsecrets:\n  s: {}\n",
			"compose.yaml:6: secrets.s: Compose refuses the lock: one of file|environment must be set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := Parse("compose.yaml", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			for range 10 { // Go's map order differs from run to run
				err := tpl.CheckLock(context.Background(), []byte(tc.src), nil)
				if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
					t.Fatalf("CheckLock = %v, want %q…", err, tc.want)
				}
			}
		})
	}
}
