package local_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/store/storetest"
)

// createEnv makes the test binary a child that creates acme/dep-1 in the store it names and prints the
// exit code and the error.
const createEnv = "STELLA_STORE_LOCAL_CREATE"

func createChild(dir string) int {
	err := local.New(dir).Create(ctx, store.Ref{Tenant: "acme", Deployment: "dep-1"}, storetest.Set("x"))
	if err == nil {
		os.Stdout.WriteString("0\n")
		return 0
	}
	os.Stdout.WriteString(string(rune('0'+fault.ExitCode(err))) + "\n" + err.Error() + "\n")
	return 0
}

// As root, directory permissions do not bind, so the test binary runs Create as the unprivileged user
// 65534 against stores that root owns: a store root it may not write, and a tenant dir it may not write.
func TestStoreNotWritableUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to an unprivileged user; TestStoreNotWritable covers this unprivileged")
	}
	base, bin := childDir(t, "stella-store-ro-")

	for _, c := range []struct{ name, store, named string }{
		{"store root", filepath.Join(base, "root-store"), filepath.Join(base, "root-store", "acme")},
		{"tenant dir", filepath.Join(base, "tenant-store"), filepath.Join(base, "tenant-store", "acme")},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.MkdirAll(c.store, 0o755); err != nil {
				t.Fatal(err)
			}
			if c.name == "tenant dir" {
				if err := os.Mkdir(filepath.Join(c.store, "acme"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			out := runAsNobody(t, bin, createEnv+"="+c.store)
			code, msg, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
			if code != "1" {
				t.Errorf("exit code %s (%s), want 1", code, msg)
			}
			if !strings.HasPrefix(msg, "create deployment acme/dep-1: ") || !strings.Contains(msg, c.named) || !strings.Contains(msg, "permission denied") {
				t.Errorf("error %q does not name %s and the cause", msg, c.named)
			}
			var left []string
			_ = filepath.WalkDir(c.store, func(p string, d os.DirEntry, err error) error {
				if p != c.store && p != filepath.Join(c.store, "acme") {
					left = append(left, p)
				}
				return nil
			})
			if len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// childDir is a directory (removed after the test) that the unprivileged user may enter, holding a
// copy of the test binary for it to run.
func childDir(t *testing.T, prefix string) (dir, bin string) {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(dir, "local.test")
	copyFile(t, os.Args[0], bin)
	return dir, bin
}

// runAsNobody runs the test binary bin as user and group 65534 with env added, and returns its output.
func runAsNobody(t *testing.T, bin, env string) []byte {
	t.Helper()
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), env)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	return out
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// deleteEnv makes the test binary a child that creates acme/dep-1 in the store it names, deletes it and
// prints "0" or the error.
const deleteEnv = "STELLA_STORE_LOCAL_DELETE"

func deleteChild(dir string) int {
	s := local.New(dir)
	ref := store.Ref{Tenant: "acme", Deployment: "dep-1"}
	err := s.Create(ctx, ref, storetest.Set("x"))
	if err == nil {
		err = s.Delete(ctx, ref)
	}
	if err != nil {
		os.Stdout.WriteString(err.Error() + "\n")
		return 0
	}
	os.Stdout.WriteString("0\n")
	return 0
}

// The owner of a store (not root: permissions bind) deletes a set whose directory is 0555 and files
// 0444, and nothing of it is left.
func TestDeleteUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to an unprivileged user")
	}
	base, bin := childDir(t, "stella-store-del-")
	st := filepath.Join(base, "store")
	if err := os.Mkdir(st, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(st, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	out := runAsNobody(t, bin, deleteEnv+"="+st)
	if got := strings.TrimSpace(string(out)); got != "0" {
		t.Fatalf("create and delete as the store's owner: %s", got)
	}
	entries, err := os.ReadDir(filepath.Join(st, "acme"))
	if err != nil || len(entries) != 0 {
		t.Fatalf("left in the tenant dir: %v %v", entries, err)
	}
}
