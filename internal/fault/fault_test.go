package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestExitCodes(t *testing.T) {
	cases := []struct {
		err  error
		exit int
		http int
	}{
		{nil, 0, 200},
		{errors.New("disk"), 1, 500},
		{Inputf("release.yaml:3: id: required"), 2, 400},
		{fmt.Errorf("wrapped: %w", Inputf("x")), 2, 400},
		{&Problems{List: []Problem{{File: "a", Message: "b"}}}, 3, 422},
		{Existsf("deployment acme/d1 already exists"), 1, 409},
		{NotFoundf("no such deployment"), 1, 404},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.exit {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.exit)
		}
		if got := HTTPStatus(c.err); got != c.http {
			t.Errorf("HTTPStatus(%v) = %d, want %d", c.err, got, c.http)
		}
	}
}

func TestProblemsOneLineEach(t *testing.T) {
	p := &Problems{List: []Problem{
		{File: "manifest.json", Message: "sha256 mismatch", Expected: "aa", Found: "bb"},
		{File: "extra.txt", Message: "present but not listed in checksums.sha256"},
	}}
	want := "manifest.json: sha256 mismatch (expected aa, found bb)\nextra.txt: present but not listed in checksums.sha256"
	if p.Error() != want {
		t.Fatalf("got %q", p.Error())
	}
}
