// Package checksum reads and writes checksums.sha256 in the format of sha256sum ("HEX  NAME" lines,
// sorted by name) and names its detached signature file.
package checksum

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// File names in an artifact set.
const (
	FileName    = "checksums.sha256"
	SigFileName = "checksums.sha256.sig"
)

// Entry is one line.
type Entry struct {
	Name   string
	SHA256 string
}

// Sum is the lowercase hex SHA-256 of data.
func Sum(data []byte) string {
	d := sha256.Sum256(data)
	return hex.EncodeToString(d[:])
}

// Format writes entries sorted by name.
func Format(entries []Entry) []byte {
	s := slices.Clone(entries)
	slices.SortFunc(s, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	var b bytes.Buffer
	for _, e := range s {
		fmt.Fprintf(&b, "%s  %s\n", e.SHA256, e.Name)
	}
	return b.Bytes()
}

// Parse reads checksums.sha256. It accepts sha256sum's text ("  ") and binary (" *") separators.
func Parse(data []byte) ([]Entry, error) {
	var out []Entry
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if len(line) < 67 || (line[64:66] != "  " && line[64:66] != " *") {
			return nil, fmt.Errorf("line %d is not \"SHA256  NAME\"", i+1)
		}
		sum, name := line[:64], line[66:]
		if _, err := hex.DecodeString(sum); err != nil || strings.ToLower(sum) != sum {
			return nil, fmt.Errorf("line %d: %q is not a lowercase hex SHA-256", i+1, sum)
		}
		if seen[name] {
			return nil, fmt.Errorf("line %d: %s listed twice", i+1, name)
		}
		seen[name] = true
		out = append(out, Entry{Name: name, SHA256: sum})
	}
	return out, nil
}
