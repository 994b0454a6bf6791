package connect_test

import (
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/meta/connect"
)

// A password never survives Redact, wherever the URL or DSN carries it.
func TestRedact(t *testing.T) {
	for _, raw := range []string{
		"postgres://stella:s3cret@db.internal:5432/stella?sslmode=disable",
		"postgres://stella@db.internal/stella?password=s3cret&sslmode=require",
		"host=db.internal user=stella password=s3cret dbname=stella",
		"host=db.internal password = 's3 cret' dbname=stella",
	} {
		got := connect.Redact(raw)
		if strings.Contains(got, "s3cret") || strings.Contains(got, "s3 cret") || !strings.Contains(got, "xxxxx") {
			t.Errorf("Redact(%q) = %q", raw, got)
		}
	}
	if got := connect.Redact("sqlite:///var/lib/stella/stella.db"); got != "sqlite:///var/lib/stella/stella.db" {
		t.Errorf("sqlite URL changed: %q", got)
	}
}
