package generate

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/stella-ops/stella/internal/sign"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// testKey is a fixed Ed25519 key (testdata only) so that signatures, and so every byte, are stable.
func testKey(t testing.TB) *sign.Signer {
	t.Helper()
	// Read directly: git does not keep the file's 0600 mode, which the keyring would insist on.
	data, err := os.ReadFile(filepath.Join(testdataDir, "test-ed25519.key"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.ParsePrivatePEM("stella/signing/test", data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var testdataDir, _ = filepath.Abs("testdata")

var goldenNow = time.Date(2026, 1, 10, 14, 30, 0, 0, time.UTC)

// runArchive writes the archive's input files to a temp dir and generates from them.
func runArchive(t *testing.T, ar *txtar.Archive) (*Result, error) {
	t.Helper()
	dir := t.TempDir()
	var targets []string
	for _, f := range ar.Files {
		if strings.HasPrefix(f.Name, "want/") || f.Name == "error" {
			continue
		}
		if f.Name == "targets" {
			targets = strings.Fields(string(f.Data))
			continue
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f.Name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Errors name files relative to the working directory, as a user's would be.
	t.Chdir(dir)
	in, err := Load("release.yaml", "environment.yaml")
	if err != nil {
		return nil, err
	}
	return Generate(context.Background(), Request{
		Inputs: in, TenantID: "acme", DeploymentID: "deploy-1", Signer: testKey(t), Now: goldenNow,
		TargetNames: targets,
	})
}

// TestGolden generates each testdata/golden/*.txtar and compares every file of the set (or the error)
// with the archive's want/ section. go test -run TestGolden -update rewrites them.
func TestGolden(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(testdataDir, "golden", "*.txtar"))
	if len(paths) == 0 {
		t.Fatal("no golden archives")
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			ar, err := txtar.ParseFile(p)
			if err != nil {
				t.Fatal(err)
			}
			res, err := runArchive(t, ar)
			got := map[string][]byte{}
			if err != nil {
				got["error"] = []byte(err.Error() + "\n")
			} else {
				for _, f := range res.Files {
					got["want/"+f.Name] = f.Data
				}
			}
			if *update {
				var files []txtar.File
				for _, f := range ar.Files {
					if !strings.HasPrefix(f.Name, "want/") && f.Name != "error" {
						files = append(files, f)
					}
				}
				if e, ok := got["error"]; ok {
					files = append(files, txtar.File{Name: "error", Data: e})
				} else {
					for _, f := range res.Files {
						files = append(files, txtar.File{Name: "want/" + f.Name, Data: f.Data})
					}
				}
				ar.Files = files
				if err := os.WriteFile(p, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want := map[string][]byte{}
			for _, f := range ar.Files {
				if strings.HasPrefix(f.Name, "want/") || f.Name == "error" {
					want[f.Name] = f.Data
				}
			}
			if len(want) == 0 {
				t.Fatal("archive has no want/ files and no error; run with -update")
			}
			for name, w := range want {
				g, ok := got[name]
				if !ok {
					t.Errorf("%s: not generated (got error: %s)", name, got["error"])
					continue
				}
				if !bytes.Equal(g, w) {
					t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, g, w)
				}
			}
			for name := range got {
				if _, ok := want[name]; !ok {
					t.Errorf("%s generated but not in the golden archive", name)
				}
			}
		})
	}
}
