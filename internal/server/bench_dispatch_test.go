package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/server"
)

// BenchmarkDispatch is the latency from a task queued (POST /targets/{id}/tasks) to its lease by the
// target's agent, with 200 agents long-polling one server over loopback HTTP (SQLite). It reports the
// p50 and p99 over all iterations.
func BenchmarkDispatch(b *testing.B) {
	const agents = 200
	w := newWriteWorld(b)
	ctx := context.Background()
	tokens := make([]string, agents)
	for i := range agents {
		target := fmt.Sprintf("tgt-%03d", i)
		reg, rec := server.NewRegistration("acme", target, time.Now(), time.Hour)
		if err := w.db.Update(ctx, "acme", func(tx meta.Tx) error { return tx.CreateRegistration(ctx, rec) }); err != nil {
			b.Fatal(err)
		}
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		a := w.do(b, "POST", "/api/v1/agents/register", "", map[string]any{"registrationToken": reg, "publicKey": base64.StdEncoding.EncodeToString(pub)})
		var id server.Registered
		if err := json.Unmarshal(a.body, &id); err != nil || id.AgentID == "" {
			b.Fatalf("register: %d %s", a.status, a.body)
		}
		tok, k := server.NewToken("acme", meta.RoleAgent, "agent "+id.AgentID, time.Now(), time.Hour)
		k.AgentID, k.TargetID = id.AgentID, target
		if err := w.db.Update(ctx, "acme", func(tx meta.Tx) error { return tx.CreateToken(ctx, k) }); err != nil {
			b.Fatal(err)
		}
		tokens[i] = tok
	}
	type lease struct {
		id string
		at time.Time
	}
	leased := make(chan lease, agents)
	stop := make(chan struct{})
	tr := &http.Transport{MaxIdleConnsPerHost: agents + 8}
	c := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	for i := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", w.url+"/api/v1/agents/tasks/next?wait=2s", nil)
				req.Header.Set("Authorization", "Bearer "+tokens[i])
				res, err := c.Do(req)
				if err != nil {
					return
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					var k server.AgentTask
					_ = json.Unmarshal(body, &k)
					leased <- lease{k.ID, time.Now()}
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond) // every agent is waiting
	var lat []time.Duration
	b.ResetTimer()
	for n := range b.N {
		target := fmt.Sprintf("tgt-%03d", n%agents)
		id := fmt.Sprintf("bench-%d", n)
		body, _ := json.Marshal(map[string]any{"id": id, "type": "health-check", "payload": map[string]string{"url": "http://127.0.0.1/"}})
		req, _ := http.NewRequest("POST", w.url+"/api/v1/targets/"+target+"/tasks", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+w.tokens["acme/deployer/jane"])
		req.Header.Set("Idempotency-Key", id)
		start := time.Now()
		res, err := c.Do(req)
		if err != nil || res.StatusCode != http.StatusCreated {
			b.Fatalf("queue: %v %v", err, res)
		}
		res.Body.Close()
		for l := range leased {
			if l.id == id {
				lat = append(lat, l.at.Sub(start))
				break
			}
		}
	}
	b.StopTimer()
	close(stop)
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	wg.Wait()
}
