// Package race races whole stella processes: many `stella generate` of one deployment id at once, into
// one store and one database, round after round. It is an end-to-end test in a package of its own so
// that it runs beside the others.
package race_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/connect"
	"github.com/stella-ops/stella/internal/meta/postgres/pgtest"
	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/sign"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stella-race-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "stella")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/stella").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build stella: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const racers = 8

type outcome struct {
	code   int
	stderr string
}

// round runs racers generations of one id at once; promo(i) is the promotion file of racer i.
func round(t *testing.T, dir, db, id string, promo func(i int) string) []outcome {
	t.Helper()
	out := make([]outcome, racers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, "generate", "--release", filepath.Join(dir, "release.yaml"),
				"--environment", filepath.Join(dir, "environment.yaml"), "--promotion", promo(i),
				"--tenant", "acme", "--deployment-id", id, "--key", "stella/signing/race",
				"--store", filepath.Join(dir, "store"), "--database", db)
			cmd.Env = append(os.Environ(), "STELLA_KEYRING="+filepath.Join(dir, "keys"))
			var errb bytes.Buffer
			cmd.Stderr = &errb
			<-start
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				code = -1
			}
			out[i] = outcome{code, errb.String()}
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func writePromotion(t *testing.T, path, id, approver string) {
	t.Helper()
	body := "id: " + id + "\nreleaseId: rel-myapp-2.3.1\nenvironmentId: env-prod\nrequester: {id: u-1, name: Jane Doe}\n" +
		"approvers:\n  - {id: u-" + approver + ", name: " + approver + ", action: approved, at: 2026-01-10T14:10:00Z}\ndecision: allow\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkAgrees: the deployment's evidence (exactly one deployment packet) vouches for the stored set's
// exact bytes and names the stored manifest's promotion; the chain verifies.
func checkAgrees(t *testing.T, db meta.DB, dir, id string) {
	t.Helper()
	setDir := filepath.Join(dir, "store", "acme", id)
	raw, err := os.ReadFile(filepath.Join(setDir, manifest.FileName))
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	m, err := manifest.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var ps []*evidence.Packet
	err = db.View(context.Background(), "acme", func(tx meta.Tx) error {
		return tx.Chain(context.Background(), func(e meta.Evidence) error {
			if e.DeploymentID == id {
				p, err := evidence.Parse(e.Packet)
				ps = append(ps, p)
				return err
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 {
		t.Fatalf("%s: %d deployment packets, want 1", id, len(ps))
	}
	p := ps[0]
	if p.PromotionID != m.PromotionID {
		t.Errorf("%s: packet names promotion %s, the stored set %s", id, p.PromotionID, m.PromotionID)
	}
	for _, a := range p.Content.Execution.Artifacts {
		b, err := os.ReadFile(filepath.Join(setDir, a.Name))
		if err != nil || "sha256:"+checksum.Sum(b) != a.ContentHash {
			t.Errorf("%s: packet vouches for %s %s, which is not the stored file (%v)", id, a.Name, a.ContentHash, err)
		}
	}
	if m.Subject != nil && m.Subject.Promotion != nil && len(p.Content.Actors.Approvers) > 0 &&
		p.Content.Actors.Approvers[0].Name != m.Subject.Promotion.Approvers[0].Name {
		t.Errorf("%s: packet approver %s, stored promotion's %s", id, p.Content.Actors.Approvers[0].Name, m.Subject.Promotion.Approvers[0].Name)
	}
}

func setup(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := quickstart.Write(dir); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "keys", "generate", "stella/signing/race", "--alg", "EdDSA")
	cmd.Env = append(os.Environ(), "STELLA_KEYRING="+filepath.Join(dir, "keys"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("keys generate: %v: %s", err, out)
	}
	return dir
}

func race(t *testing.T, dbURL string, rounds int) {
	dir := setup(t)
	db, err := connect.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for r := range rounds {
		for _, mode := range []string{"identical", "distinct"} {
			id := fmt.Sprintf("%s-%d", mode, r)
			promos := make([]string, racers)
			for i := range racers {
				promos[i] = filepath.Join(dir, fmt.Sprintf("promo-%s-%d.yaml", id, i))
				pid, who := "promo-"+id, "Ana"
				if mode == "distinct" {
					pid, who = fmt.Sprintf("promo-%s-%d", id, i), fmt.Sprintf("Approver%d", i)
				}
				writePromotion(t, promos[i], pid, who)
			}
			outs := round(t, dir, dbURL, id, func(i int) string { return promos[i] })
			wins := 0
			for i, o := range outs {
				switch {
				case o.code == 0:
					wins++
				case o.code == 1 && strings.Contains(o.stderr, "already exists"):
					if mode == "identical" && !strings.Contains(o.stderr, "from the same inputs") {
						t.Errorf("%s racer %d: %q does not say the inputs were the same", id, i, o.stderr)
					}
					if mode == "distinct" && !strings.Contains(o.stderr, "with other inputs") {
						t.Errorf("%s racer %d: %q does not name what differs", id, i, o.stderr)
					}
				default:
					t.Errorf("%s racer %d: exit %d: %s", id, i, o.code, o.stderr)
				}
			}
			if wins != 1 {
				t.Errorf("%s: %d racers succeeded, want exactly one", id, wins)
			}
			checkAgrees(t, db, dir, id)
		}
	}
	kr := sign.Keyring{Dir: filepath.Join(dir, "keys")}
	rep, err := evidence.VerifyChain(context.Background(), db, "acme", evidence.KeySet{Keyring: &kr})
	if err != nil || len(rep.Problems) != 0 {
		t.Fatalf("chain after the races: %+v, %v", rep.Problems, err)
	}
}

// TestSameIDRaceSQLite: 8 processes generate one id at once, with identical and with distinct inputs,
// many rounds, on the embedded database.
func TestSameIDRaceSQLite(t *testing.T) {
	race(t, "sqlite://"+filepath.Join(t.TempDir(), "stella.db"), 12)
}

// TestSameIDRacePostgres: the same on PostgreSQL.
func TestSameIDRacePostgres(t *testing.T) {
	race(t, pgtest.FreshSchema(t), 5)
}
