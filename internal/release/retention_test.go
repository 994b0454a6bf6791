package release_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/release"
)

// Retention counts calendar units: seven years end on the same calendar day seven years later (a leap
// day rolls to 1 March, never earlier), 30 and 90 days are days; never a day early.
func TestRetainUntilCalendar(t *testing.T) {
	d := func(s string) time.Time {
		t.Helper()
		x, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	for _, c := range []struct{ tier, from, want string }{
		{"production", "2026-01-10T14:30:00Z", "2033-01-10T14:30:00Z"},
		{"production", "2026-12-01T00:00:00Z", "2033-12-01T00:00:00Z"}, // 7*365 days would end 2033-11-29
		{"production", "2024-02-29T12:00:00Z", "2031-03-01T12:00:00Z"}, // no 29 February in 2031
		{"production", "2025-03-01T00:00:00Z", "2032-03-01T00:00:00Z"}, // across the leap day of 2028 and 2032
		{"staging", "2028-02-01T00:00:00Z", "2028-05-01T00:00:00Z"},    // 90 days across 29 February 2028
		{"development", "2027-02-15T08:00:00+02:00", "2027-03-17T06:00:00Z"},
	} {
		from := d(c.from)
		got := release.RetainUntil(c.tier, from)
		if !got.Equal(d(c.want)) {
			t.Errorf("%s from %s: %s, want %s", c.tier, c.from, got.Format(time.RFC3339), c.want)
		}
		if c.tier == "production" && got.Before(from.AddDate(7, 0, 0)) {
			t.Errorf("%s from %s ends before seven calendar years", c.tier, c.from)
		}
	}
}

func TestFieldErrPointer(t *testing.T) {
	for field, want := range map[string]string{"components[1].digest": "/components/1/digest", "id": "/id", "": "", "a/b": "/a~1b", "x[0][2]": "/x/0/2"} {
		if got := (&release.FieldErr{Field: field}).Pointer(); got != want {
			t.Errorf("%q → %q, want %q", field, got, want)
		}
	}
}

// An environment may lengthen its tier's retention, never shorten it: a retention that could end before
// the tier's on any start day is refused at load (naming the field); a longer one sets RetainUntil.
func TestEnvironmentRetentionOverride(t *testing.T) {
	env := func(tier, retention string) string {
		return "id: env-1\nname: e\ntier: " + tier + "\nretention: " + retention + "\n"
	}
	for _, c := range []struct{ tier, retention, err string }{
		{"production", "6y", "shorter than the production tier's 7y"},
		{"production", "83m", "shorter"},          // 6 years 11 months
		{"production", "2556d", "shorter"},        // 7*365+1: short when the span holds two leap days
		{"development", "1m", "shorter"},          // February has 28 days
		{"staging", "3m", "shorter"},              // Feb+Mar+Apr = 89 days
		{"staging", "89d", "shorter"},             //
		{"production", "7x", "not a retention"},   //
		{"production", "d7", "not a retention"},   //
		{"production", "1d1y", "not a retention"}, // units in order
		{"production", "7y", ""},
		{"production", "10y", ""},
		{"production", "2557d", ""}, // 7 years hold at most two leap days
		{"development", "31d", ""},
		{"development", "2m", ""}, // at least 59 days
		{"staging", "90d", ""},
		{"staging", "1y", ""},
	} {
		_, err := release.ParseEnvironment("environment.yaml", []byte(env(c.tier, c.retention)))
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s %s: %v", c.tier, c.retention, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "environment.yaml:4") || !strings.Contains(err.Error(), "retention")):
			t.Errorf("%s %s: error %v, want one naming environment.yaml:4 retention and %q", c.tier, c.retention, err, c.err)
		}
	}
	from := time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
	e, err := release.ParseEnvironment("environment.yaml", []byte(env("production", "10y")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.RetainUntil(from), time.Date(2034, 3, 1, 12, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("10y from %s: %s, want %s", from, got, want)
	}
	// An override that got past the load (a stored document) still never ends before the tier.
	short := &release.Environment{Tier: "production", Retention: "1d"}
	if got := short.RetainUntil(from); !got.Equal(release.RetainUntil("production", from)) {
		t.Errorf("1d override of production: %s", got)
	}
	none := &release.Environment{Tier: "staging"}
	if got := none.RetainUntil(from); !got.Equal(release.RetainUntil("staging", from)) {
		t.Errorf("no override: %s", got)
	}
}
