// Package verifytest builds, for tests, sets whose every checksum and signature holds around content a
// test chooses (a lock Compose refuses, say): what only a holder of the signing key could make, so what
// verify must judge by the content alone.
package verifytest

import (
	"bytes"
	"fmt"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/sign"
)

// Resign puts lock in place of the set's lock — its x-stella.checksums.sha256 recomputed when it has
// that line — and signs the set again with s: the manifest's entry for the lock, the manifest, the
// checksums and their signature. files maps the set's file names to their bytes and is changed in place.
func Resign(files map[string][]byte, lock []byte, s *sign.Signer) error {
	if lines := lockfile.ChecksumLines(lock, 1); lines != nil {
		_, sum := lockfile.SelfChecksum(lock)
		l := lines[0]
		lock = bytes.Join([][]byte{lock[:l.Value], []byte(`"` + sum + `"`), lock[l.End:]}, nil)
	}
	files[lockfile.FileName] = lock
	m, err := manifest.Parse(files[manifest.FileName])
	if err != nil {
		return err
	}
	found := false
	for i, a := range m.Artifacts {
		if a.Name == lockfile.FileName {
			m.Artifacts[i].Size, m.Artifacts[i].SHA256, found = int64(len(lock)), checksum.Sum(lock), true
		}
	}
	if !found {
		return fmt.Errorf("the manifest lists no %s", lockfile.FileName)
	}
	if files[manifest.FileName], err = m.Sign(s); err != nil {
		return err
	}
	entries, err := checksum.Parse(files[checksum.FileName])
	if err != nil {
		return err
	}
	for i, e := range entries {
		data, ok := files[e.Name]
		if !ok {
			return fmt.Errorf("%s lists %s, which the set does not hold", checksum.FileName, e.Name)
		}
		entries[i].SHA256 = checksum.Sum(data)
	}
	sums := checksum.Format(entries)
	sig, err := s.SignBase64(sums)
	if err != nil {
		return err
	}
	files[checksum.FileName], files[checksum.SigFileName] = sums, []byte(sig+"\n")
	return nil
}

// Refused is lock with a top-level key Compose's schema refuses inserted before its services: still
// YAML, still self-contained, never loaded by compose-go.
func Refused(lock []byte) []byte {
	return bytes.Replace(lock, []byte("\nservices:\n"), []byte("\nnot-compose: 1\nservices:\n"), 1)
}
