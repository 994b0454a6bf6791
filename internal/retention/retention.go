// Package retention removes artifact sets whose retention has ended and keeps everything else: the
// retention sweep (stella retention sweep, and serve's schedule) and legal holds (stella retention
// hold|release). A set is removed only when all of these hold:
//
//   - its retainUntil, from its own manifest (whose bytes match the digest recorded for it), has passed;
//   - it is neither the current nor the previous deployment of any target or environment (by the
//     deployments recorded for each target and environment, newest first, and by the stickers issued
//     to each target);
//   - it carries no legal hold;
//   - the store lets it go (S3: every object's Object Lock has expired).
//
// Each removal is a set_removed evidence packet, appended in the same transaction that checks the hold
// again under the chain head's lock, and committed only once the store has removed
// the set; a hold and its release are evidence too. Evidence is never removed. A set the database does
// not record is kept (and reported): nothing says whether it is in use.
package retention

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store"
)

// Options are what a sweep, a hold or a release works on.
type Options struct {
	DB    meta.DB
	Store store.Store
	// Signer signs the evidence packets. Without one, KeyFor opens, for each tenant, the key that signed
	// the tenant's newest packet (by its signerKeyRef), so a sweep signs with the key the tenant's
	// evidence is already signed with.
	Signer *sign.Signer
	KeyFor func(ref string) (*sign.Signer, error)
	// Now is the clock that decides whether a retention has passed (nil: time.Now).
	Now func() time.Time
	// EvidenceClock is the packets' time (nil: time.Now, taken under the chain's lock): always the real
	// time of recording, whatever Now says, so that the chain stays in time order; tests set both.
	EvidenceClock func() time.Time
	// Tenants limits the sweep to these tenants (none: every tenant of the store and the database).
	Tenants []string
	// DryRun lists what would be removed and removes nothing, records nothing.
	DryRun bool
	// Actor is who asks (a user's name, or "stella serve"), recorded as the packets' requester.
	Actor string
	// Locate names where a set is kept, for the packet (nil: TENANT/DEPLOYMENT).
	Locate func(store.Ref) string
	// OpTimeout bounds each store or database call (0: 2 minutes).
	OpTimeout time.Duration
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

func (o *Options) timeout() time.Duration {
	if o.OpTimeout > 0 {
		return o.OpTimeout
	}
	return 2 * time.Minute
}

func (o *Options) actor() string {
	if o.Actor != "" {
		return o.Actor
	}
	return "stella retention"
}

func (o *Options) location(ref store.Ref) string {
	if o.Locate != nil {
		return o.Locate(ref)
	}
	return ref.String()
}

// Outcomes of one set in a sweep.
const (
	Removed     = "removed"
	WouldRemove = "would-remove"
	Kept        = "kept"
)

// Item is what the sweep did with one set, and why.
type Item struct {
	Tenant      string     `json:"tenant"`
	Deployment  string     `json:"deployment"`
	Outcome     string     `json:"outcome"`
	Reason      string     `json:"reason"`
	Tier        string     `json:"tier,omitempty"`
	RetainUntil *time.Time `json:"retainUntil,omitempty"`
	// LockedUntil is, for a set the store still locks, when its lock ends.
	LockedUntil *time.Time `json:"lockedUntil,omitempty"`
	EvidenceID  string     `json:"evidenceId,omitempty"`
}

// Set is TENANT/DEPLOYMENT.
func (it Item) Set() string { return it.Tenant + "/" + it.Deployment }

// Report is a sweep's result: every set looked at, in tenant and deployment order.
type Report struct {
	At      time.Time `json:"at"`
	DryRun  bool      `json:"dryRun"`
	Tenants []string  `json:"tenants"`
	Items   []Item    `json:"items"`
	Removed int       `json:"removed"`
	// Would is how many a dry run would remove.
	Would int `json:"wouldRemove"`
	Kept  int `json:"kept"`
	// Locked is how many of the kept sets had passed their retention but are still locked by the store.
	Locked int `json:"locked"`
}

// Summary is one line for the text output.
func (r *Report) Summary() string {
	if r.DryRun {
		return fmt.Sprintf("retention sweep (dry run) at %s: %d of %d sets would be removed, %d kept (%d still locked by the store); nothing removed",
			r.At.Format(time.RFC3339), r.Would, len(r.Items), r.Kept, r.Locked)
	}
	return fmt.Sprintf("retention sweep at %s: %d of %d sets removed, %d kept (%d still locked by the store)",
		r.At.Format(time.RFC3339), r.Removed, len(r.Items), r.Kept, r.Locked)
}

// Sweep looks at every set of the tenants and removes those that may go (see the package comment). A
// set that cannot be judged (its manifest unreadable, not recorded) or that the store still locks is
// kept and reported, never an error of the whole sweep; an error is returned only when the store or the
// database cannot be read at all.
func Sweep(ctx context.Context, o Options) (*Report, error) {
	if o.DB == nil || o.Store == nil {
		return nil, errors.New("retention sweep: a database and a store are required")
	}
	if !o.DryRun && o.Signer == nil && o.KeyFor == nil {
		return nil, fault.Inputf("--key: a signing key is required to record removals")
	}
	now := o.now()
	rep := &Report{At: now.Truncate(time.Second), DryRun: o.DryRun, Tenants: []string{}, Items: []Item{}}
	tenants, err := o.tenants(ctx)
	if err != nil {
		return nil, err
	}
	rep.Tenants = tenants
	for _, tenant := range tenants {
		items, err := o.sweepTenant(ctx, tenant, now)
		if err != nil {
			return nil, err
		}
		rep.Items = append(rep.Items, items...)
	}
	for _, it := range rep.Items {
		switch it.Outcome {
		case Removed:
			rep.Removed++
		case WouldRemove:
			rep.Would++
		default:
			rep.Kept++
			if it.LockedUntil != nil {
				rep.Locked++
			}
		}
	}
	return rep, nil
}

func (o *Options) tenants(ctx context.Context) ([]string, error) {
	if len(o.Tenants) > 0 {
		for _, t := range o.Tenants {
			if err := store.CheckName("tenant", t); err != nil {
				return nil, fault.Inputf("--tenant: %v", err)
			}
		}
		out := slices.Clone(o.Tenants)
		slices.Sort(out)
		return slices.Compact(out), nil
	}
	c, cancel := context.WithTimeout(ctx, o.timeout())
	defer cancel()
	out, err := o.DB.Tenants(c)
	if err != nil {
		return nil, err
	}
	if tl, ok := o.Store.(store.TenantLister); ok {
		st, err := tl.Tenants(c)
		if err != nil {
			return nil, err
		}
		out = append(out, st...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// standing is what the database says about a tenant's deployments: which are recorded (with their
// manifest's recorded digest), which are protected and why, which are held.
type standing struct {
	manifestSum map[string]string // deployment → recorded SHA-256 of manifest.json ("" if none)
	protected   map[string]string // deployment → why it must stay
	held        map[string]meta.Hold
}

// standingOf reads it in tx.
func standingOf(ctx context.Context, tx meta.Tx) (*standing, error) {
	s := &standing{manifestSum: map[string]string{}, protected: map[string]string{}, held: map[string]meta.Hold{}}
	ds, err := tx.Deployments(ctx, 0) // newest first
	if err != nil {
		return nil, err
	}
	byEnv := map[string]int{}
	byTarget := map[string][]string{}
	var targets []string
	protect := func(dep, why string) {
		if _, ok := s.protected[dep]; !ok {
			s.protected[dep] = why
		}
	}
	rank := func(n int) string {
		if n == 0 {
			return "current"
		}
		return "previous"
	}
	for _, d := range ds {
		s.manifestSum[d.ID] = ""
		if n := byEnv[d.EnvironmentID]; n < 2 {
			protect(d.ID, fmt.Sprintf("the %s deployment of environment %s", rank(n), d.EnvironmentID))
		}
		byEnv[d.EnvironmentID]++
		tasks, err := tx.Tasks(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		for _, k := range tasks {
			if _, seen := byTarget[k.TargetID]; !seen {
				targets = append(targets, k.TargetID)
			}
			if n := len(byTarget[k.TargetID]); n < 2 {
				protect(d.ID, fmt.Sprintf("the %s deployment of target %s", rank(n), k.TargetID))
			}
			byTarget[k.TargetID] = append(byTarget[k.TargetID], d.ID)
		}
		as, err := tx.Artifacts(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if a.Name == manifest.FileName {
				s.manifestSum[d.ID] = a.SHA256
			}
		}
	}
	// What each target was last given (its stickers, newest first): the two newest deployments stay.
	for _, t := range targets {
		ss, err := tx.Stickers(ctx, t)
		if err != nil {
			return nil, err
		}
		var seen []string
		for _, st := range ss {
			if !slices.Contains(seen, st.DeploymentID) {
				seen = append(seen, st.DeploymentID)
			}
		}
		for n, dep := range seen[:min(2, len(seen))] {
			protect(dep, fmt.Sprintf("the %s sticker of target %s", rank(n), t))
		}
	}
	hs, err := tx.Holds(ctx)
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		s.held[h.DeploymentID] = h
	}
	return s, nil
}

// why is the reason a recorded set must stay ("" when it may go).
func (s *standing) why(dep string) string {
	if h, ok := s.held[dep]; ok {
		return fmt.Sprintf("legal hold since %s by %s: %s", h.HeldAt.UTC().Format(time.RFC3339), h.HeldBy, h.Reason)
	}
	if p, ok := s.protected[dep]; ok {
		return "it is " + p
	}
	return ""
}

// candidate is a set whose retention has passed, with what its manifest says.
type candidate struct {
	ref  store.Ref
	man  *manifest.Manifest
	item *Item
}

func (o *Options) sweepTenant(ctx context.Context, tenant string, now time.Time) ([]Item, error) {
	c, cancel := context.WithTimeout(ctx, o.timeout())
	refs, err := o.Store.List(c, tenant)
	cancel()
	if err != nil {
		return nil, err
	}
	var st *standing
	c, cancel = context.WithTimeout(ctx, o.timeout())
	err = o.DB.View(c, tenant, func(tx meta.Tx) (err error) {
		st, err = standingOf(c, tx)
		return err
	})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("retention sweep of %s: %w", tenant, err)
	}
	items := make([]Item, 0, len(refs))
	var cands []candidate
	for _, ref := range refs {
		items = append(items, Item{Tenant: tenant, Deployment: ref.Deployment, Outcome: Kept})
		it := &items[len(items)-1]
		sum, recorded := st.manifestSum[ref.Deployment]
		if !recorded {
			it.Reason = "not recorded in the database (stella fsck reports it): nothing says whether it is in use"
			continue
		}
		m, why := o.readManifest(ctx, ref, sum)
		if why != "" {
			it.Reason = why
			continue
		}
		until, _ := time.Parse(time.RFC3339, m.RetainUntil)
		u := until.UTC()
		it.Tier, it.RetainUntil = m.Environment.Tier, &u
		if !now.After(until) {
			it.Reason = "retained until " + u.Format(time.RFC3339)
			continue
		}
		if why := st.why(ref.Deployment); why != "" {
			it.Reason = "retention ended " + u.Format(time.RFC3339) + ", kept: " + why
			continue
		}
		it.Reason = "retention ended " + u.Format(time.RFC3339) + "; not the current or previous deployment of any target; no legal hold"
		if o.DryRun {
			it.Outcome = WouldRemove
			if lr, ok := o.Store.(store.LockReader); ok {
				c, cancel := context.WithTimeout(ctx, o.timeout())
				lu, err := lr.RemovableAt(c, ref)
				cancel()
				if err == nil && lu.After(now) {
					it.Outcome, it.LockedUntil = Kept, &lu
					it.Reason += "; but the store locks it until " + lu.UTC().Format(time.RFC3339)
				}
			}
			continue
		}
		cands = append(cands, candidate{ref: ref, man: m, item: it})
	}
	if len(cands) > 0 && o.Signer == nil {
		signer, err := o.tenantSigner(ctx, tenant)
		if err != nil {
			return nil, err
		}
		defer signer.Close()
		to := *o
		to.Signer = signer
		o = &to
	}
	for _, cd := range cands {
		if err := o.remove(ctx, cd, now); err != nil {
			return nil, err
		}
	}
	return items, nil
}

// KeyForTenant opens, with KeyFor, the key that signed the tenant's newest evidence packet.
func (o *Options) KeyForTenant(ctx context.Context, tenant string) (*sign.Signer, error) {
	if o.KeyFor == nil {
		return nil, fault.Inputf("--key: required")
	}
	return o.tenantSigner(ctx, tenant)
}

// tenantSigner opens the key that signed the tenant's newest evidence packet.
func (o *Options) tenantSigner(ctx context.Context, tenant string) (*sign.Signer, error) {
	var ref string
	c, cancel := context.WithTimeout(ctx, o.timeout())
	defer cancel()
	err := o.DB.View(c, tenant, func(tx meta.Tx) error {
		es, err := tx.ListEvidence(c, 1)
		if err != nil || len(es) == 0 {
			return err
		}
		p, err := evidence.Parse(es[0].Packet)
		if err != nil {
			return err
		}
		ref = p.SignerKeyRef
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("retention sweep of %s: find its signing key: %w", tenant, err)
	}
	if ref == "" {
		return nil, fault.Inputf("--key: tenant %s has no evidence naming a signing key; give --key", tenant)
	}
	s, err := o.KeyFor(ref)
	if err != nil {
		return nil, fault.Inputf("--key: tenant %s's evidence is signed with %s, which cannot be opened here (%v); give --key", tenant, ref, err)
	}
	return s, nil
}

// readManifest reads and parses the set's manifest and checks it is the recorded one (by SHA-256) and
// names this set; why says what is wrong otherwise (the set is then kept).
func (o *Options) readManifest(ctx context.Context, ref store.Ref, recordedSum string) (*manifest.Manifest, string) {
	c, cancel := context.WithTimeout(ctx, o.timeout())
	defer cancel()
	fsys, err := o.Store.Open(c, ref)
	if err != nil {
		return nil, "cannot be read: " + err.Error()
	}
	raw, err := fs.ReadFile(fsys, manifest.FileName)
	if err != nil {
		return nil, "its manifest cannot be read: " + err.Error()
	}
	sum := sha256.Sum256(raw)
	if got := hex.EncodeToString(sum[:]); recordedSum == "" || got != recordedSum {
		return nil, fmt.Sprintf("its manifest is not the one recorded (sha256 %s, recorded %q): kept until stella fsck says why", got, recordedSum)
	}
	m, err := manifest.Parse(raw)
	if err != nil {
		return nil, "its manifest does not parse: " + err.Error()
	}
	if m.TenantID != ref.Tenant || m.DeploymentID != ref.Deployment {
		return nil, fmt.Sprintf("its manifest names %s/%s", m.TenantID, m.DeploymentID)
	}
	if _, err := time.Parse(time.RFC3339, m.RetainUntil); err != nil {
		return nil, fmt.Sprintf("its manifest's retainUntil %q is not a time", m.RetainUntil)
	}
	return m, ""
}

// errKept ends a removal's transaction without removing: the set turned out to be held or in use.
type errKept struct{ why string }

func (e errKept) Error() string { return e.why }

// lockedTx runs check with the chain head locked, before the packet is stored: holds and removals of a
// tenant append evidence, so they take turns there and a hold put meanwhile is seen.
type lockedTx struct {
	meta.Tx
	check func() error
}

func (t lockedTx) AppendEvidence(ctx context.Context, build func(meta.ChainHead) (meta.Evidence, error)) (meta.Evidence, error) {
	return t.Tx.AppendEvidence(ctx, func(h meta.ChainHead) (meta.Evidence, error) {
		if err := t.check(); err != nil {
			return meta.Evidence{}, err
		}
		return build(h)
	})
}

// remove removes one set in one write transaction: with the chain head locked, the hold is read
// again, the store removes the set, and only then is the set_removed packet
// stored and the transaction committed. A lock the store still holds keeps the set (and records
// nothing).
func (o *Options) remove(ctx context.Context, cd candidate, now time.Time) error {
	it, ref, m := cd.item, cd.ref, cd.man
	draft := evidence.Draft{
		Type: evidence.TypeSetRemoved, TenantID: ref.Tenant, PromotionID: m.PromotionID,
		Clock: o.EvidenceClock,
		Content: evidence.Content{
			Release:     evidence.Release{ID: m.Release.ID, Name: m.Release.Name},
			Environment: evidence.Environment{ID: m.Environment.ID, Name: m.Environment.Name, Tier: m.Environment.Tier},
			Actors:      evidence.Actors{Requester: evidence.Person{ID: o.actor(), Name: o.actor()}},
			Decision: evidence.Decision{Result: "allow", Reasons: []string{
				"retainUntil " + m.RetainUntil + " (signed manifest) has passed: the sweep ran at " + now.Format(time.RFC3339),
				"not the current or previous deployment of any target or environment",
				"no legal hold",
			}},
			Execution: &evidence.Execution{DeploymentJobID: ref.Deployment, ArtifactsCreatedAt: m.CreatedAt, Artifacts: artifactsOf(m)},
			Retention: &evidence.Retention{Action: "remove", Set: ref.String(), Location: o.location(ref), RetainUntil: m.RetainUntil,
				Reason: "retention sweep: retention ended"},
		},
	}
	if sub := m.Subject; sub != nil && sub.Release != nil {
		draft.Content.Release.CreatedAt = sub.Release.CreatedAt
	}
	c, cancel := context.WithTimeout(ctx, o.timeout())
	defer cancel()
	var ev meta.Evidence
	var partial error
	err := o.DB.Update(c, ref.Tenant, func(tx meta.Tx) error {
		partial = nil
		ltx := lockedTx{Tx: tx, check: func() error {
			// Only a hold can newly keep a set: deployments recorded since the sweep read them are
			// newer (their rows carry the real time), so they only push this one further from being
			// current or previous.
			h, err := tx.Hold(c, ref.Deployment)
			if err == nil {
				return errKept{"retention ended " + m.RetainUntil + ", kept: " + (&standing{held: map[string]meta.Hold{ref.Deployment: h}}).why(ref.Deployment)}
			}
			if !errors.Is(err, meta.ErrNotFound) {
				return err
			}
			err = o.Store.Delete(c, ref)
			var le *store.LockedError
			if err != nil && !errors.As(err, &le) && !errors.Is(err, store.ErrNotExist) {
				// Once a set is no longer visible it is removed, even if some of its bytes are left
				// (a local temp dir fsck --repair removes; S3 objects no marker names): record it.
				if _, oerr := o.Store.Open(c, ref); errors.Is(oerr, store.ErrNotExist) {
					partial = err
					return nil
				}
			}
			return err
		}}
		var err error
		ev, err = evidence.Append(c, ltx, o.Signer, draft)
		return err
	})
	var kept errKept
	var locked *store.LockedError
	switch {
	case err == nil:
		it.Outcome, it.EvidenceID = Removed, ev.ID
		if partial != nil {
			it.Reason += "; the set is gone but not all of its bytes were removed: " + partial.Error()
		}
		return nil
	case errors.As(err, &kept):
		it.Reason = kept.why
		return nil
	case errors.As(err, &locked):
		lu := locked.Until.UTC()
		it.LockedUntil = &lu
		it.Reason += "; but the store locks it until " + lu.Format(time.RFC3339) + " (removed by a sweep after that)"
		return nil
	case errors.Is(err, store.ErrNotExist):
		it.Reason = "removed meanwhile by another sweep"
		return nil
	}
	// The set may be gone with its packet not committed: say so, loudly; the next sweep cannot record
	// it again (the set is no longer listed).
	if _, oerr := o.Store.Open(ctx, ref); errors.Is(oerr, store.ErrNotExist) {
		return fmt.Errorf("retention sweep: %s was removed but its set_removed packet could not be recorded: %w", ref, err)
	}
	return fmt.Errorf("retention sweep: remove %s: %w", ref, err)
}

func artifactsOf(m *manifest.Manifest) []evidence.Artifact {
	out := make([]evidence.Artifact, 0, len(m.Artifacts)+1)
	for _, a := range m.Artifacts {
		out = append(out, evidence.Artifact{Type: a.Type, Name: a.Name, ContentHash: "sha256:" + a.SHA256})
	}
	return out
}

// HoldResult is what a hold or a release did.
type HoldResult struct {
	Tenant     string    `json:"tenant"`
	Deployment string    `json:"deployment"`
	Action     string    `json:"action"`
	Reason     string    `json:"reason"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
	EvidenceID string    `json:"evidenceId"`
}

// ParseRef reads TENANT/DEPLOYMENT.
func ParseRef(s string) (store.Ref, error) {
	t, d, ok := strings.Cut(s, "/")
	ref := store.Ref{Tenant: t, Deployment: d}
	if !ok {
		return ref, fault.Inputf("TENANT/DEPLOYMENT: %q has no '/'", s)
	}
	if err := ref.Check(); err != nil {
		return ref, fault.Inputf("TENANT/DEPLOYMENT: %v", err)
	}
	return ref, nil
}

// Hold puts a legal hold on a recorded deployment's set, with a retention_hold packet (and the store's
// own legal hold, where it has one: S3 Object Lock). A deployment that
// is not recorded (or another tenant's) is NotFound, one already held Exists.
func Hold(ctx context.Context, o Options, ref store.Ref, reason string) (*HoldResult, error) {
	return holdOrRelease(ctx, o, ref, reason, true)
}

// Release lifts the hold, with a retention_release packet naming the hold's packet. A deployment
// without a hold is NotFound.
func Release(ctx context.Context, o Options, ref store.Ref, reason string) (*HoldResult, error) {
	return holdOrRelease(ctx, o, ref, reason, false)
}

func holdOrRelease(ctx context.Context, o Options, ref store.Ref, reason string, hold bool) (*HoldResult, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, fault.Inputf("--reason: required (why the set is held or released)")
	}
	if err := ref.Check(); err != nil {
		return nil, fault.Inputf("TENANT/DEPLOYMENT: %v", err)
	}
	if o.Signer == nil {
		return nil, errors.New("retention hold: a signing key is required")
	}
	res := &HoldResult{Tenant: ref.Tenant, Deployment: ref.Deployment, Reason: reason, By: o.actor()}
	c, cancel := context.WithTimeout(ctx, o.timeout())
	defer cancel()
	err := o.DB.Update(c, ref.Tenant, func(tx meta.Tx) error {
		d, err := tx.Deployment(c, ref.Deployment)
		if err != nil {
			return err
		}
		draft := evidence.Draft{TenantID: ref.Tenant, PromotionID: d.PromotionID, Clock: o.EvidenceClock,
			Content: evidence.Content{
				Actors:    evidence.Actors{Requester: evidence.Person{ID: o.actor(), Name: o.actor()}},
				Decision:  evidence.Decision{Result: "allow", Reasons: []string{reason}},
				Execution: &evidence.Execution{DeploymentJobID: d.ID},
				Retention: &evidence.Retention{Set: ref.String(), Location: o.location(ref), Reason: reason},
			}}
		if rel, err := tx.Release(c, d.ReleaseID); err == nil {
			draft.Content.Release = evidence.Release{ID: rel.ID, Name: rel.Name, CreatedAt: rel.CreatedAt}
		}
		if env, err := tx.Environment(c, d.EnvironmentID); err == nil {
			draft.Content.Environment = evidence.Environment{ID: env.ID, Name: env.Name, Tier: env.Tier}
		}
		// The hold as it is now (for a release, the packet it ends goes into the content), and again
		// under the chain head's lock: a hold or release of this set committed in between is refused.
		h, herr := tx.Hold(c, ref.Deployment)
		if err := holdState(ref, hold, h, herr); err != nil {
			return err
		}
		if !hold {
			draft.Content.Retention.HoldEvidenceID = h.EvidenceID
		}
		ltx := lockedTx{Tx: tx, check: func() error {
			h2, err := tx.Hold(c, ref.Deployment)
			if err := holdState(ref, hold, h2, err); err != nil {
				return err
			}
			if h2.EvidenceID != h.EvidenceID {
				return fault.Wrap(fault.Conflict, fmt.Errorf("the hold of %s changed meanwhile; try again", ref))
			}
			// Where the store has a legal hold of its own (S3 Object Lock), it follows Stella's, so
			// that not even someone with delete rights can remove a held set; before the commit, so a
			// refusal leaves no hold recorded.
			if lh, ok := o.Store.(store.LegalHolder); ok {
				if err := lh.SetLegalHold(c, ref, hold); err != nil && !errors.Is(err, store.ErrNotExist) {
					return err
				}
			}
			return nil
		}}
		if hold {
			draft.Type, draft.Content.Retention.Action, res.Action = evidence.TypeRetentionHold, "hold", "hold"
		} else {
			draft.Type, draft.Content.Retention.Action, res.Action = evidence.TypeRetentionRelease, "release", "release"
		}
		// The manifest's retainUntil, when the set is still there, for the record.
		if fsys, err := o.Store.Open(c, ref); err == nil {
			if raw, err := fs.ReadFile(fsys, manifest.FileName); err == nil {
				if m, err := manifest.Parse(raw); err == nil {
					draft.Content.Retention.RetainUntil = m.RetainUntil
					draft.Content.Execution.Artifacts = artifactsOf(m)
				}
			}
		}
		ev, err := evidence.Append(c, ltx, o.Signer, draft)
		if err != nil {
			return err
		}
		res.EvidenceID, res.At = ev.ID, ev.GeneratedAt
		if hold {
			return tx.PutHold(c, meta.Hold{DeploymentID: ref.Deployment, HeldAt: ev.GeneratedAt, HeldBy: o.actor(), Reason: reason, EvidenceID: ev.ID})
		}
		return tx.RemoveHold(c, ref.Deployment)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// holdState refuses a hold of a held set and a release of a set that is not held.
func holdState(ref store.Ref, hold bool, h meta.Hold, err error) error {
	switch {
	case hold && err == nil:
		return fault.Existsf("deployment %s is already held since %s by %s: %s", ref, h.HeldAt.UTC().Format(time.RFC3339), h.HeldBy, h.Reason)
	case errors.Is(err, meta.ErrNotFound):
		if hold {
			return nil
		}
		return fault.NotFoundf("deployment %s has no legal hold", ref)
	}
	return err
}
