package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/sticker"
)

// jobRow is one deployment job of a timeline: what, where, who asked, who approved, when, the outcome.
type jobRow struct {
	meta.Deployment
	ReleaseName string
	Requester   string
	Approvers   []string
	Decision    string
}

// timeline reads one page of deployments (of env, or all) and who requested and approved each, from
// its evidence packet.
func (u *UI) timeline(ctx context.Context, tx meta.Tx, env string, cursor string) ([]jobRow, string, error) {
	q := meta.DeploymentQuery{EnvironmentID: env, Limit: u.pageSize}
	if cursor != "" {
		at, id, ok := strings.Cut(cursor, "_")
		n, err := strconv.ParseInt(at, 10, 64)
		if !ok || err != nil || id == "" {
			return nil, "", fault.Inputf("query parameter before: %q is not a timeline position", cursor)
		}
		q.BeforeAt, q.BeforeID = time.UnixMicro(n).UTC(), id
	}
	ds, err := tx.DeploymentsPage(ctx, q)
	if err != nil {
		return nil, "", err
	}
	rows := make([]jobRow, 0, len(ds))
	for _, d := range ds {
		row := jobRow{Deployment: d}
		es, err := tx.DeploymentEvidence(ctx, d.ID)
		if err != nil {
			return nil, "", err
		}
		for _, e := range es {
			p, err := evidence.Parse(e.Packet)
			if err != nil {
				continue
			}
			c := p.Content
			row.ReleaseName, row.Requester, row.Decision = c.Release.Name, c.Actors.Requester.Name, c.Decision.Result
			if row.Requester == "" {
				row.Requester = c.Actors.Requester.ID
			}
			row.Approvers = row.Approvers[:0]
			for _, a := range c.Actors.Approvers {
				row.Approvers = append(row.Approvers, orID(a.Name, a.ID)+" ("+a.Action+")")
			}
		}
		rows = append(rows, row)
	}
	next := ""
	if len(ds) == u.pageSize {
		last := ds[len(ds)-1]
		next = strconv.FormatInt(last.CreatedAt.UnixMicro(), 10) + "_" + last.ID
	}
	return rows, next, nil
}

func orID(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// targetRow is a target with its current sticker and drift state.
type targetRow struct {
	meta.Target
	Sticker *meta.Sticker
	Release string // the sticker's release (name and id)
	Drift   server.DriftState
}

// driftCache keeps each target's drift state (server.ReadDrift reads up to 500 results) by the newest
// successful read-sticker task it was read at: a new result changes the key. Entries are re-read after
// driftTTL, for a result finished out of order.
type driftCache struct {
	mu sync.Mutex
	m  map[string]driftEntry
}

type driftEntry struct {
	newest string
	at     time.Time
	state  server.DriftState
}

const driftTTL = time.Minute

func (u *UI) drift(ctx context.Context, tx meta.Tx, target string) (server.DriftState, error) {
	ks, err := tx.AgentTasksByStatus(ctx, target, "read-sticker", meta.TaskSucceeded, 1)
	if err != nil {
		return server.DriftState{}, err
	}
	newest := ""
	if len(ks) == 1 {
		newest = ks[0].ID
	}
	key, now := tx.Tenant()+"\x00"+target, u.api.Now()
	u.drifts.mu.Lock()
	e, ok := u.drifts.m[key]
	u.drifts.mu.Unlock()
	if ok && e.newest == newest && now.Sub(e.at) < driftTTL {
		return e.state, nil
	}
	st, err := server.ReadDrift(ctx, tx, target)
	if err != nil {
		return st, err
	}
	u.drifts.mu.Lock()
	if len(u.drifts.m) > 100000 {
		clear(u.drifts.m)
	}
	u.drifts.m[key] = driftEntry{newest: newest, at: now, state: st}
	u.drifts.mu.Unlock()
	return st, nil
}

func (u *UI) targetsOf(ctx context.Context, tx meta.Tx, env string) ([]targetRow, error) {
	ts, err := tx.Targets(ctx, env)
	if err != nil {
		return nil, err
	}
	out := make([]targetRow, 0, len(ts))
	for _, t := range ts {
		row := targetRow{Target: t}
		s, err := tx.LatestSticker(ctx, t.ID)
		switch {
		case err == nil:
			row.Sticker = &s
			if st, err := sticker.Parse(s.Doc); err == nil {
				row.Release = st.Release.Name + " (" + st.Release.ID + ")"
			}
		case !errors.Is(err, meta.ErrNotFound):
			return nil, err
		}
		if row.Drift, err = u.drift(ctx, tx, t.ID); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	return out, nil
}

type envSummary struct {
	meta.Environment
	Targets int
	Latest  *meta.Deployment
}

func (u *UI) environments(w http.ResponseWriter, r *http.Request, c caller) error {
	ctx := r.Context()
	var out []envSummary
	err := u.db.View(ctx, c.tok.TenantID, func(tx meta.Tx) error {
		es, err := tx.Environments(ctx)
		if err != nil {
			return err
		}
		for _, e := range es {
			s := envSummary{Environment: e}
			ts, err := tx.Targets(ctx, e.ID)
			if err != nil {
				return err
			}
			s.Targets = len(ts)
			ds, err := tx.DeploymentsPage(ctx, meta.DeploymentQuery{EnvironmentID: e.ID, Limit: 1})
			if err != nil {
				return err
			}
			if len(ds) == 1 {
				s.Latest = &ds[0]
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "environments", &c, "Environments", out)
	return nil
}

type envPage struct {
	Env     meta.Environment
	Targets []targetRow
	Jobs    []jobRow
	Next    string
	Paged   bool
	Queued  string
}

func (u *UI) environment(w http.ResponseWriter, r *http.Request, c caller) error {
	ctx := r.Context()
	p := envPage{Paged: r.URL.Query().Get("before") != "", Queued: r.URL.Query().Get("queued")}
	err := u.db.View(ctx, c.tok.TenantID, func(tx meta.Tx) error {
		var err error
		if p.Env, err = tx.Environment(ctx, r.PathValue("id")); err != nil {
			return err
		}
		if p.Targets, err = u.targetsOf(ctx, tx, p.Env.ID); err != nil {
			return err
		}
		p.Jobs, p.Next, err = u.timeline(ctx, tx, p.Env.ID, r.URL.Query().Get("before"))
		return err
	})
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "environment", &c, "Environment "+orID(p.Env.Name, p.Env.ID), p)
	return nil
}

// driftCheck asks a target's agent to read its sticker now (writers only), then shows the environment.
func (u *UI) driftCheck(w http.ResponseWriter, r *http.Request, c caller) error {
	ctx := r.Context()
	env, target := r.PathValue("id"), r.PathValue("target")
	if !c.Writer() {
		return fault.Wrap(fault.Forbidden, fmt.Errorf("role %s may not ask for a drift check", c.tok.Role))
	}
	err := u.db.View(ctx, c.tok.TenantID, func(tx meta.Tx) error {
		ts, err := tx.Targets(ctx, env)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.ID == target {
				return nil
			}
		}
		return fault.NotFoundf("target %s of environment %s: not found", target, env)
	})
	if err != nil {
		return err
	}
	k, err := u.api.CheckDriftNow(ctx, c.tok, target)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/ui/environments/"+url.PathEscape(env)+"?queued="+url.QueryEscape(k.ID), http.StatusSeeOther)
	return nil
}

type jobsPage struct {
	Jobs  []jobRow
	Next  string
	Paged bool
}

func (u *UI) deployments(w http.ResponseWriter, r *http.Request, c caller) error {
	ctx := r.Context()
	p := jobsPage{Paged: r.URL.Query().Get("before") != ""}
	err := u.db.View(ctx, c.tok.TenantID, func(tx meta.Tx) error {
		var err error
		p.Jobs, p.Next, err = u.timeline(ctx, tx, "", r.URL.Query().Get("before"))
		return err
	})
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "deployments", &c, "Deployments", p)
	return nil
}

// component is one image of a deployment.
type component struct{ Name, Image, Tag, Digest string }

// packetView is an evidence packet for reading, with whether it verifies.
type packetView struct {
	Row      meta.Evidence
	P        *evidence.Packet
	Problems []fault.Problem
	Error    string // the packet does not parse
}

func (u *UI) packetOf(e meta.Evidence, tenant string) packetView {
	v := packetView{Row: e}
	p, err := evidence.Parse(e.Packet)
	if err != nil {
		v.Error = err.Error()
		return v
	}
	v.P = p
	if err := evidence.VerifyStored(e, tenant, u.api.EvidenceKeys()); err != nil {
		var ps *fault.Problems
		if errors.As(err, &ps) {
			v.Problems = ps.List
		} else {
			v.Problems = []fault.Problem{{File: "evidence " + e.ID, Message: err.Error()}}
		}
	}
	return v
}

type deploymentPage struct {
	Job        server.Job
	Components []component
	Artifacts  []meta.Artifact
	Packets    []packetView
	// Hold is the deployment's legal hold, if it has one (the retention sweep keeps its set).
	Hold *meta.Hold
	// Verified is set once "verify now" ran: every artifact's result, by name.
	Verified   bool
	Results    map[string]server.Verification
	Extra      []server.Verification // stored but not recorded
	Invalid    int
	VerifiedAt time.Time
}

func (u *UI) deploymentData(ctx context.Context, c caller, id string) (deploymentPage, error) {
	var p deploymentPage
	err := u.db.View(ctx, c.tok.TenantID, func(tx meta.Tx) error {
		var err error
		if p.Job, err = server.ReadJob(ctx, tx, id); err != nil {
			return err
		}
		if p.Artifacts, err = tx.Artifacts(ctx, id); err != nil {
			return err
		}
		if h, err := tx.Hold(ctx, id); err == nil {
			p.Hold = &h
		} else if !errors.Is(err, meta.ErrNotFound) {
			return err
		}
		es, err := tx.DeploymentEvidence(ctx, id)
		for _, e := range es {
			p.Packets = append(p.Packets, u.packetOf(e, c.tok.TenantID))
		}
		return err
	})
	if err != nil {
		return p, err
	}
	// Components from the signed packet; without one, from the set's sticker template.
	for _, pv := range p.Packets {
		if pv.P != nil && len(p.Components) == 0 {
			for _, k := range pv.P.Content.Release.Components {
				p.Components = append(p.Components, component{Name: k.Name, Image: k.ImageRepository, Tag: k.Tag, Digest: k.Digest})
			}
		}
	}
	if len(p.Components) == 0 {
		if _, data, err := u.api.Artifact(ctx, c.tok, id, sticker.FileName); err == nil {
			if st, err := sticker.Parse(data); err == nil {
				for _, k := range st.Release.Components {
					p.Components = append(p.Components, component{Name: k.Name, Image: k.Image, Tag: k.Tag, Digest: k.Digest})
				}
			}
		}
	}
	return p, nil
}

func (u *UI) deployment(w http.ResponseWriter, r *http.Request, c caller) error {
	p, err := u.deploymentData(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "deployment", &c, "Deployment "+p.Job.ID, p)
	return nil
}

// verify runs the verify endpoint's check of every artifact and shows the deployment with the results.
func (u *UI) verify(w http.ResponseWriter, r *http.Request, c caller) error {
	ctx := r.Context()
	p, err := u.deploymentData(ctx, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	vs, err := u.api.VerifyJob(ctx, c.tok, p.Job.ID)
	if err != nil {
		return err
	}
	p.Verified, p.Results, p.VerifiedAt = true, map[string]server.Verification{}, u.api.Now().UTC()
	recorded := map[string]bool{}
	for _, a := range p.Artifacts {
		recorded[a.Name] = true
	}
	for _, v := range vs {
		if !v.Valid {
			p.Invalid++
		}
		if recorded[v.Name] {
			p.Results[v.Name] = v
		} else {
			p.Extra = append(p.Extra, v)
		}
	}
	u.render(w, r, http.StatusOK, "deployment", &c, "Deployment "+p.Job.ID+" (verified)", p)
	return nil
}

// download serves an artifact's bytes exactly as the API does (only bytes that match their record).
func (u *UI) download(w http.ResponseWriter, r *http.Request, c caller) error {
	err := u.api.Download(w, r, c.tok, r.PathValue("id"), r.PathValue("name"))
	var ps *fault.Problems
	if errors.As(err, &ps) {
		return fault.Wrap(fault.Verification, fmt.Errorf("%s is not served: %s", r.PathValue("name"), ps.Error()))
	}
	return err
}

type evidencePage struct {
	Filter  evidenceFilter
	Rows    []evidenceRow
	Next    string
	Paged   bool
	Chain   chainView
	Refresh bool
}

type evidenceFilter struct{ Release, Environment, From, To string }

// NewestURL and NextURL are the pager's links, with the filter kept.
func (p evidencePage) NewestURL() template.URL {
	return template.URL("/ui/evidence?" + p.Filter.Query())
}

func (p evidencePage) NextURL() template.URL {
	q := p.Filter.Query()
	if q != "" {
		q += "&"
	}
	return template.URL("/ui/evidence?" + q + "before=" + url.QueryEscape(p.Next))
}

// Query is the filter as URL parameters (for the next page's link).
func (f evidenceFilter) Query() string {
	v := url.Values{}
	for k, x := range map[string]string{"release": f.Release, "environment": f.Environment, "from": f.From, "to": f.To} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v.Encode()
}

type evidenceRow struct {
	meta.Evidence
	Release, Environment string
}

func parseDay(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return t, fault.Inputf("%s: %q is not a date (YYYY-MM-DD)", name, v)
	}
	return t, nil
}

func (u *UI) evidence(w http.ResponseWriter, r *http.Request, c caller) error {
	ctx := r.Context()
	q := r.URL.Query()
	p := evidencePage{Filter: evidenceFilter{Release: q.Get("release"), Environment: q.Get("environment"), From: q.Get("from"), To: q.Get("to")}, Paged: q.Get("before") != ""}
	eq := meta.EvidenceQuery{ReleaseID: p.Filter.Release, EnvironmentID: p.Filter.Environment, Limit: u.pageSize}
	var err error
	if eq.From, err = parseDay("from", p.Filter.From); err != nil {
		return err
	}
	if eq.To, err = parseDay("to", p.Filter.To); err != nil {
		return err
	}
	if !eq.To.IsZero() {
		eq.To = eq.To.AddDate(0, 0, 1) // the whole "to" day
	}
	if b := q.Get("before"); b != "" {
		if eq.BeforeSeq, err = strconv.ParseInt(b, 10, 64); err != nil || eq.BeforeSeq < 1 {
			return fault.Inputf("query parameter before: %q is not a sequence number", b)
		}
	}
	var head meta.ChainHead
	err = u.db.View(ctx, c.tok.TenantID, func(tx meta.Tx) error {
		if head, err = tx.ChainHead(ctx); err != nil {
			return err
		}
		if !eq.From.IsZero() || !eq.To.IsZero() {
			lo, hi, any, err := u.seqRange(ctx, tx, eq.From, eq.To)
			if err != nil || !any {
				return err // no packet in the range
			}
			eq.MinSeq, eq.MaxSeq = lo, hi
		}
		es, err := tx.EvidencePage(ctx, eq)
		for _, e := range es {
			row := evidenceRow{Evidence: e}
			if pk, err := evidence.Parse(e.Packet); err == nil {
				row.Release, row.Environment = pk.Content.Release.ID, pk.Content.Environment.ID
			}
			p.Rows = append(p.Rows, row)
		}
		if len(es) == u.pageSize {
			p.Next = strconv.FormatInt(es[len(es)-1].Seq, 10)
		}
		return err
	})
	if err != nil {
		return err
	}
	p.Chain = u.chainState(ctx, c.tok.TenantID, head)
	p.Refresh = p.Chain.Checking && p.Chain.Report == nil
	u.render(w, r, http.StatusOK, "evidence", &c, "Evidence", p)
	return nil
}

func (u *UI) readPacket(ctx context.Context, c caller, id string) (meta.Evidence, error) {
	var e meta.Evidence
	err := u.db.View(ctx, c.tok.TenantID, func(tx meta.Tx) error {
		var err error
		e, err = tx.Evidence(ctx, id)
		return err
	})
	return e, err
}

func (u *UI) packet(w http.ResponseWriter, r *http.Request, c caller) error {
	e, err := u.readPacket(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "packet", &c, "Evidence "+e.ID, u.packetOf(e, c.tok.TenantID))
	return nil
}

// packetJSON is the signed packet byte for byte as stored (stella evidence export --format json).
func (u *UI) packetJSON(w http.ResponseWriter, r *http.Request, c caller) error {
	e, err := u.readPacket(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFile(e.ID)+`.json"`)
	_, err = w.Write(e.Packet)
	return err
}

// packetPDF is the packet's report (stella evidence export --format pdf); a packet that does not
// verify gets its report stamped NOT VERIFIED on every page with the reason, as --allow-unverified.
func (u *UI) packetPDF(w http.ResponseWriter, r *http.Request, c caller) error {
	e, err := u.readPacket(r.Context(), c, r.PathValue("id"))
	if err != nil {
		return err
	}
	p, err := evidence.Parse(e.Packet)
	if err != nil {
		return fault.Wrap(fault.Verification, fmt.Errorf("evidence %s: %w", e.ID, err))
	}
	var opts evidence.PDFOptions
	if verr := evidence.VerifyStored(e, c.tok.TenantID, u.api.EvidenceKeys()); verr != nil {
		opts.Unverified = verr.Error()
	}
	var b strings.Builder
	if err := evidence.PDFWith(&b, p, e.PacketHash, opts); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+safeFile(e.ID)+`.pdf"`)
	_, err = w.Write([]byte(b.String()))
	return err
}

// safeFile keeps an id's letters, digits and ._- for a download's file name.
func safeFile(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, id)
}
