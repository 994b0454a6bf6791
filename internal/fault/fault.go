// Package fault classifies Stella's errors and maps each class to an exit code and an HTTP status, in one
// table. Packages wrap their errors with a kind; commands and handlers ask the kind.
package fault

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Kind is the class of an error.
type Kind int

const (
	// Operational is the default: I/O, network, storage (exit 1, HTTP 500).
	Operational Kind = iota
	// Input is bad input or usage; the message names the file, line and field, or the flag (exit 2, 400).
	Input
	// Verification means an artifact or signature failed its check (exit 3, 422).
	Verification
	// Exists means a create-only object is already there (exit 1, 409).
	Exists
	// NotFound means the object is absent, or belongs to another tenant (exit 1, 404).
	NotFound
	// Unavailable means a server could not be reached in time (exit 1, 503).
	Unavailable
	// Forbidden means the caller's role may not do this (exit 1, 403).
	Forbidden
	// Unauthenticated means no valid credential was given (exit 1, 401).
	Unauthenticated
	// TooLarge means a request body or input exceeds its limit (exit 2, 413).
	TooLarge
	// Conflict means the request contradicts the state of what it acts on — a promotion that is not
	// approved, an idempotency key reused for another request (exit 1, 409).
	Conflict
)

var table = map[Kind]struct {
	exit   int
	status int
	name   string
}{
	Operational:     {1, http.StatusInternalServerError, "operational"},
	Input:           {2, http.StatusBadRequest, "bad_input"},
	Verification:    {3, http.StatusUnprocessableEntity, "verification_failed"},
	Exists:          {1, http.StatusConflict, "exists"},
	NotFound:        {1, http.StatusNotFound, "not_found"},
	Unavailable:     {1, http.StatusServiceUnavailable, "unavailable"},
	Forbidden:       {1, http.StatusForbidden, "forbidden"},
	Unauthenticated: {1, http.StatusUnauthorized, "unauthenticated"},
	TooLarge:        {2, http.StatusRequestEntityTooLarge, "too_large"},
	Conflict:        {1, http.StatusConflict, "conflict"},
}

// Error is an error with a kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Wrap gives err a kind; nil stays nil.
func Wrap(k Kind, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: k, Err: err}
}

// Inputf is a bad-input error.
func Inputf(format string, args ...any) error {
	return &Error{Kind: Input, Err: fmt.Errorf(format, args...)}
}

// Existsf is a create-only conflict.
func Existsf(format string, args ...any) error {
	return &Error{Kind: Exists, Err: fmt.Errorf(format, args...)}
}

// NotFoundf is an absent object.
func NotFoundf(format string, args ...any) error {
	return &Error{Kind: NotFound, Err: fmt.Errorf(format, args...)}
}

// KindOf returns the kind of err: the outermost kind found, Verification for a *Problems, else Operational.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var p *Problems
	if errors.As(err, &p) {
		return Verification
	}
	return Operational
}

// Is reports whether err is of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// ExitCode is the process exit code for err (0 for nil).
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	return table[KindOf(err)].exit
}

// HTTPStatus is the response status for err (200 for nil).
func HTTPStatus(err error) int {
	if err == nil {
		return http.StatusOK
	}
	return table[KindOf(err)].status
}

// Code is the machine-readable name of err's kind, for JSON error envelopes.
func Code(err error) string { return table[KindOf(err)].name }

// Problem is one verification finding: which file (or object), what was expected, what was found.
type Problem struct {
	File     string `json:"file"`
	Message  string `json:"message"`
	Expected string `json:"expected,omitempty"`
	Found    string `json:"found,omitempty"`
}

func (p Problem) String() string {
	s := p.File + ": " + p.Message
	if p.Expected != "" || p.Found != "" {
		s += fmt.Sprintf(" (expected %s, found %s)", orNone(p.Expected), orNone(p.Found))
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}

// Problems is a failed verification: every problem found, each on its own line.
type Problems struct {
	List []Problem
}

func (p *Problems) Error() string {
	lines := make([]string, len(p.List))
	for i, x := range p.List {
		lines[i] = x.String()
	}
	return strings.Join(lines, "\n")
}
