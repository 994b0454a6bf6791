package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/drift"
	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/connect"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/web/webtest"
)

// Deployments is how many deployment jobs the benchmark's tenant has (each with its signed evidence
// packet); a tenth of them issued a sticker to each target, and each target has 200 drift checks.
var benchDeployments = envInt("STELLA_BENCH_DEPLOYMENTS", 10000)

// benchT0 is the first seeded deployment's time: after the fixture's own packets, so the chain stays in
// time order (a packet older than its predecessor is a chain problem).
var benchT0 = time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)

// seed adds n deployment jobs of acme to the fixture's database, spread over four environments,
// each with a signed deployment packet, and stickers and drift checks for env-prod's targets.
func seed(b *testing.B, f *webtest.Fixture, n int) {
	ctx := context.Background()
	db, err := connect.Open(ctx, connect.URL(f.Data, ""))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	signer, err := sign.Keyring{Dir: f.Keys}.Signer("stella/signing/test")
	if err != nil {
		b.Fatal(err)
	}
	envs := []string{"env-prod", "env-stage", "env-dev", "env-qa"}
	t0 := benchT0
	const batch = 500
	for start := 0; start < n; start += batch {
		err := db.Update(ctx, "acme", func(tx meta.Tx) error {
			if start == 0 {
				for _, e := range envs[1:] {
					if err := tx.PutEnvironment(ctx, meta.Environment{ID: e, Name: e[4:], Tier: "development", Doc: []byte(`{}`)}); err != nil {
						return err
					}
				}
			}
			for i := start; i < start+batch && i < n; i++ {
				env := envs[i%len(envs)]
				id := fmt.Sprintf("bench-%05d", i)
				at := t0.Add(time.Duration(i) * time.Minute)
				var tasks []meta.Task
				if env == "env-prod" {
					tasks = []meta.Task{{TargetID: "tgt-web-01", Type: "deploy", IdempotencyKey: id + "/1"}, {TargetID: "tgt-web-02", Type: "deploy", IdempotencyKey: id + "/2"}}
				}
				if err := tx.CreateDeployment(ctx, meta.Deployment{ID: id, ReleaseID: "rel-7f3a", EnvironmentID: env, PromotionID: "promo-" + id,
					Status: meta.StatusDeployed, CreatedAt: at, UpdatedAt: at, StoreKey: "acme/" + id}, tasks); err != nil {
					return err
				}
				if _, err := evidence.Append(ctx, tx, signer, evidence.Draft{Type: evidence.TypeDeployment, PromotionID: "promo-" + id, GeneratedAt: at,
					Content: evidence.Content{
						Release:     evidence.Release{ID: "rel-7f3a", Name: "myapp-v2.3.1", CreatedAt: t0, Components: []evidence.Component{{ID: "api", Name: "api", Digest: "sha256:" + fmt.Sprintf("%064x", i), Tag: "v2.3.1", ImageRepository: "registry.example.com/myapp/api"}}},
						Environment: evidence.Environment{ID: env, Name: env[4:], Tier: "production", Targets: []evidence.Target{{ID: "tgt-web-01", Name: "web-01", Type: "compose_host"}}},
						Actors:      evidence.Actors{Requester: evidence.Person{ID: "u-1", Name: "Jane Doe"}, Approvers: []evidence.Approver{{ID: "u-2", Name: "John Roe", Action: "approved", At: at}}},
						Decision:    evidence.Decision{Result: "allow"},
						Execution:   &evidence.Execution{DeploymentJobID: id, Artifacts: []evidence.Artifact{{Type: "manifest", Name: "manifest.json", ContentHash: "sha256:" + fmt.Sprintf("%064x", i)}}},
					}}); err != nil {
					return err
				}
				if env == "env-prod" && i%10 == 0 {
					for _, tg := range []string{"tgt-web-01", "tgt-web-02"} {
						if err := tx.PutSticker(ctx, meta.Sticker{ID: "stk-" + id + tg, DeploymentID: id, TargetID: tg, IssuedAt: at, SHA256: fmt.Sprintf("%064x", i), Doc: []byte(`{"release":{"id":"rel-7f3a","name":"myapp-v2.3.1"}}`)}); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	// 200 drift checks per target, as an agent reports them (queued, leased, finished).
	err = db.Update(ctx, "acme", func(tx meta.Tx) error {
		for _, tg := range []string{"tgt-web-01", "tgt-web-02"} {
			for i := 0; i < 200; i++ {
				at := t0.Add(time.Duration(i) * time.Minute)
				k := meta.AgentTask{ID: fmt.Sprintf("drift-%s-%d", tg, i), TargetID: tg, Type: "read-sticker", Timeout: time.Minute, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
				if err := tx.CreateAgentTask(ctx, k); err != nil {
					return err
				}
				if _, err := tx.LeaseAgentTask(ctx, tg, "agent-"+tg, at); err != nil {
					return err
				}
				res, _ := json.Marshal(server.TaskResult{Status: meta.TaskSucceeded, StartedAt: at, FinishedAt: at, Drift: &drift.Result{TargetID: tg, DriftDetected: i%50 == 49, DriftType: "mismatch"}})
				if err := tx.FinishAgentTask(ctx, k.ID, "agent-"+tg, meta.TaskSucceeded, res, at); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPages is the latency of each page, one request at a time over loopback HTTP/1.1 with
// keep-alive, against `stella serve` on the embedded SQLite with benchDeployments deployment jobs (and
// as many evidence packets): p50 and p99 in ms. The evidence page's chain check runs in the background
// (see chain.go); the first request starts it and is not counted.
func BenchmarkPages(b *testing.B) {
	f := webtest.New(b)
	seed(b, f, benchDeployments)
	base := f.Serve(b)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	cookie := benchSignIn(b, c, base, f.Tokens["acme/admin"])
	// The evidence page checks the chain in the background (chain.go); measure pages once it is done.
	start := time.Now()
	for page := ""; !strings.Contains(page, `data-chain="intact"`); {
		if page = benchGet(b, c, base+"/ui/evidence", cookie); strings.Contains(page, `data-chain="broken"`) {
			b.Fatalf("the seeded chain does not verify:\n%s", page)
		}
		if time.Since(start) > 5*time.Minute {
			b.Fatal("the chain check did not finish in 5 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Logf("chain of %d packets checked in about %v", benchDeployments+2, time.Since(start).Round(100*time.Millisecond))
	for _, path := range []string{
		"/ui/environments",
		"/ui/environments/env-prod",
		fmt.Sprintf("/ui/environments/env-prod?before=%d_bench-%05d", benchT0.Add(time.Duration(benchDeployments*2/5)*time.Minute).UnixMicro(), benchDeployments*2/5),
		"/ui/deployments",
		fmt.Sprintf("/ui/deployments/bench-%05d", benchDeployments/2),
		"/ui/deployments/d1",
		"/ui/evidence",
		"/ui/evidence?environment=env-stage&from=" + benchT0.AddDate(0, 0, 2).Format(time.DateOnly) + "&to=" + benchT0.AddDate(0, 0, 4).Format(time.DateOnly),
	} {
		b.Run(path, func(b *testing.B) {
			benchGet(b, c, base+path, cookie) // warm
			var ds []time.Duration
			for b.Loop() {
				t := time.Now()
				benchGet(b, c, base+path, cookie)
				ds = append(ds, time.Since(t))
			}
			slices.Sort(ds)
			ms := func(q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000 }
			b.ReportMetric(ms(0.5), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
		})
	}
}

func benchSignIn(b *testing.B, c *http.Client, base, token string) *http.Cookie {
	res, err := c.Get(base + "/ui/signin")
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var pre *http.Cookie
	for _, k := range res.Cookies() {
		if k.Name == "stella_signin" {
			pre = k
		}
	}
	m := csrfField.FindSubmatch(body)
	if pre == nil || m == nil {
		b.Fatal("no sign-in form")
	}
	req, _ := http.NewRequest("POST", base+"/ui/signin", nil)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(pre)
	req.Body = io.NopCloser(strings.NewReader(url.Values{"csrf": {string(m[1])}, "token": {token}}.Encode()))
	res, err = c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	for _, k := range res.Cookies() {
		if k.Name == "stella_session" && k.Value != "" {
			return k
		}
	}
	b.Fatalf("sign-in answered %d without a session", res.StatusCode)
	return nil
}

func benchGet(b *testing.B, c *http.Client, u string, cookie *http.Cookie) string {
	req, _ := http.NewRequest("GET", u, nil)
	req.AddCookie(cookie)
	res, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 {
		b.Fatalf("GET %s: %d %v", u, res.StatusCode, err)
	}
	return string(body)
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
