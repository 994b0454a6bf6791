package resolve

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/stella-ops/stella/internal/fault"
)

// Reason says why a reference could not be resolved.
type Reason int

const (
	// Failed is any other failure: a malformed response, an unexpected status.
	Failed Reason = iota
	// Invalid means the reference itself is malformed.
	Invalid
	// Unknown means the registry has no such repository or tag.
	Unknown
	// NoPlatform means a multi-platform image has no manifest for the requested platform.
	NoPlatform
	// Unauthorized means the registry refused the credentials, or wanted some and none were configured.
	Unauthorized
	// Unreachable means the registry did not answer: down, refusing connections, or slower than the timeout.
	Unreachable
	// Offline means the reference has no digest and offline mode forbids asking a registry.
	Offline
)

// Kind is the fault kind of a reason: what the user must fix in their input is Input (exit 2);
// a registry that cannot be used right now is operational (exit 1).
func (r Reason) Kind() fault.Kind {
	switch r {
	case Invalid, Unknown, NoPlatform, Offline:
		return fault.Input
	case Unauthorized:
		return fault.Unauthenticated
	case Unreachable:
		return fault.Unavailable
	}
	return fault.Operational
}

// Error is the failure to resolve one reference. It carries the reference as the caller gave it, so the
// caller can name the services that use it, and the registry that was asked.
type Error struct {
	Reference string
	Registry  string
	Reason    Reason
	Err       error
	// Services, when the caller sets it, names the Compose services that use the reference.
	Services []string
}

func (e *Error) Error() string {
	// A reference with a line break (or another unprintable character) is quoted, and so is a cause that
	// repeats it, so that the message stays one line per reference.
	subject, cause := oneLine(e.Reference), oneLine(fmt.Sprint(e.Err))
	if len(e.Services) > 0 {
		subject += " (service " + strings.Join(e.Services, ", ") + ")"
	}
	if e.Registry == "" {
		return fmt.Sprintf("resolve %s: %s", subject, cause)
	}
	return fmt.Sprintf("resolve %s: registry %s: %s", subject, e.Registry, cause)
}

func oneLine(s string) string {
	if strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return strconv.Quote(s)
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errors is every reference that failed in one Resolve call, sorted by reference. Its fault kind is the
// most operational of its members: a registry that is down is reported as such even when another
// reference was also misspelled.
type Errors struct {
	List []*Error
}

func (e *Errors) Error() string {
	lines := make([]string, len(e.List))
	for i, x := range e.List {
		lines[i] = x.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each failure to errors.As and errors.Is.
func (e *Errors) Unwrap() []error {
	out := make([]error, len(e.List))
	for i, x := range e.List {
		out[i] = x
	}
	return out
}

// kind ranks the members' kinds: Unavailable, Unauthenticated, Operational, then Input.
func (e *Errors) kind() fault.Kind {
	rank := map[fault.Kind]int{fault.Unavailable: 4, fault.Unauthenticated: 3, fault.Operational: 2, fault.Input: 1}
	best := fault.Input
	for _, x := range e.List {
		if k := x.Reason.Kind(); rank[k] > rank[best] {
			best = k
		}
	}
	return best
}

// asFault sorts the failures and wraps them with their kind; nil for none.
func asFault(list []*Error) error {
	if len(list) == 0 {
		return nil
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Reference < list[j].Reference })
	es := &Errors{List: list}
	return fault.Wrap(es.kind(), es)
}

// ErrOffline is the cause of every failure in offline mode.
var ErrOffline = errors.New("no digest, and --offline forbids asking a registry")
