package metatest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/meta"
)

// testPages checks the paged reads the web interface uses: deployments of one environment page by
// page (no row twice, none left out, ties broken by id), environments by id, a deployment's packets,
// and evidence pages filtered by release, environment (a decision's by the deployment of its
// promotion) and time.
func testPages(t *testing.T, h Harness) {
	ctx := context.Background()
	Seed(t, h.DB, "t1", "d000", T0)
	must(t, h.DB.Update(ctx, "t1", func(tx meta.Tx) error {
		if err := tx.PutRelease(ctx, meta.Release{ID: "rel-2", Name: "myapp-v2", CreatedAt: T0, Doc: []byte(`{}`)}); err != nil {
			return err
		}
		if err := tx.PutEnvironment(ctx, meta.Environment{ID: "env-dev", Name: "dev", Tier: "development", Doc: []byte(`{}`)}); err != nil {
			return err
		}
		for i := 1; i < 60; i++ {
			env, rel := "env-prod", "rel-1"
			if i%3 == 0 {
				env, rel = "env-dev", "rel-2"
			}
			at := T0.Add(time.Duration(i/2) * time.Second) // pairs share a time
			if err := tx.CreateDeployment(ctx, meta.Deployment{ID: fmt.Sprintf("d%03d", i), ReleaseID: rel, EnvironmentID: env, PromotionID: fmt.Sprintf("p%03d", i), Status: meta.StatusGenerated, CreatedAt: at}, nil); err != nil {
				return err
			}
		}
		// d003 (dev) has a decision packet (by its promotion) and a deployment packet; d001 (prod) one.
		for _, e := range []meta.Evidence{
			{ID: "ev-dec-3", Type: "release_decision", PromotionID: "p003", GeneratedAt: T0},
			{ID: "ev-dep-3", Type: "deployment", DeploymentID: "d003", PromotionID: "p003", GeneratedAt: T0.Add(time.Hour)},
			{ID: "ev-dep-1", Type: "deployment", DeploymentID: "d001", PromotionID: "p001", GeneratedAt: T0.Add(2 * time.Hour)},
			{ID: "ev-dec-x", Type: "release_decision", PromotionID: "p-rejected", GeneratedAt: T0.Add(3 * time.Hour)},
		} {
			_, err := tx.AppendEvidence(ctx, func(hd meta.ChainHead) (meta.Evidence, error) {
				e.Seq, e.PrevHash, e.PacketHash, e.Packet = hd.Seq+1, hd.Hash, "sha256:"+hex64(hd.Hash+e.ID), []byte(`{"id":"`+e.ID+`"}`)
				return e, nil
			})
			if err != nil {
				return err
			}
		}
		for i, id := range []string{"stk-1", "stk-3", "stk-2"} {
			if err := tx.PutSticker(ctx, meta.Sticker{ID: id, DeploymentID: "d001", TargetID: "host-a", IssuedAt: T0.Add(time.Duration([]int{1, 3, 2}[i]) * time.Minute), SHA256: hex64(id), Doc: []byte(`{}`)}); err != nil {
				return err
			}
		}
		for i := 1; i <= 4; i++ {
			at := T0.Add(time.Duration(i) * time.Minute)
			k := meta.AgentTask{ID: fmt.Sprintf("rs-%d", i), TargetID: "host-a", Type: "read-sticker", Timeout: time.Minute, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
			if err := tx.CreateAgentTask(ctx, k); err != nil {
				return err
			}
			if i == 4 {
				break // stays pending
			}
			if _, err := tx.LeaseAgentTask(ctx, "host-a", "agent-a", at); err != nil {
				return err
			}
			status := meta.TaskSucceeded
			if i == 2 {
				status = meta.TaskFailed
			}
			if err := tx.FinishAgentTask(ctx, k.ID, "agent-a", status, []byte(`{}`), at); err != nil {
				return err
			}
		}
		return nil
	}))
	must(t, h.DB.View(ctx, "t1", func(tx meta.Tx) error {
		ok, err := tx.AgentTasksByStatus(ctx, "host-a", "read-sticker", meta.TaskSucceeded, 10)
		if err != nil || len(ok) != 2 || ok[0].ID != "rs-3" || ok[1].ID != "rs-1" {
			return fmt.Errorf("succeeded read-sticker tasks of host-a: %+v, %v", ok, err)
		}
		if one, err := tx.AgentTasksByStatus(ctx, "host-a", "read-sticker", meta.TaskSucceeded, 1); err != nil || len(one) != 1 || one[0].ID != "rs-3" {
			return fmt.Errorf("newest succeeded: %+v, %v", one, err)
		}
		if none, err := tx.AgentTasksByStatus(ctx, "host-a", "health-check", meta.TaskSucceeded, 10); err != nil || len(none) != 0 {
			return fmt.Errorf("other type: %+v, %v", none, err)
		}
		if s, err := tx.LatestSticker(ctx, "host-a"); err != nil || s.ID != "stk-3" {
			return fmt.Errorf("latest sticker of host-a: %+v, %v", s, err)
		}
		es, err := tx.Environments(ctx)
		if err != nil || len(es) != 2 || es[0].ID != "env-dev" || es[1].ID != "env-prod" || es[1].Tier != "production" {
			return fmt.Errorf("environments %+v, %v", es, err)
		}
		var seen []string
		q := meta.DeploymentQuery{EnvironmentID: "env-prod", Limit: 7}
		for page := 0; page < 20; page++ {
			ds, err := tx.DeploymentsPage(ctx, q)
			if err != nil {
				return err
			}
			for _, d := range ds {
				if d.EnvironmentID != "env-prod" {
					return fmt.Errorf("page of env-prod has %s of %s", d.ID, d.EnvironmentID)
				}
				seen = append(seen, d.ID)
			}
			if len(ds) < q.Limit {
				break
			}
			q.BeforeAt, q.BeforeID = ds[len(ds)-1].CreatedAt, ds[len(ds)-1].ID
		}
		var want []string
		for i := 59; i >= 1; i-- {
			if i%3 != 0 {
				want = append(want, fmt.Sprintf("d%03d", i))
			}
		}
		want = append(want, "d000")
		if strings.Join(seen, ",") != strings.Join(want, ",") {
			return fmt.Errorf("env-prod pages:\n got %v\nwant %v", seen, want)
		}
		all, err := tx.DeploymentsPage(ctx, meta.DeploymentQuery{Limit: 1000})
		if err != nil || len(all) != 60 || all[0].ID != "d059" {
			return fmt.Errorf("all deployments: %d, %v", len(all), err)
		}
		if _, err := tx.LatestSticker(ctx, "host-b"); !errors.Is(err, meta.ErrNotFound) {
			return fmt.Errorf("latest sticker of a target without one: %v", err)
		}
		times, err := tx.EvidenceTimes(ctx, 1)
		if err != nil || len(times) != 3 || times[0].Seq != 2 || !times[0].GeneratedAt.Equal(T0.Add(time.Hour)) || times[2].Seq != 4 {
			return fmt.Errorf("evidence times after 1: %+v, %v", times, err)
		}
		dev, err := tx.DeploymentEvidence(ctx, "d003")
		if err != nil || len(dev) != 1 || dev[0].ID != "ev-dep-3" {
			return fmt.Errorf("evidence of d003: %+v, %v", dev, err)
		}
		ids := func(q meta.EvidenceQuery) string {
			es, err := tx.EvidencePage(ctx, q)
			if err != nil {
				return err.Error()
			}
			var s []string
			for _, e := range es {
				s = append(s, e.ID)
			}
			return strings.Join(s, ",")
		}
		for _, c := range []struct {
			q    meta.EvidenceQuery
			want string
		}{
			{meta.EvidenceQuery{}, "ev-dec-x,ev-dep-1,ev-dep-3,ev-dec-3"},
			{meta.EvidenceQuery{Limit: 2}, "ev-dec-x,ev-dep-1"},
			{meta.EvidenceQuery{BeforeSeq: 3}, "ev-dep-3,ev-dec-3"},
			{meta.EvidenceQuery{EnvironmentID: "env-dev"}, "ev-dep-3,ev-dec-3"},
			{meta.EvidenceQuery{ReleaseID: "rel-1"}, "ev-dep-1"},
			{meta.EvidenceQuery{ReleaseID: "rel-2", EnvironmentID: "env-prod"}, ""},
			{meta.EvidenceQuery{From: T0.Add(time.Hour), To: T0.Add(3 * time.Hour)}, "ev-dep-1,ev-dep-3"},
			{meta.EvidenceQuery{MinSeq: 2, MaxSeq: 3}, "ev-dep-1,ev-dep-3"},
			{meta.EvidenceQuery{MinSeq: 3, ReleaseID: "rel-2"}, ""},
		} {
			if got := ids(c.q); got != c.want {
				return fmt.Errorf("evidence page %+v: got %q, want %q", c.q, got, c.want)
			}
		}
		return nil
	}))
	// Another tenant sees none of it.
	must(t, h.DB.View(ctx, "t2", func(tx meta.Tx) error {
		es, _ := tx.Environments(ctx)
		ds, _ := tx.DeploymentsPage(ctx, meta.DeploymentQuery{})
		ev, _ := tx.EvidencePage(ctx, meta.EvidenceQuery{})
		de, _ := tx.DeploymentEvidence(ctx, "d003")
		if len(es)+len(ds)+len(ev)+len(de) != 0 {
			return fmt.Errorf("other tenant sees %d environments, %d deployments, %d+%d packets", len(es), len(ds), len(ev), len(de))
		}
		return nil
	}))
}
