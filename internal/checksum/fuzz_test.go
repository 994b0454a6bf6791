package checksum

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// FuzzParse: no checksums file, however malformed, makes Parse panic; a refusal names the line; every
// file it accepts lists each name once with a lowercase hex SHA-256, and round-trips: Format of the
// entries parses back to the same entries, sorted, and formatting that again gives the same bytes.
func FuzzParse(f *testing.F) {
	a, b := Sum([]byte("a")), Sum([]byte("b"))
	f.Add([]byte(a + "  compose.stella.lock.yml\n" + b + "  manifest.json\n"))
	f.Add([]byte(a + " *binary-mode\n"))
	f.Add([]byte(a + "  x"))
	f.Add([]byte(a + "  x\n" + a + "  x\n"))                  // a name twice
	f.Add([]byte(strings.ToUpper(a) + "  x\n"))               // uppercase hex
	f.Add([]byte(a + "  x\r\n"))                              // CRLF: the CR belongs to the name
	f.Add([]byte(a + "  ../../etc/passwd\n"))                 // a path: Parse keeps it, verify refuses it
	f.Add([]byte(a[:63] + "g  x\n"))                          // not hex
	f.Add([]byte("\n"))                                       // an empty line
	f.Add([]byte(""))                                         // nothing
	f.Add([]byte(a + "  x\n\n"))                              // a trailing empty line
	f.Add([]byte(a + "\tx\n"))                                // a tab instead of two spaces
	f.Add([]byte(a + "  name with spaces and ünïcödé\x00\n")) // odd bytes in a name
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("refusal %q does not name the line", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, e := range entries {
			if len(e.SHA256) != 64 || strings.ToLower(e.SHA256) != e.SHA256 || e.Name == "" || strings.Contains(e.Name, "\n") {
				t.Fatalf("accepted entry %+v", e)
			}
			if seen[e.Name] {
				t.Fatalf("accepted %q twice", e.Name)
			}
			seen[e.Name] = true
		}
		out := Format(entries)
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Format output does not parse: %v\n%q", err, out)
		}
		want := slices.Clone(entries)
		slices.SortFunc(want, func(x, y Entry) int { return strings.Compare(x.Name, y.Name) })
		if !slices.Equal(again, want) {
			t.Fatalf("round trip: %v, want %v", again, want)
		}
		if !bytes.Equal(Format(again), out) {
			t.Fatalf("Format is not stable")
		}
	})
}
