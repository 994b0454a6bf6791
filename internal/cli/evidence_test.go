package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/connect"
	"github.com/stella-ops/stella/internal/meta/metatest"
	"github.com/stella-ops/stella/internal/meta/sqlite"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/testenv"
	_ "modernc.org/sqlite"
)

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), code
}

// evidenceFixture makes a data directory with two packets of tenant acme and one of globex, signed by
// a key in a keyring.
func evidenceFixture(t *testing.T) (data, keys string, ids []string) {
	t.Helper()
	data, keys = t.TempDir(), t.TempDir()
	s, err := sign.Keyring{Dir: keys}.Generate("stella/signing/ci", sign.ES256)
	if err != nil {
		t.Fatal(err)
	}
	db, err := connect.Open(context.Background(), connect.URL(data, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, tenant := range []string{"acme", "acme", "globex"} {
		if i != 1 {
			metatest.Seed(t, db, tenant, "d1", metatest.T0)
		}
		err := db.Update(context.Background(), tenant, func(tx meta.Tx) error {
			e, err := evidence.Append(context.Background(), tx, s, evidence.Draft{
				Type: evidence.TypeDeployment, PromotionID: "promo-1", GeneratedAt: metatest.T0.Add(time.Duration(i) * time.Minute),
				Content: evidence.Content{
					Release: evidence.Release{ID: "rel-1", Name: "myapp-v1", CreatedAt: metatest.T0, Components: []evidence.Component{
						{ID: "c-api", Name: "api", Digest: "sha256:" + strings.Repeat("c", 64), ImageRepository: "r.example/api", Tag: "v1", Role: "primary"}}},
					Environment: evidence.Environment{ID: "env-prod", Name: "production", Tier: "production"},
					Actors:      evidence.Actors{Requester: evidence.Person{ID: "u-1", Name: "Jane Doe"}, Approvers: []evidence.Approver{{ID: "u-2", Name: "John Roe", Action: "approved", At: metatest.T0}}},
					Decision:    evidence.Decision{Result: "allow"},
					Execution:   &evidence.Execution{DeploymentJobID: "d1"},
				},
			})
			ids = append(ids, e.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return data, keys, ids
}

func TestEvidenceCommands(t *testing.T) {
	data, keys, ids := evidenceFixture(t)

	out, errs, code := runCLI(t, "evidence", "list", "--data", data, "--output", "json")
	if code != 0 {
		t.Fatalf("list: %d %s", code, errs)
	}
	var rows []evidenceRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].ID != ids[2] || rows[0].TenantID != "globex" || rows[1].ID != ids[1] || rows[2].ID != ids[0] || rows[2].DeploymentJobID != "d1" || rows[2].Type != "deployment" {
		t.Fatalf("list newest first: %+v", rows)
	}
	out, _, _ = runCLI(t, "evidence", "list", "--data", data, "--tenant", "globex", "-o", "json")
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || rows[0].TenantID != "globex" {
		t.Fatalf("list --tenant: %s", out)
	}

	// JSON export is the packet as stored, and verifies on its own.
	file := filepath.Join(t.TempDir(), "ev.json")
	if _, errs, code := runCLI(t, "evidence", "export", ids[1], "--format", "json", "-o", file, "--data", data); code != 0 {
		t.Fatalf("export: %d %s", code, errs)
	}
	got, _ := os.ReadFile(file)
	db, _ := connect.Open(context.Background(), connect.URL(data, ""))
	var stored meta.Evidence
	_ = db.View(context.Background(), "acme", func(tx meta.Tx) (err error) { stored, err = tx.Evidence(context.Background(), ids[1]); return })
	db.Close()
	if !bytes.Equal(got, stored.Packet) {
		t.Fatal("exported JSON differs from the stored packet")
	}
	kr := sign.Keyring{Dir: keys}
	if err := evidence.VerifyPacket(got, evidence.KeySet{Keyring: &kr}); err != nil {
		t.Fatal(err)
	}
	// Another tenant's id is absent when --tenant is given.
	if _, errs, code := runCLI(t, "evidence", "export", ids[2], "--tenant", "acme", "-o", file, "--data", data); code != 1 || !strings.Contains(errs, "no such packet in tenant acme") {
		t.Fatalf("cross-tenant export: %d %s", code, errs)
	}
	if _, errs, code := runCLI(t, "evidence", "export", ids[1], "--format", "docx", "-o", file, "--data", data); code != 2 || !strings.Contains(errs, "--format") {
		t.Fatalf("bad format: %d %s", code, errs)
	}

	out, errs, code = runCLI(t, "evidence", "verify", "--data", data, "--keyring", keys)
	if code != 0 || !strings.Contains(out, "tenant acme: 2 packets, chain intact") {
		t.Fatalf("verify: %d %s %s", code, out, errs)
	}
	// Only a public key that did not sign: every packet is named.
	other, _ := sign.Keyring{Dir: t.TempDir()}.Generate("x", sign.ES256)
	pem, _ := other.Verifier().PublicPEM()
	pub := filepath.Join(t.TempDir(), "other.pub")
	_ = os.WriteFile(pub, pem, 0o644)
	_, errs, code = runCLI(t, "evidence", "verify", "--data", data, "--public-key", pub)
	if code != 3 || strings.Count(errs, "signature does not verify") != 3 {
		t.Fatalf("verify with a foreign key: %d %s", code, errs)
	}
}

func TestEvidenceVerifyCatchesDeletedRow(t *testing.T) {
	data, keys, ids := evidenceFixture(t)
	// Copy the database and delete acme's first packet in the copy, past the triggers.
	src, _ := os.ReadFile(filepath.Join(data, connect.FileName))
	copyDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(copyDir, connect.FileName), src, 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", filepath.Join(copyDir, connect.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER evidence_no_delete`, `DELETE FROM evidence WHERE id = '` + ids[0] + `'`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	_, errs, code := runCLI(t, "evidence", "verify", "--database", "sqlite://"+filepath.Join(copyDir, connect.FileName), "--keyring", keys)
	if code != 3 || !strings.Contains(errs, "evidence acme/"+ids[1]) || !strings.Contains(errs, "sequence 1 missing") || strings.Contains(errs, "globex") {
		t.Fatalf("verify of a copy with a deleted row: %d\n%s", code, errs)
	}
	t.Log(errs)
	// The original is untouched and valid.
	if _, errs, code := runCLI(t, "evidence", "verify", "--data", data, "--keyring", keys); code != 0 {
		t.Fatalf("original: %d %s", code, errs)
	}
}

func TestEvidenceBadDatabases(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.db")
	garbage := bytes.Repeat([]byte("this is not an sqlite database\n"), 200)
	_ = os.WriteFile(corrupt, garbage, 0o600)

	data, _, _ := evidenceFixture(t)
	raw, err := sql.Open("sqlite", filepath.Join(data, connect.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO stella_schema (version, name, applied_at_us) VALUES (99, 'future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	known, err := sqlite.Migrations()
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--database", "sqlite://" + corrupt}, 1, "not a usable SQLite database: file is not a database"},
		{[]string{"--data", data}, 1, fmt.Sprintf("schema version 99, this stella knows up to %d", len(known))},
		{[]string{"--database", "postgres://stella:s3cret-pw@127.0.0.1:1/stella?sslmode=disable"}, 1, "open database postgres://stella:xxxxx@127.0.0.1:1/stella"},
		{[]string{"--database", "mysql://x"}, 2, "want sqlite://PATH or postgres://"},
	}
	for _, c := range cases {
		_, errs, code := runCLI(t, append([]string{"evidence", "list"}, c.args...)...)
		if code != c.code || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 || strings.Contains(errs, "s3cret") {
			t.Errorf("%v: exit %d, %q; want exit %d and one line with %q", c.args, code, errs, c.code, c.want)
		}
		t.Log(strings.TrimSpace(errs))
	}
	if b, _ := os.ReadFile(corrupt); !bytes.Equal(b, garbage) {
		t.Error("the corrupt file was changed")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("files beside the corrupt database: %d", len(ents))
	}
}

// A PDF is the report of a packet that verifies: a tampered packet's export is exit 3 naming the problem
// and writes nothing, unless --allow-unverified, which stamps every page NOT VERIFIED.
func TestEvidencePDFOfTamperedPacket(t *testing.T) {
	data, keys, ids := evidenceFixture(t)
	raw, err := sql.Open("sqlite", filepath.Join(data, connect.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER evidence_no_update`, `UPDATE evidence SET packet = replace(packet, 'John Roe', 'Evil Eve') WHERE id = '` + ids[0] + `'`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	pdf := filepath.Join(t.TempDir(), "report.pdf")
	_, errs, code := runCLI(t, "evidence", "export", ids[0], "--format", "pdf", "-o", pdf, "--data", data, "--keyring", keys)
	if code != 3 || !strings.Contains(errs, "evidence acme/"+ids[0]) || !strings.Contains(errs, "contentHash does not match") {
		t.Fatalf("export of a tampered packet: exit %d: %s", code, errs)
	}
	if _, err := os.Stat(pdf); err == nil {
		t.Fatal("a PDF was written for a packet that does not verify")
	}
	_, errs, code = runCLI(t, "evidence", "export", ids[0], "--format", "pdf", "-o", pdf, "--data", data, "--keyring", keys, "--allow-unverified")
	if code != 0 || !strings.Contains(errs, "NOT VERIFIED") {
		t.Fatalf("--allow-unverified: exit %d: %s", code, errs)
	}
	// The untampered packet of the same database exports without a stamp.
	clean := filepath.Join(t.TempDir(), "clean.pdf")
	if _, errs, code := runCLI(t, "evidence", "export", ids[1], "--format", "pdf", "-o", clean, "--data", data, "--keyring", keys); code != 0 {
		t.Fatalf("clean packet: exit %d: %s", code, errs)
	}
	pdftotext := testenv.Command(t, "pdftotext")
	for file, stamped := range map[string]bool{pdf: true, clean: false} {
		out, err := exec.Command(pdftotext, "-layout", file, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		pages := strings.Split(strings.TrimRight(string(out), "\f"), "\f")
		for i, p := range pages {
			if got := strings.Contains(p, "NOT VERIFIED"); got != stamped {
				t.Errorf("%s page %d: stamped %v, want %v", filepath.Base(file), i+1, got, stamped)
			}
		}
	}
}
