// Package storetest is the conformance suite every store.Store backend runs: one call to Run from a
// one-line test in the backend's package.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/store"
)

// Run checks that the stores newStore makes behave as store.Store says. newStore is called once per
// subtest and must return an empty store that the subtest alone uses.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"CreateOpenRead", testCreateOpenRead},
		{"List", testList},
		{"CreateOnly", testCreateOnly},
		{"ConcurrentCreate", testConcurrentCreate},
		{"BadNames", testBadNames},
		{"BadSets", testBadSets},
		{"OpenMissing", testOpenMissing},
		{"TenantIsolation", testTenantIsolation},
		{"CanceledContext", testCanceledContext},
		{"CreateRetained", testCreateRetained},
		{"Tenants", testTenants},
		{"Delete", testDelete},
		{"DeleteRetained", testDeleteRetained},
		{"ConcurrentDelete", testConcurrentDelete},
		{"Streamed", testStreamed},
		{"StreamFailures", testStreamFailures},
		{"StreamCanceled", testStreamCanceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// Set returns a set of files whose bytes depend on seed: text, binary with every byte value, and empty.
func Set(seed string) []store.File {
	bin := make([]byte, 256*3)
	for i := range bin {
		bin[i] = byte(i)
	}
	bin = append(bin, seed...)
	return []store.File{
		{Name: "compose.stella.lock.yml", Data: []byte("services:\n  api:\n    image: example/api@sha256:" + seed + "\n")},
		{Name: "manifest.json", Data: []byte(`{"seed":"` + seed + `"}`)},
		{Name: "blob.bin", Data: bin},
		{Name: "empty", Data: nil},
	}
}

// Check asserts that the set ref in s holds exactly files, byte for byte, and that its fs.FS is sound.
func Check(t *testing.T, s store.Store, ref store.Ref, files []store.File) {
	t.Helper()
	fsys, err := s.Open(context.Background(), ref)
	if err != nil {
		t.Fatalf("Open(%s): %v", ref, err)
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
		got, err := fs.ReadFile(fsys, f.Name)
		if err != nil {
			t.Errorf("ReadFile(%s, %s): %v", ref, f.Name, err)
			continue
		}
		want := f.Data
		if f.Streamed() {
			want = readAll(t, f)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("ReadFile(%s, %s) = %d bytes %.40q, want %d bytes %.40q", ref, f.Name, len(got), got, len(want), want)
		}
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatalf("ReadDir(%s): %v", ref, err)
	}
	var listed []string
	for _, e := range entries {
		listed = append(listed, e.Name())
	}
	slices.Sort(names)
	if !slices.Equal(listed, names) {
		t.Errorf("ReadDir(%s) = %q, want %q", ref, listed, names)
	}
	if err := fstest.TestFS(fsys, names...); err != nil {
		t.Errorf("fstest.TestFS(%s): %v", ref, err)
	}
}

func ctx() context.Context { return context.Background() }

func testCreateOpenRead(t *testing.T, s store.Store) {
	ref := store.Ref{Tenant: "acme", Deployment: "dep-1"}
	files := Set("one")
	if err := s.Create(ctx(), ref, files); err != nil {
		t.Fatalf("Create(%s): %v", ref, err)
	}
	Check(t, s, ref, files)
	fsys, err := s.Open(ctx(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ReadFile(fsys, "absent"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(absent) error = %v, want fs.ErrNotExist", err)
	}
	for _, name := range []string{"../dep-1/manifest.json", "/etc/passwd", "./manifest.json"} {
		if _, err := fs.ReadFile(fsys, name); err == nil {
			t.Errorf("ReadFile(%q) succeeded, want an error", name)
		}
	}
}

func testList(t *testing.T, s store.Store) {
	refs, err := s.List(ctx(), "acme")
	if err != nil {
		t.Fatalf("List of an empty store: %v", err)
	}
	if len(refs) != 0 {
		t.Fatalf("List of an empty store = %v, want none", refs)
	}
	ids := []string{"d-2", "A.1", "d-10", "b_3", "d-1"}
	for _, id := range ids {
		if err := s.Create(ctx(), store.Ref{Tenant: "acme", Deployment: id}, Set(id)); err != nil {
			t.Fatal(err)
		}
	}
	refs, err = s.List(ctx(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Ref{}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	for _, id := range sorted {
		want = append(want, store.Ref{Tenant: "acme", Deployment: id})
	}
	if !slices.Equal(refs, want) {
		t.Errorf("List = %v, want %v", refs, want)
	}
	for _, id := range ids {
		Check(t, s, store.Ref{Tenant: "acme", Deployment: id}, Set(id))
	}
}

func testCreateOnly(t *testing.T, s store.Store) {
	ref := store.Ref{Tenant: "acme", Deployment: "dep-1"}
	first := Set("first")
	if err := s.Create(ctx(), ref, first); err != nil {
		t.Fatal(err)
	}
	second := []store.File{{Name: "manifest.json", Data: []byte("second")}, {Name: "extra", Data: []byte("x")}}
	err := s.Create(ctx(), ref, second)
	checkExists(t, err, ref)
	Check(t, s, ref, first)
}

func checkExists(t *testing.T, err error, ref store.Ref) {
	t.Helper()
	if !errors.Is(err, store.ErrExist) {
		t.Fatalf("second Create(%s) error = %v, want store.ErrExist", ref, err)
	}
	if !fault.Is(err, fault.Exists) {
		t.Errorf("second Create(%s) error kind = %v, want fault.Exists", ref, fault.KindOf(err))
	}
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("second Create(%s) error does not match fs.ErrExist", ref)
	}
	if want := "deployment " + ref.String() + " already exists"; err.Error() != want {
		t.Errorf("second Create(%s) error = %q, want %q", ref, err, want)
	}
}

func testConcurrentCreate(t *testing.T, s store.Store) {
	const n = 16
	ref := store.Ref{Tenant: "acme", Deployment: "race"}
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.Create(ctx(), ref, Set(fmt.Sprint("writer-", i)))
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both created %s", winner, i, ref)
		case err == nil:
			winner = i
		default:
			checkExists(t, err, ref)
		}
	}
	if winner < 0 {
		t.Fatalf("no writer created %s; errors: %v", ref, errs)
	}
	Check(t, s, ref, Set(fmt.Sprint("writer-", winner)))
	refs, err := s.List(ctx(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(refs, []store.Ref{ref}) {
		t.Errorf("List after the race = %v, want [%v]", refs, ref)
	}
}

// BadNames are names every store refuses, each with why.
var BadNames = map[string]string{
	"":                        "empty",
	".":                       "dot",
	"..":                      "dot-dot",
	".hidden":                 "leading dot",
	"a/b":                     "slash",
	"../escape":               "parent path",
	"a\\b":                    "backslash",
	"a\x00b":                  "NUL",
	"a b":                     "space",
	"café":                    "non-ASCII",
	"x:y":                     "colon",
	strings.Repeat("a", 129):  "129 characters",
	"a\n":                     "newline",
	"%2e%2e":                  "percent-encoding",
	"$(id)":                   "shell",
	"~user":                   "tilde",
	strings.Repeat("é", 64):   "multi-byte",
	"a*":                      "glob",
	"tenant/../other-tenant":  "traversal",
	"/absolute":               "absolute path",
	"name\u202egnp.exe":       "bidi override",
	"null\x00":                "trailing NUL",
	"quote\"":                 "quote",
	"semi;colon":              "semicolon",
	"CON?":                    "question mark",
	"a\tb":                    "tab",
	"C:drive":                 "drive letter",
	"ok..but/slash":           "dots and slash",
	"....":                    "only dots",
	"\u00a0nbsp":              "non-breaking space",
	"emoji\U0001F600":         "emoji",
	strings.Repeat("-", 200):  "long dashes",
	"trailing/":               "trailing slash",
	"a|b":                     "pipe",
	"<tag>":                   "angle brackets",
	"back`tick":               "backtick",
	"hash#frag":               "hash",
	"q?x=1":                   "query",
	"a+b":                     "plus",
	"a=b":                     "equals",
	"a,b":                     "comma",
	"a@b":                     "at",
	"a'b":                     "apostrophe",
	"{brace}":                 "braces",
	"[bracket]":               "brackets",
	"a!b":                     "bang",
	"a&b":                     "ampersand",
	"a^b":                     "caret",
	"a(b)":                    "parentheses",
	"ü":                       "umlaut",
	"\x7f":                    "DEL",
	"\r":                      "carriage return",
	"a\x1bb":                  "escape",
	strings.Repeat("x", 1000): "1000 characters",
}

// GoodNames are names every store accepts.
var GoodNames = []string{"a", "A", "0", "-", "_", "a.b", "a..b", "x-y_z.1", "rel-7f3a", strings.Repeat("z", 128)}

func testBadNames(t *testing.T, s store.Store) {
	good := store.Ref{Tenant: "acme", Deployment: "dep-1"}
	for name, why := range BadNames {
		for _, c := range []struct {
			what string
			ref  store.Ref
			file string
		}{
			{"tenant", store.Ref{Tenant: name, Deployment: good.Deployment}, "f"},
			{"deployment id", store.Ref{Tenant: good.Tenant, Deployment: name}, "f"},
			{"file name", good, name},
		} {
			err := s.Create(ctx(), c.ref, []store.File{{Name: "ok", Data: []byte("ok")}, {Name: c.file, Data: []byte("x")}})
			checkBadName(t, "Create", why, c.what, err)
			if c.what == "file name" {
				continue
			}
			_, err = s.Open(ctx(), c.ref)
			checkBadName(t, "Open", why, c.what, err)
			if c.what == "tenant" {
				_, err = s.List(ctx(), name)
				checkBadName(t, "List", why, c.what, err)
			}
		}
	}
	if refs, err := s.List(ctx(), good.Tenant); err != nil || len(refs) != 0 {
		t.Errorf("after refused creates, List = %v, %v; want nothing", refs, err)
	}
	for _, name := range GoodNames {
		ref := store.Ref{Tenant: name, Deployment: name}
		files := []store.File{{Name: name, Data: []byte(name)}}
		if err := s.Create(ctx(), ref, files); err != nil {
			t.Errorf("Create with good name %q: %v", name, err)
			continue
		}
		Check(t, s, ref, files)
	}
}

func checkBadName(t *testing.T, op, why, what string, err error) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s with a bad %s (%s) succeeded", op, what, why)
	case !errors.Is(err, store.ErrBadName):
		t.Errorf("%s with a bad %s (%s): error %q is not store.ErrBadName", op, what, why, err)
	case !fault.Is(err, fault.Input):
		t.Errorf("%s with a bad %s (%s): error kind %v, want fault.Input", op, what, why, fault.KindOf(err))
	case !strings.Contains(err.Error(), what+" "):
		t.Errorf("%s with a bad %s (%s): error %q does not name the %s", op, what, why, err, what)
	}
}

func testBadSets(t *testing.T, s store.Store) {
	ref := store.Ref{Tenant: "acme", Deployment: "dep-1"}
	for why, files := range map[string][]store.File{
		"no files":                          nil,
		"duplicate":                         {{Name: "a", Data: []byte("1")}, {Name: "a", Data: []byte("2")}},
		"a streamed file without a SHA-256": {{Name: "a", Size: 1, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("x")), nil }}},
		"a streamed file with an uppercase SHA-256": {{Name: "a", Size: 1, SHA256: strings.Repeat("A", 64), Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("x")), nil }}},
		"a streamed file with Data too":             {{Name: "a", Data: []byte("x"), Size: 1, SHA256: strings.Repeat("a", 64), Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("x")), nil }}},
	} {
		err := s.Create(ctx(), ref, files)
		if !errors.Is(err, store.ErrBadSet) || !fault.Is(err, fault.Input) {
			t.Errorf("Create with %s: error %v, want store.ErrBadSet of kind Input", why, err)
		}
	}
	if _, err := s.Open(ctx(), ref); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("Open after refused creates: error %v, want store.ErrNotExist", err)
	}
}

func testOpenMissing(t *testing.T, s store.Store) {
	ref := store.Ref{Tenant: "acme", Deployment: "nope"}
	for _, setup := range []string{"empty store", "tenant has other sets"} {
		if setup == "tenant has other sets" {
			if err := s.Create(ctx(), store.Ref{Tenant: "acme", Deployment: "other"}, Set("x")); err != nil {
				t.Fatal(err)
			}
		}
		fsys, err := s.Open(ctx(), ref)
		if err == nil {
			t.Fatalf("%s: Open(%s) = %v, want an error", setup, ref, fsys)
		}
		checkNotExist(t, err, ref)
	}
}

func checkNotExist(t *testing.T, err error, ref store.Ref) {
	t.Helper()
	if !errors.Is(err, store.ErrNotExist) {
		t.Errorf("Open(%s) error = %v, want store.ErrNotExist", ref, err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(%s) error does not match fs.ErrNotExist", ref)
	}
	if !fault.Is(err, fault.NotFound) {
		t.Errorf("Open(%s) error kind = %v, want fault.NotFound", ref, fault.KindOf(err))
	}
	if want := "deployment " + ref.String() + " does not exist"; err.Error() != want {
		t.Errorf("Open(%s) error = %q, want %q", ref, err, want)
	}
}

func testTenantIsolation(t *testing.T, s store.Store) {
	a := store.Ref{Tenant: "tenant-a", Deployment: "dep-1"}
	b := store.Ref{Tenant: "tenant-b", Deployment: "dep-1"}
	if err := s.Create(ctx(), a, Set("a")); err != nil {
		t.Fatal(err)
	}
	_, err := s.Open(ctx(), b)
	checkNotExist(t, err, b)
	if refs, err := s.List(ctx(), b.Tenant); err != nil || len(refs) != 0 {
		t.Errorf("List(%s) = %v, %v; want nothing", b.Tenant, refs, err)
	}
	// The same deployment id in another tenant is another set.
	if err := s.Create(ctx(), b, Set("b")); err != nil {
		t.Fatalf("Create(%s) beside %s: %v", b, a, err)
	}
	Check(t, s, a, Set("a"))
	Check(t, s, b, Set("b"))
	for _, r := range []store.Ref{a, b} {
		refs, err := s.List(ctx(), r.Tenant)
		if err != nil || !slices.Equal(refs, []store.Ref{r}) {
			t.Errorf("List(%s) = %v, %v; want [%v]", r.Tenant, refs, err, r)
		}
	}
}

func testCanceledContext(t *testing.T, s store.Store) {
	c, cancel := context.WithCancel(ctx())
	cancel()
	ref := store.Ref{Tenant: "acme", Deployment: "dep-1"}
	if err := s.Create(c, ref, Set("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Create with a canceled context: error %v, want context.Canceled", err)
	}
	if _, err := s.Open(ctx(), ref); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("Open after a canceled Create: error %v, want store.ErrNotExist", err)
	}
	if refs, err := s.List(ctx(), ref.Tenant); err != nil || len(refs) != 0 {
		t.Errorf("List after a canceled Create = %v, %v; want nothing", refs, err)
	}
}

// testCreateRetained: store.CreateRetained (with a retain-until time, which a store without retention
// ignores) creates a set exactly as Create does: readable, listed, create-only.
func testCreateRetained(t *testing.T, s store.Store) {
	ref := store.Ref{Tenant: "acme", Deployment: "retained"}
	until := time.Now().Add(time.Hour)
	if err := store.CreateRetained(ctx(), s, ref, Set("r"), until); err != nil {
		t.Fatalf("CreateRetained(%s): %v", ref, err)
	}
	Check(t, s, ref, Set("r"))
	checkExists(t, store.CreateRetained(ctx(), s, ref, Set("again"), until), ref)
	checkExists(t, s.Create(ctx(), ref, Set("again")), ref)
	Check(t, s, ref, Set("r"))
	if err := store.CreateRetained(ctx(), s, store.Ref{Tenant: "acme", Deployment: "bad"}, nil, until); !errors.Is(err, store.ErrBadSet) {
		t.Errorf("CreateRetained with no files: %v, want store.ErrBadSet", err)
	}
	if refs, err := s.List(ctx(), "acme"); err != nil || !slices.Equal(refs, []store.Ref{ref}) {
		t.Errorf("List = %v, %v; want [%v]", refs, err, ref)
	}
}

// testTenants runs for a backend that is a store.TenantLister: every tenant with a set, sorted, once.
func testTenants(t *testing.T, s store.Store) {
	tl, ok := s.(store.TenantLister)
	if !ok {
		t.Skip("the backend is not a store.TenantLister")
	}
	got, err := tl.Tenants(ctx())
	if err != nil {
		t.Fatalf("Tenants of an empty store: %v", err)
	}
	if got == nil || len(got) != 0 {
		t.Fatalf("Tenants of an empty store = %#v, want an empty list", got)
	}
	for _, r := range []store.Ref{{Tenant: "zeta", Deployment: "d1"}, {Tenant: "acme", Deployment: "d2"}, {Tenant: "acme", Deployment: "d1"}, {Tenant: "_b-1.x", Deployment: "d1"}} {
		if err := s.Create(ctx(), r, Set(r.String())); err != nil {
			t.Fatal(err)
		}
	}
	got, err = tl.Tenants(ctx())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"_b-1.x", "acme", "zeta"}; !slices.Equal(got, want) {
		t.Errorf("Tenants = %q, want %q", got, want)
	}
}

// testDelete: a deleted set is gone from Open and List, whole; deleting it again, an absent set or
// another tenant's is ErrNotExist; bad names are ErrBadName; the id may be created again afterwards and
// its neighbours are untouched.
func testDelete(t *testing.T, s store.Store) {
	ref := store.Ref{Tenant: "acme", Deployment: "dep-1"}
	keep := store.Ref{Tenant: "acme", Deployment: "dep-2"}
	other := store.Ref{Tenant: "beta", Deployment: "dep-1"}
	for _, r := range []store.Ref{ref, keep, other} {
		if err := s.Create(ctx(), r, Set(r.String())); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx(), ref); err != nil {
		t.Fatalf("Delete(%s): %v", ref, err)
	}
	_, err := s.Open(ctx(), ref)
	checkNotExist(t, err, ref)
	if refs, err := s.List(ctx(), "acme"); err != nil || !slices.Equal(refs, []store.Ref{keep}) {
		t.Errorf("List after Delete = %v, %v; want [%v]", refs, err, keep)
	}
	Check(t, s, keep, Set(keep.String()))
	Check(t, s, other, Set(other.String()))
	checkNotExist(t, s.Delete(ctx(), ref), ref)
	absent := store.Ref{Tenant: "acme", Deployment: "never"}
	checkNotExist(t, s.Delete(ctx(), absent), absent)
	// The same id in another tenant is not this tenant's to delete.
	if err := s.Delete(ctx(), store.Ref{Tenant: "gamma", Deployment: "dep-2"}); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("Delete of gamma/dep-2 (acme has dep-2): %v, want ErrNotExist", err)
	}
	Check(t, s, keep, Set(keep.String()))
	for _, bad := range []store.Ref{{Tenant: "../acme", Deployment: "dep-2"}, {Tenant: "acme", Deployment: ".."}, {Tenant: "acme", Deployment: ""}} {
		if err := s.Delete(ctx(), bad); !errors.Is(err, store.ErrBadName) {
			t.Errorf("Delete(%q): %v, want ErrBadName", bad.String(), err)
		}
	}
	Check(t, s, keep, Set(keep.String()))
	c, cancel := context.WithCancel(ctx())
	cancel()
	if err := s.Delete(c, keep); err == nil {
		t.Error("Delete with a canceled context succeeded")
	}
	Check(t, s, keep, Set(keep.String()))
	// Created again after it was deleted: a new set, nothing of the old one.
	if err := s.Create(ctx(), ref, Set("new")); err != nil {
		t.Fatalf("Create(%s) after Delete: %v", ref, err)
	}
	Check(t, s, ref, Set("new"))
	if lc, ok := s.(store.LeftoverCleaner); ok {
		if ls, err := lc.Leftovers(ctx()); err != nil || len(ls) != 0 {
			t.Errorf("Leftovers after Delete = %v, %v; want none", ls, err)
		}
	}
}

// testDeleteRetained: a set created with a retention its backend enforces (store.Retaining) is refused
// with ErrLocked and left whole; a backend without retention deletes it (the caller decides).
func testDeleteRetained(t *testing.T, s store.Store) {
	ref := store.Ref{Tenant: "acme", Deployment: "held"}
	until := time.Now().Add(time.Hour)
	if err := store.CreateRetained(ctx(), s, ref, Set("h"), until); err != nil {
		t.Fatal(err)
	}
	err := s.Delete(ctx(), ref)
	if _, retaining := s.(store.Retaining); !retaining {
		if err != nil {
			t.Fatalf("Delete(%s) on a store without retention: %v", ref, err)
		}
		return
	}
	var le *store.LockedError
	if !errors.Is(err, store.ErrLocked) || !errors.As(err, &le) || le.Until.Before(until.Add(-time.Second)) || fault.KindOf(err) != fault.Conflict {
		t.Fatalf("Delete(%s) of a locked set: %v, want a *store.LockedError until %v", ref, err, until)
	}
	Check(t, s, ref, Set("h"))
}

// testConcurrentDelete: several Deletes of one set at once remove it once; the others see ErrNotExist
// (or, where the backend's listing raced, a nil error); nothing is left.
func testConcurrentDelete(t *testing.T, s store.Store) {
	ref := store.Ref{Tenant: "acme", Deployment: "dep-1"}
	if err := s.Create(ctx(), ref, Set("x")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Delete(ctx(), ref)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrNotExist):
			t.Errorf("concurrent Delete: %v", err)
		}
	}
	if ok == 0 {
		t.Error("no concurrent Delete succeeded")
	}
	_, err := s.Open(ctx(), ref)
	checkNotExist(t, err, ref)
	if lc, ok := s.(store.LeftoverCleaner); ok {
		if ls, err := lc.Leftovers(ctx()); err != nil || len(ls) != 0 {
			t.Errorf("Leftovers after concurrent Deletes = %v, %v; want none", ls, err)
		}
	}
}
