// Package verify proves that an artifact set is exactly what was generated: every checksum, the lock
// file's own checksum, the manifest's list of artifacts, and every signature, against public keys given
// by the caller or found in a keyring by each document's signerKeyRef. Every problem is collected; none
// stops the others from being checked.
package verify

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/sign"
)

// Keys are the public keys a set may be signed with. With Given set, only those keys are trusted;
// otherwise each document's signerKeyRef is looked up in Keyring.
type Keys struct {
	Given   []*sign.Verifier
	Keyring *sign.Keyring
	// Trust, when set, is used instead of both and judges each signature by its key's window (trust.go).
	Trust Trust
}

// Result is a verification's outcome; it prints as JSON.
type Result struct {
	Valid        bool            `json:"valid"`
	Files        []FileResult    `json:"files"`
	Signer       string          `json:"signerKeyRef,omitempty"`
	Algorithm    string          `json:"signatureAlgorithm,omitempty"`
	KeyID        string          `json:"keyId,omitempty"`
	DeploymentID string          `json:"deploymentId,omitempty"`
	TenantID     string          `json:"tenantId,omitempty"`
	Problems     []fault.Problem `json:"problems"`
}

// FileResult is one file's state.
type FileResult struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	OK     bool   `json:"ok"`
}

// Err returns the result as an error: nil when valid, else *fault.Problems.
func (r *Result) Err() error {
	if r.Valid {
		return nil
	}
	return &fault.Problems{List: r.Problems}
}

type checker struct {
	fsys  fs.FS
	keys  Keys
	opts  Options
	res   *Result
	files map[string]*file
	bad   map[string]bool
	// man is manifest.json parsed (nil when missing or unparsable; manifest() reports which).
	man    *manifest.Manifest
	manErr error
}

func (c *checker) problem(file, msg, expected, found string) {
	c.res.Problems = append(c.res.Problems, fault.Problem{File: file, Message: msg, Expected: expected, Found: found})
	c.bad[file] = true
}

// file is one regular file of the set, read once: its size and SHA-256, and its bytes when the check
// parses it (the signed documents, checksums, the lock and its env file). Any other file — a deployment
// script of any size — is hashed while it streams through one buffer and never held in memory.
type file struct {
	data []byte
	size int64
	sum  string
}

// parsed reports whether a check reads the file's content (not only its size and digest).
func parsed(name string) bool {
	switch name {
	case checksum.FileName, checksum.SigFileName, manifest.FileName, lockfile.FileName, lockfile.EnvFileName:
		return true
	}
	return strings.HasSuffix(name, ".json")
}

// content returns the bytes of a parsed file.
func (c *checker) content(name string) ([]byte, bool) {
	f, ok := c.files[name]
	if !ok {
		return nil, false
	}
	return f.data, true
}

// read reads and hashes one file (see file).
func read(fsys fs.FS, name string) (*file, error) {
	if parsed(name) {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		return &file{data: data, size: int64(len(data)), sum: checksum.Sum(data)}, nil
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sum, n, err := checksum.Stream(f)
	if err != nil {
		return nil, err
	}
	return &file{size: n, sum: sum}, nil
}

// hashAll reads and hashes the named files on every core, each once, and returns at once; wait gives
// the files and the errors, in the order of names.
func hashAll(fsys fs.FS, names []string) (wait func() ([]*file, []error)) {
	files, errs := make([]*file, len(names)), make([]error, len(names))
	next := make(chan int, len(names))
	for i := range names {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(names)) {
		wg.Go(func() {
			for i := range next {
				files[i], errs[i] = read(fsys, names[i])
			}
		})
	}
	return func() ([]*file, []error) {
		wg.Wait()
		return files, errs
	}
}

// Options change how a set is verified, never what a valid set is.
type Options struct {
	// LoadCache, when set, is asked whether compose-go's loader is known to accept the set's lock read
	// with its stella.env (lockfile.LoadKey of the bytes read here, the bytes whose checksums and
	// signatures are checked): then the lock is not loaded again, but still checked to be self-contained.
	// Verification only asks; generation alone remembers (see generate.Request.LoadCache).
	LoadCache LoadMemo
}

// LoadMemo is the read side of the memo of locks that load (lockfile.DirCache is one).
type LoadMemo interface {
	Valid(key string) bool
}

// Set verifies the artifact set in fsys (the set's directory). The error is for failures to read at
// all; a set that does not verify gives a Result with Valid false.
func Set(fsys fs.FS, keys Keys) (*Result, error) { return SetWith(fsys, keys, Options{}) }

// SetWith is Set with options.
func SetWith(fsys fs.FS, keys Keys, o Options) (*Result, error) {
	c, err := check(fsys, keys, o)
	if err != nil {
		return nil, err
	}
	return c.res, nil
}

func check(fsys fs.FS, keys Keys, o Options) (*checker, error) {
	c := &checker{fsys: fsys, keys: keys, opts: o, res: &Result{Files: []FileResult{}, Problems: []fault.Problem{}}, files: map[string]*file{}, bad: map[string]bool{}}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read set: %w", err)
	}
	var listed []string
	for _, e := range entries {
		if e.IsDir() {
			c.problem(e.Name(), "unexpected directory in the set", "", "")
			continue
		}
		if !e.Type().IsRegular() {
			// A symlink could point anywhere outside the set; a set holds regular files only.
			c.problem(e.Name(), "not a regular file ("+e.Type().String()+"): a set holds regular files only, never symlinks", "", "")
			continue
		}
		listed = append(listed, e.Name())
	}
	// The files only hashed (scripts, of any size) stream on the other cores while the parsed ones are
	// read here and the compose-go load of the lock, the costliest check, starts beside them.
	var parsedNames, streamed []string
	for _, n := range listed {
		if parsed(n) {
			parsedNames = append(parsedNames, n)
		} else {
			streamed = append(streamed, n)
		}
	}
	wait := hashAll(fsys, streamed)
	readErr := map[string]error{}
	for _, n := range parsedNames {
		f, err := read(fsys, n)
		if err != nil {
			readErr[n] = err
			continue
		}
		c.files[n] = f
	}
	if data, ok := c.content(manifest.FileName); ok {
		c.man, c.manErr = manifest.Parse(data)
	}
	composing := make(chan composed, 1)
	lock, hasLock := c.content(lockfile.FileName)
	env, hasEnv := c.content(lockfile.EnvFileName)
	secrets := c.secretNames()
	go func() { composing <- composeProblems(lock, hasLock, env, hasEnv, secrets, o.LoadCache) }()
	files, errs := wait()
	for i, n := range streamed {
		if errs[i] != nil {
			readErr[n] = errs[i]
			continue
		}
		c.files[n] = files[i]
	}
	var names []string
	for _, n := range listed {
		if err, bad := readErr[n]; bad {
			c.problem(n, "cannot read: "+err.Error(), "", "")
			continue
		}
		names = append(names, n)
	}
	sums := c.checksums()
	c.signatures(sums)
	c.manifest()
	comp := <-composing
	c.lock(comp.parsed)
	for _, p := range comp.problems {
		c.problem(p.File, p.Message, "", "")
	}
	slices.Sort(names)
	for _, n := range names {
		f := c.files[n]
		c.res.Files = append(c.res.Files, FileResult{Name: n, Size: f.size, SHA256: f.sum, OK: !c.bad[n]})
	}
	c.res.Valid = len(c.res.Problems) == 0
	return c, nil
}

// checksums checks checksums.sha256 against every file and returns its entries.
func (c *checker) checksums() []checksum.Entry {
	data, ok := c.content(checksum.FileName)
	if !ok {
		c.problem(checksum.FileName, "missing", "", "")
		return nil
	}
	entries, err := checksum.Parse(data)
	if err != nil {
		c.problem(checksum.FileName, "unparsable: "+err.Error(), "", "")
		return nil
	}
	listed := map[string]bool{checksum.FileName: true, checksum.SigFileName: true}
	for _, e := range entries {
		listed[e.Name] = true
		f, ok := c.files[e.Name]
		if !ok {
			c.problem(e.Name, "listed in "+checksum.FileName+" but missing", "", "")
			continue
		}
		if got := f.sum; got != e.SHA256 {
			c.problem(e.Name, "sha256 does not match "+checksum.FileName, e.SHA256, got)
		}
	}
	for n := range c.files {
		if !listed[n] {
			c.problem(n, "present but not listed in "+checksum.FileName, "", "")
		}
	}
	return entries
}

// verifiers returns the keys to check a document signed under ref with.
func (c *checker) verifiers(ref string) ([]*sign.Verifier, error) {
	if c.keys.Trust != nil {
		return c.keys.Trust.Verifiers(ref)
	}
	if len(c.keys.Given) > 0 {
		return c.keys.Given, nil
	}
	if c.keys.Keyring == nil {
		return nil, errors.New("no public key given and no keyring")
	}
	if ref == "" {
		return nil, errors.New("no signerKeyRef to look up in the keyring")
	}
	v, err := c.keys.Keyring.Verifier(ref)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", ref, err)
	}
	return []*sign.Verifier{v}, nil
}

func (c *checker) signatures(entries []checksum.Entry) {
	sums, ok := c.content(checksum.FileName)
	sigData, hasSig := c.content(checksum.SigFileName)
	if !hasSig {
		c.problem(checksum.SigFileName, "missing", "", "")
	}
	// The manifest names the key; its own signature is checked in manifest().
	ref := ""
	if m := c.man; m != nil {
		ref = m.SignerKeyRef
		c.res.Signer, c.res.Algorithm, c.res.DeploymentID, c.res.TenantID = m.SignerKeyRef, m.SignatureAlgorithm, m.DeploymentID, m.TenantID
	}
	if ok && hasSig {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sigData)))
		if err != nil {
			c.problem(checksum.SigFileName, "not base64", "", "")
		} else if string(sigData) != base64.StdEncoding.EncodeToString(raw)+"\n" {
			// The file is not listed in checksums.sha256 (it signs it), so its exact form is checked here:
			// any change to it, even one a base64 decoder would forgive, is a change to the set.
			c.problem(checksum.SigFileName, "not as written: standard base64 and one newline expected", "", "")
		} else if vs, err := c.verifiers(ref); err != nil {
			c.problem(checksum.SigFileName, "cannot check the signature of "+checksum.FileName+": "+err.Error(), "", "")
		} else if v := first(vs, func(v *sign.Verifier) bool { return v.Verify(sums, raw) == nil }); v == nil {
			c.problem(checksum.FileName, "signature in "+checksum.SigFileName+" does not verify with "+keyNames(vs), "", "")
			c.bad[checksum.SigFileName] = true
		} else {
			c.res.KeyID = v.KeyID()
			c.window(checksum.FileName, v, nil)
		}
	}
	// Every signed JSON document of the set.
	for _, e := range entries {
		if !strings.HasSuffix(e.Name, ".json") {
			continue
		}
		doc, ok := c.content(e.Name)
		if !ok {
			continue
		}
		f, payload, err := sign.SignedParts(doc) // one read for the signed members and the payload
		if err != nil {
			// What SignedParts refuses, the two-step reading words: unparsable, or not verifying.
			if f, err = sign.JSONSignature(doc); err != nil {
				c.problem(e.Name, "unparsable JSON: "+err.Error(), "", "")
				continue
			}
			payload = nil
		}
		if f.Signature == "" {
			c.problem(e.Name, "not signed", "", "")
			continue
		}
		vs, err := c.verifiers(f.SignerKeyRef)
		if err != nil {
			c.problem(e.Name, "cannot check the signature: "+err.Error(), "", "")
			continue
		}
		verifies := func(v *sign.Verifier) bool {
			if payload == nil {
				return sign.VerifyJSON(v, doc) == nil
			}
			return sign.VerifyPayload(v, f, payload) == nil
		}
		if v := first(vs, verifies); v == nil {
			c.problem(e.Name, fmt.Sprintf("signature (%s, %s) does not verify with %s", f.SignatureAlgorithm, f.SignerKeyRef, keyNames(vs)), "", "")
		} else {
			c.window(e.Name, v, doc)
		}
	}
}

func (c *checker) manifest() {
	if _, ok := c.files[manifest.FileName]; !ok {
		c.problem(manifest.FileName, "missing", "", "")
		return
	}
	if c.manErr != nil {
		c.problem(manifest.FileName, "unparsable: "+c.manErr.Error(), "", "")
		return
	}
	m := c.man
	inManifest := map[string]bool{}
	var total int64
	for _, a := range m.Artifacts {
		inManifest[a.Name] = true
		total += a.Size
		f, ok := c.files[a.Name]
		if !ok {
			c.problem(a.Name, "listed in "+manifest.FileName+" but missing", "", "")
			continue
		}
		if f.size != a.Size {
			c.problem(a.Name, "size does not match "+manifest.FileName, strconv.FormatInt(a.Size, 10), strconv.FormatInt(f.size, 10))
		}
		if got := f.sum; got != a.SHA256 {
			c.problem(a.Name, "sha256 does not match "+manifest.FileName, a.SHA256, got)
		}
	}
	if total != m.TotalSize {
		c.problem(manifest.FileName, "totalSize is not the sum of the artifacts' sizes", strconv.FormatInt(total, 10), strconv.FormatInt(m.TotalSize, 10))
	}
	for n := range c.files {
		switch n {
		case manifest.FileName, checksum.FileName, checksum.SigFileName:
			continue
		}
		if !inManifest[n] {
			c.problem(n, "present but not listed in "+manifest.FileName, "", "")
		}
	}
}

// lock checks the lock's own checksum; parsed is the YAML parser's error on it (composeProblems parsed
// it, once for every check).
func (c *checker) lock(parsed error) {
	data, ok := c.content(lockfile.FileName)
	if !ok {
		c.problem(lockfile.FileName, "missing", "", "")
		return
	}
	if n := len(lockfile.ChecksumLines(data, 2)); n != 1 {
		c.problem(lockfile.FileName, fmt.Sprintf("has %d lines with key sha256 and a 64-hex value; exactly one (x-stella.checksums.sha256) is expected", n), "", "")
		return
	}
	recorded, computed := lockfile.SelfChecksum(data)
	if recorded != computed {
		c.problem(lockfile.FileName, "x-stella.checksums.sha256 does not match the file", recorded, computed)
	}
	if parsed != nil {
		c.problem(lockfile.FileName, "unparsable YAML: "+parsed.Error(), "", "")
	}
}

func first(vs []*sign.Verifier, ok func(*sign.Verifier) bool) *sign.Verifier {
	for _, v := range vs {
		if ok(v) {
			return v
		}
	}
	return nil
}

func keyNames(vs []*sign.Verifier) string {
	var b bytes.Buffer
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		if v.Ref != "" {
			fmt.Fprintf(&b, "key %s (%s %s)", v.Ref, v.Alg, v.KeyID())
		} else {
			fmt.Fprintf(&b, "the given %s key %s", v.Alg, v.KeyID())
		}
	}
	return b.String()
}
