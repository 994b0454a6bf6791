package local_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return local.New(t.TempDir()) })
}

// The conformance suite once more with the root three levels below a directory that does not exist yet.
func TestConformanceFreshRoot(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return local.New(filepath.Join(t.TempDir(), "a", "b", "store")) })
}

var ctx = context.Background()

func TestLayoutAndModes(t *testing.T) {
	dir := t.TempDir()
	s := local.New(dir)
	ref := store.Ref{Tenant: "acme", Deployment: "dep-1"}
	if err := s.Create(ctx, ref, storetest.Set("x")); err != nil {
		t.Fatal(err)
	}
	set := filepath.Join(dir, "acme", "dep-1")
	if s.Path(ref) != set {
		t.Errorf("Path = %s, want %s", s.Path(ref), set)
	}
	fi, err := os.Lstat(set)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != fs.ModeDir|0o555 {
		t.Errorf("set dir mode = %v, want dr-xr-xr-x", fi.Mode())
	}
	for _, f := range storetest.Set("x") {
		fi, err := os.Lstat(filepath.Join(set, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != 0o444 {
			t.Errorf("%s mode = %v, want -r--r--r--", f.Name, fi.Mode())
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "acme"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "dep-1" {
		t.Errorf("tenant dir holds %v, want only dep-1 (no temp dir left)", entries)
	}
}

// A crash between writing the temp dir and renaming it leaves a dot-prefixed dir: invisible to List and
// Open, and no obstacle to creating the set afterwards.
func TestLeftoverTempDirIsInvisible(t *testing.T) {
	dir := t.TempDir()
	s := local.New(dir)
	leftover := filepath.Join(dir, "acme", ".tmp-dep-1-123456")
	if err := os.MkdirAll(leftover, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(leftover, "manifest.json"), []byte("half"), 0o444); err != nil {
		t.Fatal(err)
	}
	// Stray entries that are not sets: a file in the tenant dir.
	if err := os.WriteFile(filepath.Join(dir, "acme", "stray-file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	refs, err := s.List(ctx, "acme")
	if err != nil || len(refs) != 0 {
		t.Fatalf("List with a leftover temp dir = %v, %v; want nothing", refs, err)
	}
	ref := store.Ref{Tenant: "acme", Deployment: "dep-1"}
	if _, err := s.Open(ctx, ref); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("Open(%s) with a leftover temp dir: %v, want ErrNotExist", ref, err)
	}
	if _, err := s.Open(ctx, store.Ref{Tenant: "acme", Deployment: filepath.Base(leftover)}); !errors.Is(err, store.ErrBadName) {
		t.Errorf("Open of the temp dir by name: %v, want ErrBadName", err)
	}
	if err := s.Create(ctx, ref, storetest.Set("x")); err != nil {
		t.Fatalf("Create after a crash: %v", err)
	}
	storetest.Check(t, s, ref, storetest.Set("x"))
	if refs, _ := s.List(ctx, "acme"); len(refs) != 1 || refs[0] != ref {
		t.Errorf("List = %v, want [%v]", refs, ref)
	}
}

// A Create that fails after writing some files leaves nothing behind.
func TestFailureMidwayLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	s := local.New(dir)
	ref := store.Ref{Tenant: "acme", Deployment: "dep-1"}
	for after := range 4 {
		c := &countdown{Context: ctx, left: after}
		err := s.Create(c, ref, storetest.Set("x"))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Create canceled after %d checks: %v, want context.Canceled", after, err)
		}
		entries, err := os.ReadDir(filepath.Join(dir, "acme"))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Fatalf("Create canceled after %d checks left %v", after, entries)
		}
	}
}

// countdown is a context whose Err turns to Canceled after left calls.
type countdown struct {
	context.Context
	mu   sync.Mutex
	left int
}

func (c *countdown) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.left == 0 {
		return context.Canceled
	}
	c.left--
	return nil
}

func TestStoreNotWritable(t *testing.T) {
	ref := store.Ref{Tenant: "acme", Deployment: "dep-1"}
	t.Run("store path is a file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "store")
		if err := os.WriteFile(path, []byte("not a dir"), 0o644); err != nil {
			t.Fatal(err)
		}
		checkOperational(t, local.New(path), ref, path)
		if b, err := os.ReadFile(path); err != nil || string(b) != "not a dir" {
			t.Errorf("store file changed: %q, %v", b, err)
		}
	})
	t.Run("read-only tenant dir", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root ignores directory permissions; TestStoreNotWritableUnprivileged covers this as root")
		}
		dir := t.TempDir()
		tenant := filepath.Join(dir, "acme")
		if err := os.Mkdir(tenant, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.Chmod(tenant, 0o755) })
		checkOperational(t, local.New(dir), ref, tenant)
		if entries, _ := os.ReadDir(tenant); len(entries) != 0 {
			t.Errorf("left behind: %v", entries)
		}
	})
}

func checkOperational(t *testing.T, s *local.Store, ref store.Ref, path string) {
	t.Helper()
	err := s.Create(ctx, ref, storetest.Set("x"))
	if err == nil {
		t.Fatal("Create in a store that is not writable succeeded")
	}
	if k := fault.KindOf(err); k != fault.Operational || fault.ExitCode(err) != 1 {
		t.Errorf("error kind %v exit %d, want operational, exit 1: %v", k, fault.ExitCode(err), err)
	}
	if !strings.Contains(err.Error(), path) || !strings.HasPrefix(err.Error(), "create deployment acme/dep-1: ") {
		t.Errorf("error %q does not read 'create deployment acme/dep-1: ...' naming %s", err, path)
	}
}

// Racing processes: the test binary re-executes itself N times; every child waits on its stdin so that
// all start together, creates the same set with its own bytes, and prints "created" or "exists".
const childEnv = "STELLA_STORE_LOCAL_CHILD"

func TestMain(m *testing.M) {
	if v := os.Getenv(childEnv); v != "" {
		os.Exit(child(v))
	}
	if v := os.Getenv(createEnv); v != "" {
		os.Exit(createChild(v))
	}
	if v := os.Getenv(deleteEnv); v != "" {
		os.Exit(deleteChild(v))
	}
	os.Exit(m.Run())
}

func child(v string) int {
	dir, id, _ := strings.Cut(v, "|")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	err := local.New(dir).Create(ctx, store.Ref{Tenant: "acme", Deployment: "race"}, storetest.Set("proc-"+id))
	switch {
	case err == nil:
		fmt.Println("created")
	case errors.Is(err, store.ErrExist) && err.Error() == "deployment acme/race already exists":
		fmt.Println("exists")
	default:
		fmt.Println("error:", err)
		return 1
	}
	return 0
}

func TestRacingProcesses(t *testing.T) {
	const n = 8
	dir := t.TempDir()
	type proc struct {
		cmd *exec.Cmd
		out strings.Builder
		in  interface{ Close() error }
	}
	procs := make([]*proc, n)
	for i := range procs {
		p := &proc{cmd: exec.Command(os.Args[0], "-test.run=^$")}
		p.cmd.Env = append(os.Environ(), childEnv+"="+dir+"|"+strconv.Itoa(i))
		p.cmd.Stdout = &p.out
		p.cmd.Stderr = os.Stderr
		in, err := p.cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		p.in = in
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs[i] = p
	}
	for _, p := range procs { // all children are running; release them together
		_ = p.in.Close()
	}
	winner := -1
	for i, p := range procs {
		if err := p.cmd.Wait(); err != nil {
			t.Errorf("child %d: %v; output %q", i, err, p.out.String())
			continue
		}
		switch out := strings.TrimSpace(p.out.String()); out {
		case "created":
			if winner >= 0 {
				t.Errorf("children %d and %d both created the set", winner, i)
			}
			winner = i
		case "exists":
		default:
			t.Errorf("child %d printed %q", i, out)
		}
	}
	if winner < 0 {
		t.Fatal("no child created the set")
	}
	s := local.New(dir)
	storetest.Check(t, s, store.Ref{Tenant: "acme", Deployment: "race"}, storetest.Set("proc-"+strconv.Itoa(winner)))
	entries, err := os.ReadDir(filepath.Join(dir, "acme"))
	if err != nil || len(entries) != 1 {
		t.Errorf("tenant dir after the race holds %v, %v; want only the set", entries, err)
	}
}

// A symlink planted in a stored set is never followed out of it: one in the set directory is refused
// whatever it points at, one further down may not leave the set.
func TestOpenRefusesSymlinks(t *testing.T) {
	dir := t.TempDir()
	s := local.New(dir)
	ref := store.Ref{Tenant: "acme", Deployment: "dep-1"}
	if err := s.Create(ctx, ref, storetest.Set("x")); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(dir, "outside")
	if err := os.WriteFile(outside, []byte("not in the set"), 0o644); err != nil {
		t.Fatal(err)
	}
	set := s.Path(ref)
	first := storetest.Set("x")[0].Name
	if err := os.Chmod(set, 0o755); err != nil { // writable, to plant the links (and for TempDir's cleanup)
		t.Fatal(err)
	}
	for _, l := range []struct{ name, target string }{
		{"leak", outside},
		{"alias", first},
		{"sub/leak", outside},
		{"sub/up", "../../outside"},
	} {
		p := filepath.Join(set, l.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(l.target, p); err != nil {
			t.Fatal(err)
		}
	}
	fsys, err := s.Open(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadFile(fsys, first); err != nil {
		t.Errorf("a regular file of the set: %v", err)
	}
	for _, name := range []string{"leak", "alias", "sub/leak", "sub/up"} {
		b, err := fs.ReadFile(fsys, name)
		if err == nil {
			t.Errorf("%s: read %q through a symlink", name, b)
			continue
		}
		var pe *fs.PathError
		if !errors.As(err, &pe) || pe.Path != name {
			t.Errorf("%s: error %v does not name the file", name, err)
		}
		if !strings.Contains(name, "/") && !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("%s: error %q does not say it is a symbolic link", name, err)
		}
	}
	for _, name := range []string{"../outside", "/etc/passwd", "sub/../../outside"} {
		if _, err := fsys.Open(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Open(%q) = %v, want an invalid path", name, err)
		}
	}
}
