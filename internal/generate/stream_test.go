package generate

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/manifest"
)

// An extra artifact given by path is never read into the set: its file is streamed (Path, with the
// size and SHA-256 of its bytes), and every other file — manifest, checksums, their signature — is
// byte for byte what the same artifact given as Data produces.
func TestExtraByPath(t *testing.T) {
	s := testKey(t)
	big := bytes.Repeat([]byte("echo stella\n"), 3*checksum.BufferSize/12+1000)
	p := filepath.Join(t.TempDir(), "deploy.sh")
	if err := os.WriteFile(p, big, 0o644); err != nil {
		t.Fatal(err)
	}
	gen := func(a Artifact) *Result {
		t.Helper()
		ar := archive(t, "contract.txtar")
		dir := t.TempDir()
		for _, f := range ar.Files {
			os.MkdirAll(filepath.Dir(filepath.Join(dir, f.Name)), 0o755)
			os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644)
		}
		in, err := Load(filepath.Join(dir, "release.yaml"), filepath.Join(dir, "environment.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Generate(context.Background(), Request{Inputs: in, TenantID: "acme", DeploymentID: "deploy-1", Signer: s, Now: goldenNow, Extra: []Artifact{a}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	inMemory := gen(Artifact{Name: "deploy.stella.sh", Type: "script-shell", Data: big})
	byPath := gen(Artifact{Name: "deploy.stella.sh", Type: "script-shell", Path: p})
	given := gen(Artifact{Name: "deploy.stella.sh", Type: "script-shell", Path: p, Size: int64(len(big)), SHA256: checksum.Sum(big)})
	for _, res := range []*Result{byPath, given} {
		if len(res.Files) != len(inMemory.Files) {
			t.Fatalf("%d files, want %d", len(res.Files), len(inMemory.Files))
		}
		for i, f := range res.Files {
			want := inMemory.Files[i]
			if f.Name != want.Name {
				t.Fatalf("file %d is %s, want %s", i, f.Name, want.Name)
			}
			if f.Name == "deploy.stella.sh" {
				if !f.Streamed() || f.Data != nil || f.Path != p || f.Size != int64(len(big)) || f.SHA256 != checksum.Sum(big) {
					t.Errorf("streamed artifact = %+v", File{Name: f.Name, Path: f.Path, Size: f.Size, SHA256: f.SHA256})
				}
				r, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(r)
				r.Close()
				if !bytes.Equal(got, big) {
					t.Errorf("Open gives %d bytes, want the file's %d", len(got), len(big))
				}
				continue
			}
			if !bytes.Equal(f.Data, want.Data) {
				t.Errorf("%s differs from the set with the artifact in memory", f.Name)
			}
		}
		m, err := manifest.Parse(file(res, manifest.FileName))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, a := range m.Artifacts {
			if a.Name == "deploy.stella.sh" {
				found = a.Size == int64(len(big)) && a.SHA256 == checksum.Sum(big)
			}
		}
		if !found {
			t.Errorf("manifest does not list deploy.stella.sh with its size and SHA-256: %+v", m.Artifacts)
		}
	}
	missing := Artifact{Name: "deploy.stella.sh", Type: "script-shell", Path: filepath.Join(t.TempDir(), "absent")}
	if _, err := streamedFile(missing); err == nil {
		t.Error("an absent artifact file was accepted")
	}
}
