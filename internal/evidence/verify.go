package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/sign"
)

// Keys gives the public keys that may have signed with the key reference ref.
type Keys interface {
	Verifiers(ref string) ([]*sign.Verifier, error)
}

// KeySet is the usual Keys: the public keys given (on the command line) and, when Keyring is set, the
// keyring's key of each reference. A signature by a key that is not among them does not verify.
type KeySet struct {
	Public  []*sign.Verifier
	Keyring *sign.Keyring
}

// Verifiers implements Keys.
func (k KeySet) Verifiers(ref string) ([]*sign.Verifier, error) {
	vs := append([]*sign.Verifier(nil), k.Public...)
	if k.Keyring != nil {
		v, err := k.Keyring.Verifier(ref)
		if err != nil && len(vs) == 0 {
			return nil, err
		}
		if err == nil {
			vs = append(vs, v)
		}
	}
	return vs, nil
}

// ClockSkew is how far a packet's generatedAt may precede its predecessor's: packets take their time
// under the chain head's lock, so on one host they are in order; writers on several hosts may disagree
// by their clocks' skew.
const ClockSkew = 2 * time.Minute

// ChainReport is the result of verifying one tenant's chain.
type ChainReport struct {
	Tenant   string          `json:"tenant"`
	Packets  int             `json:"packets"`
	Head     int64           `json:"head"`
	Problems []fault.Problem `json:"problems,omitempty"`
}

// VerifyChain walks the tenant's chain in one consistent read and checks, for every packet: that it
// parses, that the row's copies (id, tenant, sequence, type, hashes) match the signed packet, its
// contentHash, its signature, and that it follows the previous packet (sequence +1 and previousHash =
// the previous packet's hash). Finally the chain head must be the last packet, so a packet removed from
// the end is found too. Every problem names its packet.
func VerifyChain(ctx context.Context, db meta.DB, tenant string, keys Keys) (ChainReport, error) {
	rep := ChainReport{Tenant: tenant}
	err := db.View(ctx, tenant, func(tx meta.Tx) error {
		var prevSeq int64
		var prevHash, prevID string
		var prevAt time.Time
		// Packets are checked on every core in batches (their canonical form, hashes, signature and row
		// copies each on its own); their places in the chain are then checked in order.
		memo := &memoKeys{Keys: keys}
		batch := make([]checked, 0, chainBatch)
		link := func() {
			parallel(len(batch), func(i int) { batch[i].check(tenant, memo) })
			for i := range batch {
				k := &batch[i]
				e := k.e
				rep.Packets++
				name := fmt.Sprintf("evidence %s/%s (sequence %d)", tenant, e.ID, e.Seq)
				add := func(msg, want, got string) {
					rep.Problems = append(rep.Problems, fault.Problem{File: name, Message: msg, Expected: want, Found: got})
				}
				switch {
				case e.Seq != prevSeq+1:
					missing := fmt.Sprintf("sequence %d", prevSeq+1)
					if e.Seq > prevSeq+2 {
						missing = fmt.Sprintf("sequences %d to %d", prevSeq+1, e.Seq-1)
					}
					add(fmt.Sprintf("chain broken: %s missing between %s and this packet", missing, orStart(prevID)), fmt.Sprint(prevSeq+1), fmt.Sprint(e.Seq))
				case e.PrevHash != prevHash:
					add("chain broken: previous hash is not the hash of "+orStart(prevID), prevHash, e.PrevHash)
				}
				if k.herr != nil {
					add("packet is not valid JSON: "+k.herr.Error(), "", "")
					prevSeq, prevHash, prevID = e.Seq, e.PacketHash, e.ID
					continue
				}
				if k.c.hash != e.PacketHash {
					add("packet hash does not match the packet (the packet was altered)", e.PacketHash, k.c.hash)
				}
				for _, p := range k.problems {
					add(p.Message, p.Expected, p.Found)
				}
				if p := k.p; p != nil {
					if !prevAt.IsZero() && p.GeneratedAt.Before(prevAt.Add(-ClockSkew)) {
						add(fmt.Sprintf("generated at %s, before the previous packet %s (%s): packets are appended in time order", p.GeneratedAt.UTC().Format(time.RFC3339), prevID, prevAt.UTC().Format(time.RFC3339)),
							"", "")
					}
					prevAt = p.GeneratedAt
				}
				prevSeq, prevHash, prevID = e.Seq, k.c.hash, e.ID
			}
			batch = batch[:0]
		}
		err := tx.Chain(ctx, func(e meta.Evidence) error {
			batch = append(batch, checked{e: e})
			if len(batch) == chainBatch {
				link()
			}
			return nil
		})
		if err != nil {
			return err
		}
		link()
		head, err := tx.ChainHead(ctx)
		if err != nil {
			return err
		}
		rep.Head = head.Seq
		chainName := fmt.Sprintf("evidence chain of tenant %s", tenant)
		if head.Seq > 0 {
			if why := checkHead(head, tenant, keys); why != "" {
				rep.Problems = append(rep.Problems, fault.Problem{File: chainName, Message: "chain head: " + why})
			}
		}
		if head.Seq != prevSeq || head.Hash != prevHash {
			rep.Problems = append(rep.Problems, fault.Problem{
				File:     chainName,
				Message:  fmt.Sprintf("chain head is at sequence %d but the last packet is %s: packets removed from the end", head.Seq, orStart(prevID)),
				Expected: fmt.Sprintf("%d %s", head.Seq, head.Hash), Found: fmt.Sprintf("%d %s", prevSeq, prevHash),
			})
		}
		return nil
	})
	return rep, err
}

// chainBatch is how many packets VerifyChain holds at once.
const chainBatch = 64

// checked is one packet of a batch and what checking it on its own found.
type checked struct {
	e        meta.Evidence
	c        *canonPacket
	herr     error
	p        *Packet
	problems []fault.Problem
}

func (k *checked) check(tenant string, keys Keys) {
	k.c, k.herr = canonicalizeKnown(k.e.Packet, k.e.PacketHash)
	if k.herr != nil {
		return
	}
	k.p = checkPacket(k.e, k.c, tenant, keys, func(msg, want, got string) {
		k.problems = append(k.problems, fault.Problem{Message: msg, Expected: want, Found: got})
	})
}

// parallel runs f(0) … f(n-1) on every core.
func parallel(n int, f func(int)) {
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	wg.Wait()
}

// memoKeys remembers Keys' answer per key reference for one verification (a keyring reads and parses
// the key's file at every call); safe for concurrent use.
type memoKeys struct {
	Keys
	mu sync.Mutex
	m  map[string]memoAnswer
}

type memoAnswer struct {
	vs  []*sign.Verifier
	err error
}

func (k *memoKeys) Verifiers(ref string) ([]*sign.Verifier, error) {
	k.mu.Lock()
	a, ok := k.m[ref]
	k.mu.Unlock()
	if ok {
		return a.vs, a.err
	}
	vs, err := k.Keys.Verifiers(ref)
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]memoAnswer{}
	}
	k.m[ref] = memoAnswer{vs, err}
	k.mu.Unlock()
	return vs, err
}

// checkHead checks the signed chain head against the head row: its signature, its tenant and that it
// names the row's sequence and hash. A rewound head (the row moved back to an earlier packet) fails here
// because the signed document still names the later packet, or is missing.
func checkHead(head meta.ChainHead, tenant string, keys Keys) string {
	if len(head.Doc) == 0 {
		return fmt.Sprintf("sequence %d carries no signed head document (rewritten, or written before schema version 3)", head.Seq)
	}
	var h Head
	if err := json.Unmarshal(head.Doc, &h); err != nil {
		return "signed head document is not valid JSON"
	}
	if h.TenantID != tenant || h.Sequence != head.Seq || h.Hash != head.Hash {
		return fmt.Sprintf("the head row says sequence %d (%s) but the signed head says tenant %s, sequence %d (%s): the head was moved", head.Seq, head.Hash, h.TenantID, h.Sequence, h.Hash)
	}
	vs, err := keys.Verifiers(h.SignerKeyRef)
	if err != nil || len(vs) == 0 {
		return fmt.Sprintf("no public key for the signed head's signerKeyRef %q", h.SignerKeyRef)
	}
	for _, v := range vs {
		if sign.VerifyJSON(v, head.Doc) == nil {
			return ""
		}
	}
	return fmt.Sprintf("the signed head does not verify (signerKeyRef %q)", h.SignerKeyRef)
}

func orStart(id string) string {
	if id == "" {
		return "the start of the chain"
	}
	return id
}

// checkPacket checks one packet against its row, its content hash and its signature; c is its canonical
// form (canonicalize). It returns the parsed packet (nil when it does not parse).
func checkPacket(e meta.Evidence, c *canonPacket, tenant string, keys Keys, add func(msg, want, got string)) *Packet {
	p, err := c.head, c.headErr
	if err != nil {
		add(err.Error(), "", "")
		return nil
	}
	dep := p.DeploymentJobID()
	for _, c := range []struct{ field, row, packet string }{
		{"id", e.ID, p.ID},
		{"tenantId", tenant, p.TenantID},
		{"sequence", fmt.Sprint(e.Seq), fmt.Sprint(p.Sequence)},
		{"previousHash", e.PrevHash, p.PreviousHash},
		{"type", e.Type, p.Type},
		{"deploymentId", e.DeploymentID, dep},
		{"promotionId", e.PromotionID, p.PromotionID},
		{"generatedAt", e.GeneratedAt.UTC().Format(time.RFC3339Nano), p.GeneratedAt.UTC().Format(time.RFC3339Nano)},
	} {
		if c.row != c.packet {
			add("stored "+c.field+" differs from the signed packet's", c.row, c.packet)
		}
	}
	if ch := c.contentHash; ch == "" {
		add("content is not valid JSON", "", "")
	} else if ch != p.ContentHash {
		add("contentHash does not match the content", p.ContentHash, ch)
	}
	if err := verifySignature(c, p, keys); err != nil {
		add(err.Error(), "", "")
	}
	return p
}

func verifySignature(c *canonPacket, p *Packet, keys Keys) error {
	vs, err := keys.Verifiers(p.SignerKeyRef)
	if err != nil {
		return fmt.Errorf("signature: no public key for signerKeyRef %q: %v", p.SignerKeyRef, err)
	}
	if len(vs) == 0 {
		return fmt.Errorf("signature: no public key given for signerKeyRef %q", p.SignerKeyRef)
	}
	var last error
	for _, v := range vs {
		if last = sign.VerifyPayload(v, c.sig, c.payload); last == nil {
			return checkWindow(keys, v, p)
		}
	}
	if errors.Is(last, sign.ErrBadSignature) && len(vs) > 1 {
		return fmt.Errorf("signature does not verify with any of the %d keys given (signerKeyRef %q)", len(vs), p.SignerKeyRef)
	}
	return fmt.Errorf("signature (signerKeyRef %q): %v", p.SignerKeyRef, last)
}

// VerifyStored checks one stored packet: its row's copies against the signed packet, its packet hash,
// its contentHash and its signature (not its place in the chain: VerifyChain does that).
func VerifyStored(e meta.Evidence, tenant string, keys Keys) error {
	var probs []fault.Problem
	add := func(msg, want, got string) {
		probs = append(probs, fault.Problem{File: fmt.Sprintf("evidence %s/%s", tenant, e.ID), Message: msg, Expected: want, Found: got})
	}
	c, err := canonicalizeKnown(e.Packet, e.PacketHash)
	if err != nil {
		add("packet is not valid JSON: "+err.Error(), "", "")
	} else {
		if c.hash != e.PacketHash {
			add("packet hash does not match the packet (the packet was altered)", e.PacketHash, c.hash)
		}
		checkPacket(e, c, tenant, keys, add)
	}
	if len(probs) > 0 {
		return &fault.Problems{List: probs}
	}
	return nil
}

// Row is the record a packet has (or would have) in the database, its copies read from the packet itself:
// for a packet read from an export or through the API rather than from the database.
func Row(raw []byte) (meta.Evidence, *Packet, error) {
	p, err := Parse(raw)
	if err != nil {
		return meta.Evidence{}, nil, err
	}
	return rowOf(p, raw), p, nil
}

// writtenForm reports whether raw is p exactly as Stella stores a packet: canonical, or indented as
// earlier versions stored it.
func writtenForm(p *Packet, raw []byte) bool {
	indented, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return false
	}
	indented = append(indented, '\n')
	if bytes.Equal(indented, raw) {
		return true
	}
	canonical, err := sign.Canonical(indented)
	return err == nil && bytes.Equal(canonical, raw)
}

func rowOf(p *Packet, raw []byte) meta.Evidence {
	ph, _ := PacketHash(raw)
	return meta.Evidence{ID: p.ID, Seq: p.Sequence, Type: p.Type, DeploymentID: p.DeploymentJobID(), PromotionID: p.PromotionID,
		GeneratedAt: p.GeneratedAt, PacketHash: ph, PrevHash: p.PreviousHash, Packet: raw}
}

// VerifyPacket checks one exported packet on its own: parse, contentHash and signature.
// A packet that does not parse is a verification failure too (exit 3), like every other problem found.
func VerifyPacket(raw []byte, keys Keys) error {
	p, err := Parse(raw)
	if err != nil {
		return &fault.Problems{List: []fault.Problem{{File: "evidence packet", Message: err.Error()}}}
	}
	var probs []fault.Problem
	add := func(msg, want, got string) {
		probs = append(probs, fault.Problem{File: "evidence " + p.ID, Message: msg, Expected: want, Found: got})
	}
	// Alone, a packet has no chain to hold its bytes: they must be exactly those Stella writes (the
	// signature covers the canonical form, which reordered keys or other spacing would keep): its
	// canonical form (packets stored since schema version 10), or the indented form stored before.
	if !writtenForm(p, raw) {
		add("the file is not the packet as written (its keys reordered, spacing changed or fields added)", "", "")
	}
	// An exported packet has no row: its queryable copies are its own.
	if c, err := canonicalize(raw); err != nil {
		add("packet is not valid JSON: "+err.Error(), "", "")
	} else {
		e := rowOf(p, raw)
		e.PacketHash = c.hash
		checkPacket(e, c, p.TenantID, keys, add)
	}
	if len(probs) > 0 {
		return &fault.Problems{List: probs}
	}
	return nil
}
