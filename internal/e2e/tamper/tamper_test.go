// Package tamper is the tamper campaign of issue 14 as a test: every file of a set (a workflow set, so
// the script files are there too), every way of changing it — flip bytes, truncate, append, reorder a
// JSON document's keys, swap its signature with another set's, change its signerKeyRef, replace it by a
// symlink — and a whole foreign set copied into place. Every case must be detected, with the file named.
package tamper_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/verify"
)

type set map[string][]byte

func generate(t *testing.T, s *sign.Signer, tenant, id string) set {
	t.Helper()
	res, err := quickstart.Generate(context.Background(), t.TempDir(), s, tenant, id, time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), "prod-web-01")
	if err != nil {
		t.Fatal(err)
	}
	out := set{}
	for _, f := range res.Files {
		out[f.Name] = f.Data
	}
	return out
}

func write(t *testing.T, dir string, s set) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for n, b := range s {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// reorder writes a JSON object with its top-level keys in reverse order (the same document to a JCS
// signature, other bytes to a checksum).
func reorder(b []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(keys)))
	var buf bytes.Buffer
	buf.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			buf.WriteString(",")
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteString(":")
		buf.Write(m[k])
	}
	buf.WriteString("}")
	return buf.Bytes()
}

func setField(b []byte, field string, v any) []byte {
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	if _, ok := m[field]; !ok {
		return nil
	}
	m[field] = v
	out, _ := json.MarshalIndent(m, "", "  ")
	return out
}

func TestTamperCampaign(t *testing.T) {
	kr := sign.Keyring{Dir: t.TempDir()}
	s, err := kr.Generate("stella/signing/tamper", sign.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	other, err := kr.Generate("stella/signing/other", sign.EdDSA)
	if err != nil {
		t.Fatal(err)
	}
	orig := generate(t, s, "acme", "d1")
	older := generate(t, s, "acme", "d0")
	foreign := generate(t, s, "globex", "d1")
	keys := verify.Keys{Given: []*sign.Verifier{s.Verifier()}}
	root := t.TempDir()
	check := func(name, file string, mutate func(dir string)) bool {
		dir := filepath.Join(root, name, "acme", "d1")
		write(t, dir, orig)
		mutate(dir)
		res, err := verify.SetAt(os.DirFS(dir), keys, "acme", "d1")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return false
		}
		if res.Valid {
			t.Errorf("%s: the tampered set verifies", name)
			return false
		}
		msg := (&fault.Problems{List: res.Problems}).Error()
		if file != "" && !strings.Contains(msg, file) {
			t.Errorf("%s: detected, but %s is not named: %s", name, file, msg)
			return false
		}
		return true
	}
	total, caught := 0, 0
	run := func(name, file string, mutate func(dir string)) {
		total++
		if check(name, file, mutate) {
			caught++
		}
	}
	names := make([]string, 0, len(orig))
	for n := range orig {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		data := orig[n]
		for i := 0; i <= 8; i++ {
			off := min(i*len(data)/8, len(data)-1)
			run(fmt.Sprintf("flip %s @%d", n, off), n, func(dir string) {
				b := bytes.Clone(data)
				b[off] ^= 0x20
				_ = os.WriteFile(filepath.Join(dir, n), b, 0o644)
			})
		}
		run("truncate "+n, n, func(dir string) { _ = os.WriteFile(filepath.Join(dir, n), data[:len(data)/2], 0o644) })
		run("append to "+n, n, func(dir string) { _ = os.WriteFile(filepath.Join(dir, n), append(bytes.Clone(data), '\n', 'x'), 0o644) })
		run("empty "+n, n, func(dir string) { _ = os.WriteFile(filepath.Join(dir, n), nil, 0o644) })
		run("remove "+n, n, func(dir string) { _ = os.Remove(filepath.Join(dir, n)) })
		outside := filepath.Join(root, "outside-"+n)
		_ = os.WriteFile(outside, data, 0o644)
		run("symlink "+n, n, func(dir string) {
			_ = os.Remove(filepath.Join(dir, n))
			_ = os.Symlink(outside, filepath.Join(dir, n))
		})
		if r := reorder(data); r != nil {
			run("reorder keys of "+n, n, func(dir string) { _ = os.WriteFile(filepath.Join(dir, n), r, 0o644) })
		}
		if b := setField(data, "signerKeyRef", other.Ref); b != nil {
			run("signerKeyRef of "+n, n, func(dir string) { _ = os.WriteFile(filepath.Join(dir, n), b, 0o644) })
		}
		var theirs map[string]any
		if json.Unmarshal(older[n], &theirs) == nil && theirs["signature"] != nil {
			if b := setField(data, "signature", theirs["signature"]); b != nil {
				run("signature of "+n+" swapped with another set's", n, func(dir string) { _ = os.WriteFile(filepath.Join(dir, n), b, 0o644) })
			}
		}
	}
	run("sig of checksums swapped with another set's", "checksums.sha256", func(dir string) {
		_ = os.WriteFile(filepath.Join(dir, "checksums.sha256.sig"), older["checksums.sha256.sig"], 0o644)
	})
	run("extra file", "extra.txt", func(dir string) { _ = os.WriteFile(filepath.Join(dir, "extra.txt"), []byte("x"), 0o644) })
	run("a subdirectory", "sub", func(dir string) { _ = os.Mkdir(filepath.Join(dir, "sub"), 0o755) })
	run("another tenant's set copied into place", "manifest.json", func(dir string) {
		_ = os.RemoveAll(dir)
		write(t, dir, foreign)
	})
	run("an older set of the tenant copied into place", "manifest.json", func(dir string) {
		_ = os.RemoveAll(dir)
		write(t, dir, older)
	})
	run("a set signed by another key", "checksums.sha256", func(dir string) {
		_ = os.RemoveAll(dir)
		write(t, dir, generate(t, other, "acme", "d1"))
	})
	t.Logf("tamper campaign: %d of %d cases detected, each naming the file", caught, total)
	if caught != total || total < 100 {
		t.Errorf("%d of %d cases detected", caught, total)
	}
}
