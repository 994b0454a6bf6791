package web

import (
	"context"
	"sync"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/meta"
)

// ChainRecheck is how old a chain's check may be before the evidence page checks it again, even when
// no packet was appended since.
const ChainRecheck = 5 * time.Minute

// chainWait is how long a page waits for a check it started before it shows "being checked".
const chainWait = 150 * time.Millisecond

// chains keeps the last check of each tenant's chain (evidence.VerifyChain: every packet's hash,
// signature and link, and the signed head). A chain of thousands of packets takes longer to check than
// a page may take, so the page shows the last result, the head it was made at and when, and starts a
// new check in the background when the head moved or the result is older than ChainRecheck.
type chains struct {
	mu sync.Mutex
	m  map[string]*chainState
}

type chainState struct {
	head      meta.ChainHead
	report    *evidence.ChainReport
	err       error
	checkedAt time.Time
	running   chan struct{} // closed when the running check ends; nil when none runs
}

// chainView is what the evidence page shows of the chain.
type chainView struct {
	Report    *evidence.ChainReport
	Error     string
	CheckedAt time.Time
	// Stale: the report is of an earlier head than the chain's; Checking: a check is running.
	Stale    bool
	Checking bool
	Head     int64
}

func (u *UI) chainState(ctx context.Context, tenant string, head meta.ChainHead) chainView {
	u.chains.mu.Lock()
	st := u.chains.m[tenant]
	if st == nil {
		st = &chainState{}
		u.chains.m[tenant] = st
	}
	current := st.report != nil && st.head.Seq == head.Seq && st.head.Hash == head.Hash && u.api.Now().Sub(st.checkedAt) < ChainRecheck
	var done chan struct{}
	if !current && st.running == nil {
		done = make(chan struct{})
		st.running = done
		go u.checkChain(tenant, head, st, done)
	}
	u.chains.mu.Unlock()
	// Only the request that started a check waits for it, briefly (a short chain is done by then);
	// the others show the last report, or "being checked".
	if done != nil {
		select {
		case <-done:
		case <-time.After(chainWait):
		case <-ctx.Done():
		}
	}
	u.chains.mu.Lock()
	defer u.chains.mu.Unlock()
	v := chainView{Report: st.report, CheckedAt: st.checkedAt, Checking: st.running != nil, Head: head.Seq}
	if st.err != nil {
		v.Error = "the chain could not be read; see the server log"
	}
	v.Stale = st.report != nil && (st.head.Seq != head.Seq || st.head.Hash != head.Hash)
	return v
}

func (u *UI) checkChain(tenant string, head meta.ChainHead, st *chainState, done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := evidence.VerifyChain(ctx, u.db, tenant, u.api.EvidenceKeys())
	u.chains.mu.Lock()
	if err != nil {
		u.log.Error("web: check evidence chain", "tenant", tenant, "err", err)
		st.err = err
	} else {
		// The report is of the chain as the check read it, which is at least head.
		st.report, st.err, st.head = &rep, nil, meta.ChainHead{Seq: rep.Head, Hash: head.Hash}
		if rep.Head != head.Seq {
			st.head.Hash = "" // read a later head: the next page checks again
		}
	}
	st.checkedAt = u.api.Now()
	st.running = nil
	u.chains.mu.Unlock()
	close(done)
}

// times keeps each tenant's chain as (sequence, generation time), read once and then only the packets
// appended since: packets never change, so a date range becomes the exact sequence range of the packets
// it holds, and the evidence page reads only that part of the chain (there is no index on the time).
type times struct {
	mu sync.Mutex
	m  map[string][]meta.EvidenceTime
}

// seqRange is the smallest and largest sequence of the tenant's packets generated in [from, to) (to
// zero: open), and whether there is any.
func (u *UI) seqRange(ctx context.Context, tx meta.Tx, from, to time.Time) (lo, hi int64, any bool, err error) {
	tenant := tx.Tenant()
	u.times.mu.Lock()
	known := u.times.m[tenant]
	u.times.mu.Unlock()
	var after int64
	if len(known) > 0 {
		after = known[len(known)-1].Seq
	}
	more, err := tx.EvidenceTimes(ctx, after)
	if err != nil {
		return 0, 0, false, err
	}
	if len(more) > 0 {
		u.times.mu.Lock()
		cur := u.times.m[tenant]
		if len(cur) == len(known) { // nobody appended meanwhile
			cur = append(cur, more...)
			u.times.m[tenant] = cur
		}
		u.times.mu.Unlock()
		known = append(known[:len(known):len(known)], more...)
	}
	for _, e := range known {
		if e.GeneratedAt.Before(from) || !to.IsZero() && !e.GeneratedAt.Before(to) {
			continue
		}
		if !any || e.Seq < lo {
			lo = e.Seq
		}
		if !any || e.Seq > hi {
			hi = e.Seq
		}
		any = true
	}
	return lo, hi, any, nil
}
