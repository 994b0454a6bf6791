// Package drift compares the version sticker a target should carry (expected: the one the orchestrator
// wrote there, or the set's template) with the one found on it (actual: what read-sticker returns), and
// says whether what runs there has drifted: the sticker is missing, corrupted (not a sticker, or its
// signature does not verify), or names another release or other image digests.
package drift

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/sticker"
	"github.com/stella-ops/stella/internal/verify"
)

// The drift types of the spec's DriftCheck.
const (
	Missing   = "missing"
	Corrupted = "corrupted"
	Mismatch  = "mismatch"
)

// Result is the spec's DriftCheck, with every difference listed besides the first (Details).
type Result struct {
	TargetID        string          `json:"targetId"`
	ExpectedSticker json.RawMessage `json:"expectedSticker"`
	// ActualSticker is the sticker found, as found; null when it is missing or is not a JSON sticker.
	ActualSticker json.RawMessage `json:"actualSticker"`
	DriftDetected bool            `json:"driftDetected"`
	DriftType     string          `json:"driftType,omitempty"`
	Details       *Difference     `json:"details,omitempty"`
	// Differences lists every difference of a mismatch (Details is the first); for missing and
	// corrupted it holds Details alone.
	Differences []Difference `json:"differences,omitempty"`
	// Reason says in words why the actual sticker is corrupted or missing.
	Reason string `json:"reason,omitempty"`

	release    string
	components int
}

// Difference is one differing field. For component digests ExpectedDigest and ActualDigest are the
// digests; for release.id they are the release ids; for a missing or corrupted sticker (field "sticker"
// or "signature") they are the SHA-256 of the sticker files ("" for a file that is absent).
type Difference struct {
	ExpectedDigest string `json:"expectedDigest"`
	ActualDigest   string `json:"actualDigest"`
	Field          string `json:"field"`
}

func (d Difference) String() string {
	return fmt.Sprintf("%s: expected %s, found %s", d.Field, orNone(d.ExpectedDigest), orNone(d.ActualDigest))
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// Input is one sticker file: its name (for messages) and bytes. Data nil with Missing set means the file
// is not there.
type Input struct {
	Name    string
	Data    []byte
	Missing bool
}

// ReadFile reads a sticker file; a file that does not exist is an Input with Missing set, not an error.
func ReadFile(path string) (Input, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Input{Name: path, Missing: true}, nil
	}
	if err != nil {
		return Input{}, fmt.Errorf("read sticker %s: %w", path, err)
	}
	return Input{Name: path, Data: data}, nil
}

// CheckFiles reads both files and calls Check. targetID, when not empty, overrides the expected
// sticker's deployment.targetId.
func CheckFiles(expectedPath, actualPath, targetID string, keys verify.Keys) (*Result, error) {
	exp, err := ReadFile(expectedPath)
	if err != nil {
		return nil, err
	}
	if exp.Missing {
		return nil, fault.Inputf("--expected %s: no such file", expectedPath)
	}
	act, err := ReadFile(actualPath)
	if err != nil {
		return nil, err
	}
	return Check(exp, act, targetID, keys)
}

// Check compares the actual sticker with the expected one. The expected sticker must parse and its
// signature must verify with keys, else the error is bad input (kind fault.Input): a drift check
// against an untrusted expectation would mean nothing. Everything about the actual sticker is a result.
func Check(expected, actual Input, targetID string, keys verify.Keys) (*Result, error) {
	return (&Checker{Keys: keys}).Check(expected, actual, targetID)
}

// Checker checks drift with one set of trusted keys, remembering (up to Max, default 100,000, for at
// most MaxAge, default an hour — a key revoked in the keyring is honoured within that time) the
// sticker bytes whose signature verified, so that a schedule that checks every target again and again
// verifies each issued sticker about once. Safe for concurrent use.
type Checker struct {
	Keys   verify.Keys
	Max    int
	MaxAge time.Duration

	mu       sync.Mutex
	verified map[[32]byte]*sticker.Sticker
	since    time.Time
}

// trusted parses a sticker and verifies its signature, or finds it done before for the same bytes.
// A parse failure is errParse's; a signature failure is returned as is.
func (c *Checker) trusted(data []byte) (*sticker.Sticker, error) {
	sum := sha256.Sum256(data)
	c.mu.Lock()
	age := c.MaxAge
	if age == 0 {
		age = time.Hour
	}
	if time.Since(c.since) > age {
		c.verified, c.since = nil, time.Now()
	}
	st, ok := c.verified[sum]
	c.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := sticker.Parse(data)
	if err != nil {
		return nil, parseError{err}
	}
	if _, err := verify.Document(data, c.Keys); err != nil {
		return st, err
	}
	c.mu.Lock()
	max := c.Max
	if max == 0 {
		max = 100000
	}
	if c.verified == nil || len(c.verified) >= max {
		c.verified = map[[32]byte]*sticker.Sticker{} // bounded: start over rather than grow
	}
	c.verified[sum] = st
	c.mu.Unlock()
	return st, nil
}

type parseError struct{ error }

// Check is the package's Check with c's keys and memory of verified stickers.
func (c *Checker) Check(expected, actual Input, targetID string) (*Result, error) {
	exp, err := c.trusted(expected.Data)
	if err != nil {
		if pe, ok := err.(parseError); ok {
			err = pe.error
		}
		return nil, fault.Inputf("--expected %s: %v", expected.Name, err)
	}
	if targetID == "" {
		targetID = exp.Deployment.TargetID
	}
	// (It parsed as a sticker, so it is JSON.)
	r := &Result{TargetID: targetID, ExpectedSticker: json.RawMessage(expected.Data), release: exp.Release.ID, components: len(exp.Release.Components)}
	if actual.Missing {
		r.drift(Missing, "no sticker at "+actual.Name, Difference{Field: "sticker", ExpectedDigest: "sha256:" + checksum.Sum(expected.Data)})
		return r, nil
	}
	if bytes.Equal(expected.Data, actual.Data) {
		// The very bytes verified above (the common case, checked for every target on a schedule):
		// the same signature, tenant, target and release.
		if targetID == "" || exp.Deployment.TargetID == targetID {
			r.ActualSticker = r.ExpectedSticker
			return r, nil
		}
	}
	expSum, actSum := "sha256:"+checksum.Sum(expected.Data), "sha256:"+checksum.Sum(actual.Data)
	act, err := c.trusted(actual.Data)
	if pe, ok := err.(parseError); ok {
		err = pe.error
	} else if err != nil {
		r.ActualSticker = asJSON(actual.Data)
		r.drift(Corrupted, actual.Name+": "+err.Error(), Difference{Field: "signature", ExpectedDigest: expSum, ActualDigest: actSum})
		return r, nil
	}
	if err != nil {
		r.drift(Corrupted, actual.Name+": "+err.Error(), Difference{Field: "sticker", ExpectedDigest: expSum, ActualDigest: actSum})
		return r, nil
	}
	r.ActualSticker = json.RawMessage(actual.Data)
	// A sticker of another tenant or another target says nothing about this target, however well signed.
	var ds []Difference
	if exp.TenantID != act.TenantID {
		ds = append(ds, Difference{Field: "tenantId", ExpectedDigest: exp.TenantID, ActualDigest: act.TenantID})
	}
	if targetID != "" && act.Deployment.TargetID != targetID {
		ds = append(ds, Difference{Field: "deployment.targetId", ExpectedDigest: targetID, ActualDigest: act.Deployment.TargetID})
	}
	if ds = append(ds, Compare(exp, act)...); len(ds) > 0 {
		r.drift(Mismatch, "", ds...)
	}
	return r, nil
}

func (r *Result) drift(typ, reason string, ds ...Difference) {
	r.DriftDetected, r.DriftType, r.Reason = true, typ, reason
	r.Details = &ds[0]
	r.Differences = ds
}

// asJSON is the document as JSON to embed in the result; nil (null) when it is not JSON.
func asJSON(data []byte) json.RawMessage {
	var v json.RawMessage
	if err := json.Unmarshal(data, &v); err != nil {
		return nil
	}
	return v
}

// Compare lists the differences between what two stickers say should run: the release id, then each
// expected component's digest (in the expected sticker's order; a component the actual sticker lacks
// has an empty actual digest), then components only the actual sticker has.
func Compare(expected, actual *sticker.Sticker) []Difference {
	var ds []Difference
	if expected.Release.ID != actual.Release.ID {
		ds = append(ds, Difference{Field: "release.id", ExpectedDigest: expected.Release.ID, ActualDigest: actual.Release.ID})
	}
	got := make(map[string]string, len(actual.Release.Components))
	for _, c := range actual.Release.Components {
		got[c.Name] = c.Digest
	}
	seen := make(map[string]bool, len(expected.Release.Components))
	for _, c := range expected.Release.Components {
		seen[c.Name] = true
		d, ok := got[c.Name]
		switch {
		case !ok:
			ds = append(ds, Difference{Field: "release.components[" + c.Name + "]", ExpectedDigest: c.Digest})
		case d != c.Digest:
			ds = append(ds, Difference{Field: "release.components[" + c.Name + "].digest", ExpectedDigest: c.Digest, ActualDigest: d})
		}
	}
	for _, c := range actual.Release.Components {
		if !seen[c.Name] {
			ds = append(ds, Difference{Field: "release.components[" + c.Name + "]", ActualDigest: c.Digest})
		}
	}
	return ds
}

// Summary is the result in one line.
func (r *Result) Summary() string {
	target := r.TargetID
	if target == "" {
		target = "(no target id)"
	}
	if !r.DriftDetected {
		return fmt.Sprintf("no drift: target %s carries release %s with the expected digests of its %d components", target, r.release, r.components)
	}
	s := fmt.Sprintf("drift (%s) on target %s: ", r.DriftType, target)
	switch r.DriftType {
	case Mismatch:
		s += r.Details.String()
		if n := len(r.Differences) - 1; n > 0 {
			s += fmt.Sprintf(" (and %d more)", n)
		}
	default:
		s += r.Reason
	}
	return s
}
