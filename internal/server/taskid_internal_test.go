package server

import (
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/release"
)

// A job's task id is a safe name however long the job and target ids are, the same on every ask, and
// different for another target.
func TestJobTaskID(t *testing.T) {
	if got := jobTaskID("deploy", "dep-1", "tgt-1"); got != "deploy-dep-1-tgt-1" {
		t.Errorf("short ids: %q", got)
	}
	job, target := strings.Repeat("j", 128), strings.Repeat("t", 128)
	a, b, c := jobTaskID("deploy", job, target), jobTaskID("deploy", job, target), jobTaskID("deploy", job, target+"x")
	if !release.IsSafeName(a) || a != b || a == c || !strings.HasPrefix(a, "deploy-") {
		t.Errorf("long ids: %q %q %q", a, b, c)
	}
}
