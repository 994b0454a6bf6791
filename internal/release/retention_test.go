package release_test

import (
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
