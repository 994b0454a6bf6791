// Command soak is the load and soak campaign of docs/reliability.md: from a process of its own it drives
// a real `stella serve` (built and started here, SQLite or $STELLA_DATABASE) for a fixed time with many
// tenants generating deployment jobs through the API, downloading and verifying their artifacts, agents
// long-polling, and every tenant probing the others' ids. It samples the server's RSS once a second and
// fails on any error, any cross-tenant answer that differs from an absent id's, or memory that keeps
// growing.
//
//	go run ./scripts/soak -duration 60s -tenants 8
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stella-ops/stella/internal/quickstart"
	yaml "go.yaml.in/yaml/v3"
)

var (
	duration = flag.Duration("duration", time.Minute, "how long the load runs")
	tenants  = flag.Int("tenants", 8, "tenants, each with its own writers, agent and deployments")
	workers  = flag.Int("workers", 2, "writers per tenant generating jobs at once")
	crashes  = flag.Int("crash", 0, "instead of the soak: kill the server with SIGKILL during this many job creations, restart it, ask again with the same Idempotency-Key, then fsck and evidence verify")
)

type counters struct {
	jobs, downloads, verifies, polls, probes, errors, leaks atomic.Int64
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func run() error {
	dir, err := os.MkdirTemp("", "stella-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "stella")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/stella").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v %s", err, out)
	}
	env := append(os.Environ(), "STELLA_KEYRING="+filepath.Join(dir, "keys"))
	stella := func(args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			panic(fmt.Sprintf("stella %v: %v %s", args, err, stderr))
		}
		return strings.TrimSpace(string(out))
	}
	db := []string{"--data", filepath.Join(dir, "data")}
	if u := os.Getenv("STELLA_DATABASE"); u != "" {
		db = []string{"--database", u}
	}
	stella("keys", "generate", "stella/signing/soak", "--alg", "EdDSA")
	stella(append([]string{"db", "init"}, db...)...)

	// The bodies of the quickstart example, one release per job.
	qs := filepath.Join(dir, "qs")
	must(quickstart.Write(qs))
	read := func(name string) map[string]any {
		b, err := os.ReadFile(filepath.Join(qs, name))
		must(err)
		var m map[string]any
		must(yaml.Unmarshal(b, &m))
		return m
	}
	relBase, envBody := read("release.yaml"), read("environment.yaml")
	tpl, err := os.ReadFile(filepath.Join(qs, "compose.yaml"))
	must(err)
	relBase["composeTemplate"], relBase["createdAt"] = string(tpl), "2026-01-10T14:00:00Z"
	envBody["requirePromotion"] = true

	addrFile := filepath.Join(dir, "addr")
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	must(err)
	var serve *exec.Cmd
	var base string
	// startServe starts stella serve on addr (the first time a free port, then the same one again).
	startServe := func(addr string) error {
		_ = os.Remove(addrFile)
		serve = exec.Command(bin, append([]string{"serve", "--addr", addr, "--addr-file", addrFile, "--store", filepath.Join(dir, "store"),
			"--key", "stella/signing/soak", "--drift-interval", "0"}, db...)...)
		serve.Env = env
		serve.Stdout, serve.Stderr = logf, logf
		if err := serve.Start(); err != nil {
			return err
		}
		for range 400 {
			if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
				base = "http://" + strings.TrimSpace(string(b))
				return nil
			}
			time.Sleep(25 * time.Millisecond)
		}
		return fmt.Errorf("stella serve did not start")
	}
	if err := startServe("127.0.0.1:0"); err != nil {
		return err
	}
	defer func() { _ = serve.Process.Kill(); _ = serve.Wait() }()

	type tenant struct {
		id, writer, approver, agentTok string
		jobs                           []string
		mu                             sync.Mutex
	}
	ts := make([]*tenant, *tenants)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 60 * time.Second}
	var n counters
	fail := func(format string, args ...any) {
		if n.errors.Add(1) <= 10 {
			fmt.Fprintf(os.Stderr, "error: "+format+"\n", args...)
		}
	}
	call := func(method, path, token string, body any, key ...string) (int, []byte, http.Header) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set("Authorization", "Bearer "+token)
		if method == http.MethodPost || method == http.MethodPut {
			req.Header.Set("Content-Type", "application/json")
			k := make([]byte, 8)
			_, _ = rand.Read(k)
			req.Header.Set("Idempotency-Key", hex.EncodeToString(k))
			if len(key) > 0 {
				req.Header.Set("Idempotency-Key", key[0])
			}
		}
		res, err := c.Do(req)
		if err != nil {
			if *crashes == 0 {
				fail("%s %s: %v", method, path, err)
			}
			return 0, nil, nil
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b, res.Header
	}
	for i := range ts {
		t := &tenant{id: fmt.Sprintf("t%02d", i)}
		t.writer = stella(append([]string{"tokens", "create", "--tenant", t.id, "--role", "deployer"}, db...)...)
		t.approver = stella(append([]string{"tokens", "create", "--tenant", t.id, "--role", "deployer"}, db...)...)
		if code, b, _ := call("PUT", "/api/v1/environments/env-prod", t.writer, envBody); code != 201 && code != 200 {
			return fmt.Errorf("environment of %s: %d %s", t.id, code, b)
		}
		// An agent of the tenant's first target, registered with its own key.
		reg := stella(append([]string{"agents", "token", "create", "--tenant", t.id, "--target", "tgt-web-01"}, db...)...)
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		code, b, _ := call("POST", "/api/v1/agents/register", "", map[string]string{"registrationToken": reg, "publicKey": base64.StdEncoding.EncodeToString(pub)})
		var id struct {
			AgentID string `json:"agentId"`
		}
		if json.Unmarshal(b, &id); code != 201 {
			return fmt.Errorf("register agent of %s: %d %s", t.id, code, b)
		}
		now := time.Now()
		as, _ := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.RegisteredClaims{Issuer: id.AgentID, Subject: id.AgentID, Audience: jwt.ClaimStrings{"stella"},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute))}).SignedString(priv)
		code, b, _ = call("POST", "/api/v1/agents/token", "", map[string]string{"assertion": as})
		var at struct {
			AccessToken string `json:"accessToken"`
		}
		if json.Unmarshal(b, &at); code != 200 {
			return fmt.Errorf("agent token of %s: %d %s", t.id, code, b)
		}
		t.agentTok = at.AccessToken
		ts[i] = t
	}

	if *crashes > 0 {
		return crash(*crashes, ts[0].writer, ts[0].approver, relBase, call, func() error {
			_ = serve.Process.Kill() // SIGKILL
			_ = serve.Wait()
			return startServe(strings.TrimPrefix(base, "http://"))
		}, func() (int, string) {
			_ = serve.Process.Kill()
			_ = serve.Wait()
			var problems []string
			for _, args := range [][]string{append([]string{"fsck", "--store", filepath.Join(dir, "store")}, db...), append([]string{"evidence", "verify"}, db...)} {
				cmd := exec.Command(bin, args...)
				cmd.Env = env
				if out, err := cmd.CombinedOutput(); err != nil {
					problems = append(problems, fmt.Sprintf("stella %s: %v\n%s", args[0], err, out))
				}
			}
			return len(problems), strings.Join(problems, "\n")
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	var wg sync.WaitGroup
	var seq atomic.Int64
	// Writers: release → promotion → another person's approval → job → every artifact downloaded and
	// checked against its SHA-256 → the lock verified by the server.
	for _, t := range ts {
		for range *workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					k := seq.Add(1)
					rel := map[string]any{}
					for key, v := range relBase {
						rel[key] = v
					}
					relID, pid := fmt.Sprintf("rel-%d", k), fmt.Sprintf("promo-%d", k)
					rel["id"], rel["name"] = relID, fmt.Sprintf("myapp-%d", k)
					if code, b, _ := call("PUT", "/api/v1/releases/"+relID, t.writer, rel); code != 201 {
						fail("%s release: %d %s", t.id, code, b)
						continue
					}
					if code, b, _ := call("POST", "/api/v1/promotions", t.writer, map[string]string{"id": pid, "releaseId": relID, "environmentId": "env-prod"}); code != 201 {
						fail("%s promotion: %d %s", t.id, code, b)
						continue
					}
					if code, b, _ := call("POST", "/api/v1/promotions/"+pid+"/decisions", t.approver, map[string]string{"action": "approve"}); code != 201 {
						fail("%s approval: %d %s", t.id, code, b)
						continue
					}
					code, b, _ := call("POST", "/api/v1/deployment-jobs", t.writer, map[string]string{"promotionId": pid})
					if code != 201 {
						fail("%s job: %d %s", t.id, code, b)
						continue
					}
					var job struct {
						Job struct {
							ID string `json:"id"`
						} `json:"job"`
						Artifacts []struct {
							Name   string `json:"name"`
							SHA256 string `json:"sha256"`
						} `json:"artifacts"`
					}
					_ = json.Unmarshal(b, &job)
					n.jobs.Add(1)
					t.mu.Lock()
					t.jobs = append(t.jobs, job.Job.ID)
					t.mu.Unlock()
					for _, a := range job.Artifacts {
						code, body, _ := call("GET", "/api/v1/deployment-jobs/"+job.Job.ID+"/artifacts/"+a.Name, t.writer, nil)
						sum := sha256.Sum256(body)
						if code != 200 || hex.EncodeToString(sum[:]) != a.SHA256 {
							fail("%s download %s/%s: %d", t.id, job.Job.ID, a.Name, code)
						}
						n.downloads.Add(1)
					}
					code, b, _ = call("POST", "/api/v1/deployment-jobs/"+job.Job.ID+"/artifacts/compose.stella.lock.yml/verify", t.writer, nil)
					if code != 200 || !bytes.Contains(b, []byte(`"valid":true`)) {
						fail("%s verify %s: %d %s", t.id, job.Job.ID, code, b)
					}
					n.verifies.Add(1)
				}
			}()
		}
		// The tenant's agent long-polls (and reports what it leases as done).
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				code, b, _ := call("GET", "/api/v1/agents/tasks/next?wait=2s", t.agentTok, nil)
				n.polls.Add(1)
				switch code {
				case 204:
				case 200:
					var k struct {
						ID string `json:"id"`
					}
					_ = json.Unmarshal(b, &k)
					now := time.Now().UTC()
					if code, b, _ := call("POST", "/api/v1/agents/tasks/"+k.ID+"/result", t.agentTok, map[string]any{"status": "succeeded", "startedAt": now, "finishedAt": now}); code != 200 {
						fail("%s result: %d %s", t.id, code, b)
					}
				default:
					if ctx.Err() == nil {
						fail("%s poll: %d %s", t.id, code, b)
					}
				}
			}
		}()
		// Probes: another tenant's job must answer exactly as an absent id does.
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				other := ts[(slices.Index(ts, t)+1)%len(ts)]
				other.mu.Lock()
				var id string
				if len(other.jobs) > 0 {
					id = other.jobs[len(other.jobs)-1]
				}
				other.mu.Unlock()
				if id == "" {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				for _, p := range []string{"/api/v1/deployment-jobs/%s", "/api/v1/deployment-jobs/%s/artifacts", "/api/v1/deployment-jobs/%s/artifacts/manifest.json"} {
					c1, b1, _ := call("GET", fmt.Sprintf(p, id), t.writer, nil)
					c2, b2, _ := call("GET", fmt.Sprintf(p, "absent-"+id[len(id)-4:]), t.writer, nil)
					n.probes.Add(1)
					shape := func(b []byte) string {
						var e struct {
							Error struct {
								Code string `json:"code"`
							} `json:"error"`
						}
						_ = json.Unmarshal(b, &e)
						return e.Error.Code
					}
					if c1 != 404 || c1 != c2 || shape(b1) != shape(b2) || bytes.Contains(b1, []byte(other.id)) {
						n.leaks.Add(1)
						fail("%s sees %s's %s: %d %s (absent: %d %s)", t.id, other.id, id, c1, b1, c2, b2)
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	// RSS of the server, once a second.
	var rss []int64
	tick := time.NewTicker(time.Second)
	start := time.Now()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			rss = append(rss, rssKB(serve.Process.Pid))
		}
	}
	tick.Stop()
	wg.Wait()
	el := time.Since(start).Seconds()
	third := max(len(rss)/3, 1)
	peakFirst, peakLast := slices.Max(rss[:third]), slices.Max(rss[len(rss)-third:])
	fmt.Printf("soak: %.0f s, %d tenants: %d jobs (%.1f/s), %d downloads, %d verifications, %d agent polls, %d cross-tenant probes; %d errors, %d cross-tenant answers\n",
		el, *tenants, n.jobs.Load(), float64(n.jobs.Load())/el, n.downloads.Load(), n.verifies.Load(), n.polls.Load(), n.probes.Load(), n.errors.Load(), n.leaks.Load())
	fmt.Printf("soak: server RSS %d MB at 1 s, peak %d MB in the first third, %d MB in the last third, %d MB at the end\n",
		rss[0]/1024, peakFirst/1024, peakLast/1024, rss[len(rss)-1]/1024)
	if n.errors.Load() > 0 || n.leaks.Load() > 0 {
		return fmt.Errorf("%d errors, %d cross-tenant answers", n.errors.Load(), n.leaks.Load())
	}
	// Flat: the last third's peak within 25 % (and 16 MB) of the first third's.
	if len(rss) >= 9 && peakLast > peakFirst*5/4 && peakLast-peakFirst > 16*1024 {
		return fmt.Errorf("server memory grew: peak %d MB in the first third, %d MB in the last", peakFirst/1024, peakLast/1024)
	}
	return nil
}

func rssKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), "%d", &kb)
			return kb
		}
	}
	return 0
}

// crash is the API side of the crash campaign: for each of n jobs, a release, a promotion and its
// approval go in, then the job is asked for and the server killed (SIGKILL) after a random 0–300 ms; the
// server is restarted and the same request, with the same Idempotency-Key, asked again: it must answer
// the job (201 or 200), never fail. Then fsck and evidence verify must be clean.
func crash(n int, writer, approver string, relBase map[string]any, call func(method, path, token string, body any, key ...string) (int, []byte, http.Header),
	restart func() error, check func() (int, string)) error {
	var killedMid, wrong int
	for i := 1; i <= n; i++ {
		rel := map[string]any{}
		for k, v := range relBase {
			rel[k] = v
		}
		relID, pid, key := fmt.Sprintf("crel-%d", i), fmt.Sprintf("cpromo-%d", i), fmt.Sprintf("cjob-%d", i)
		rel["id"], rel["name"] = relID, fmt.Sprintf("crash-%d", i)
		if code, b, _ := call("PUT", "/api/v1/releases/"+relID, writer, rel); code != 201 {
			return fmt.Errorf("release %s: %d %s", relID, code, b)
		}
		if code, b, _ := call("POST", "/api/v1/promotions", writer, map[string]string{"id": pid, "releaseId": relID, "environmentId": "env-prod"}); code != 201 {
			return fmt.Errorf("promotion %s: %d %s", pid, code, b)
		}
		if code, b, _ := call("POST", "/api/v1/promotions/"+pid+"/decisions", approver, map[string]string{"action": "approve"}); code != 201 {
			return fmt.Errorf("approval %s: %d %s", pid, code, b)
		}
		done := make(chan int, 1)
		go func() {
			code, _, _ := call("POST", "/api/v1/deployment-jobs", writer, map[string]string{"promotionId": pid}, key)
			done <- code
		}()
		b := make([]byte, 2)
		_, _ = rand.Read(b)
		time.Sleep(time.Duration(int(b[0])<<8|int(b[1])) % 300 * time.Millisecond)
		if err := restart(); err != nil {
			return err
		}
		if <-done == 0 {
			killedMid++
		}
		code, body, _ := call("POST", "/api/v1/deployment-jobs", writer, map[string]string{"promotionId": pid}, key)
		if code != 201 && code != 200 {
			wrong++
			fmt.Fprintf(os.Stderr, "crash %d: the request again: %d %s\n", i, code, body)
		}
	}
	problems, text := check()
	fmt.Printf("crash (API): %d job requests, the server killed during %d of them (the others answered first); asked again: %d wrong; fsck and evidence verify: %d problems\n",
		n, killedMid, wrong, problems)
	if wrong > 0 || problems > 0 {
		return fmt.Errorf("%d wrong answers, %d problems\n%s", wrong, problems, text)
	}
	return nil
}
