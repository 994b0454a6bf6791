package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/meta"
)

// download answers GET of one artifact with its stored bytes, which must be the recorded ones (size and
// SHA-256). A file of the S3 store is checked as it is sent (sendChecked). A file of the local store is
// hashed once, streaming, the first time it is asked for; its digest is then kept with the file's
// identity (device, inode, size, mtime and ctime), and while the identity holds a file over smallFile is
// sent by http.ServeContent straight from the *os.File (sendfile: the bytes never pass through the
// process, and no request allocates more as the file grows), a smaller one from a pooled buffer. Any change to the
// file changes its ctime, which no system call sets back, so a file rewritten in place is hashed again
// before it is served. docs/decisions.md says why this and not a check while sending.
//
// An API download (cached) goes through the lookup cache: its records (downloadRecords) and, for a small
// file whose bytes were checked, the bytes themselves (s.bodies), for as long as the records are kept.
func (s *Server) download(w http.ResponseWriter, r *http.Request, p meta.Token, id, name string, cached bool) error {
	records := s.JobArtifacts
	if cached {
		records = s.downloadRecords
	}
	d, a, err := s.findArtifact(r.Context(), p, id, name, records)
	if err != nil {
		return err
	}
	now, key := s.cfg.Now(), bodyKey{p.TenantID, d.ID, a.Name}
	if cached {
		if e, ok := s.bodies.get(key, now); ok && e.sha == a.SHA256 && int64(len(e.data)) == a.Size {
			serveData(w, r, a, e.headers, e.data)
			return nil
		}
	}
	f, err := s.openStored(r.Context(), p.TenantID, d, a)
	if err != nil {
		return err
	}
	defer f.Close()
	// keep is given a small file's bytes once they matched: kept for the next API download.
	keep := func(data []byte, ah artifactHeaders) {
		if cached {
			s.bodies.put(key, keptBody{sha: a.SHA256, data: bytes.Clone(data), headers: ah}, now)
		}
	}
	mismatch := func(found string) error {
		return &fault.Problems{List: []fault.Problem{{File: name, Message: "stored bytes of deployment " + d.ID + " do not match the recorded sha256", Expected: a.SHA256, Found: found}}}
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read artifact %s of deployment %s: %w", name, d.ID, err)
	}
	fid, hasID := identity(fi)
	content, seeks := f.(io.ReadSeeker)
	if !seeks || !hasID {
		// A store whose files have no identity to keep a digest with (S3): checked as it is sent.
		return s.sendChecked(w, r, d, a, f, content, mismatch, keep)
	}
	known := hasID && s.sums.holds(fid, a.SHA256)
	if a.Size <= smallFile {
		return sendSmall(w, r, d, a, content, known, mismatch, func(data []byte, ah artifactHeaders) {
			if !known {
				s.sums.put(fid, a.SHA256)
			}
			keep(data, ah)
		})
	}
	if !known {
		got, n, err := checksum.Stream(content)
		if err != nil {
			return fmt.Errorf("read artifact %s of deployment %s: %w", name, d.ID, err)
		}
		if got != a.SHA256 || n != a.Size {
			return mismatch(got)
		}
		if _, err := content.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("read artifact %s of deployment %s: %w", name, d.ID, err)
		}
		if hasID {
			// The identity read before hashing: a change while hashing gives a new identity next time.
			s.sums.put(fid, got)
		}
	}
	serveBytes(w, r, a, content)
	return nil
}

// sendChecked sends a file of a store without file identities (S3), reading it once. A small file is
// read into a pooled buffer and checked before anything is sent (a mismatch is the usual 422). A larger
// one streams through checksum.Exact, which hands on its last bytes only once the whole file has been
// seen to have the recorded size and SHA-256: a file that does not match ends the response short of
// its Content-Length, and the connection is closed, so a client never receives it whole — and never a
// complete 200 for bytes that are not the recorded ones. A Range is ignored (the whole file is sent, as
// RFC 9110 allows) unless the file seeks: a part can only be vouched for once the whole file has been
// read, so the file is then hashed first, streaming, and the part sent from a second read (S3: a
// ranged GET).
//
// keep is given the bytes of a small file once they matched.
func (s *Server) sendChecked(w http.ResponseWriter, r *http.Request, d meta.Deployment, a meta.Artifact, f fs.File, seeker io.ReadSeeker, mismatch func(string) error, keep func([]byte, artifactHeaders)) error {
	if a.Size <= smallFile {
		return sendSmall(w, r, d, a, f, false, mismatch, keep)
	}
	if r.Header.Get("Range") != "" && seeker != nil {
		got, n, err := checksum.Stream(seeker)
		if err != nil {
			return fmt.Errorf("read artifact %s of deployment %s: %w", a.Name, d.ID, err)
		}
		if got != a.SHA256 || n != a.Size {
			return mismatch(got)
		}
		if _, err := seeker.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("read artifact %s of deployment %s: %w", a.Name, d.ID, err)
		}
		serveBytes(w, r, a, seeker)
		return nil
	}
	r.Header.Del("Range")
	r.Header.Del("If-Range")
	c := &checkedContent{e: checksum.NewExact(f, a.SHA256, a.Size), size: a.Size}
	serveBytes(w, r, a, c)
	if err := c.e.Err(); err != nil {
		s.cfg.Log.ErrorContext(r.Context(), "download stopped before its end: the stored bytes are not the recorded ones, or could not be read",
			"deployment", d.ID, "artifact", a.Name, "sent", c.read, "size", a.Size, "err", err)
	}
	return nil
}

// sendSmall answers with a small file (a manifest, a sticker, most locks) from a pooled buffer, one
// write for the header and as much of the body as fits (sendfile would cost a header write, a read of
// its first 512 bytes and a sendfile call). Its bytes are hashed unless known to match (a digest kept
// with the file's identity); a file that does not have the recorded size or SHA-256 is refused before
// anything is sent. matched is given the bytes and header fields first.
func sendSmall(w http.ResponseWriter, r *http.Request, d meta.Deployment, a meta.Artifact, content io.Reader, known bool, mismatch func(string) error, matched func([]byte, artifactHeaders)) error {
	bp := smallBuffers.Get().(*[]byte)
	defer smallBuffers.Put(bp)
	n, err := io.ReadFull(content, (*bp)[:a.Size+1]) // one byte more than recorded must not be there
	if err != io.ErrUnexpectedEOF && err != io.EOF && err != nil {
		return fmt.Errorf("read artifact %s of deployment %s: %w", a.Name, d.ID, err)
	}
	data := (*bp)[:n]
	if !known || int64(n) != a.Size {
		if got := checksum.Sum(data); got != a.SHA256 || int64(n) != a.Size {
			return mismatch(got)
		}
	}
	ah := newArtifactHeaders(a)
	matched(data, ah)
	serveData(w, r, a, ah, data)
	return nil
}

// checkedContent is a checked stream as http.ServeContent reads it: asked for its size (a seek to the
// end and back), then read from the start.
type checkedContent struct {
	e    *checksum.Exact
	size int64
	read int64
	end  bool
}

func (c *checkedContent) Read(p []byte) (int, error) {
	if c.end {
		return 0, io.EOF
	}
	n, err := c.e.Read(p)
	c.read += int64(n)
	return n, err
}

func (c *checkedContent) Seek(offset int64, whence int) (int64, error) {
	switch {
	case offset == 0 && whence == io.SeekEnd && c.read == 0:
		c.end = true
		return c.size, nil
	case offset == 0 && whence == io.SeekStart && c.read == 0:
		c.end = false
		return 0, nil
	}
	return 0, fmt.Errorf("checked download: seek to %d (whence %d) after %d bytes: not supported", offset, whence, c.read)
}

// Download answers with artifact name of deployment job id as the API's download does (only bytes that
// match their record, checked as they are sent, never the whole file in memory), for the web
// interface: its records are looked up afresh (JobArtifacts), not through the API's lookup cache.
func (s *Server) Download(w http.ResponseWriter, r *http.Request, p meta.Token, id, name string) error {
	return s.download(w, r, p, id, name, false)
}

// smallFile is the largest artifact sent from a buffer instead of by sendfile, and kept by s.bodies: a
// lock of a few hundred services (124 KB) answered from memory is ~1.2× the requests a second of the
// same sent by sendfile after open, fstat and the header's own write (docs/performance.md, stop 22).
const smallFile = 256 << 10

var smallBuffers = sync.Pool{New: func() any { b := make([]byte, smallFile+1); return &b }}

// artifactRecords are what s.artifacts found for one deployment.
type artifactRecords struct {
	d  meta.Deployment
	as []meta.Artifact
}

// downloadRecords is JobArtifacts through s.records: a deployment's artifact records never change once
// written, so a download looks them up once per cache time. The key holds the tenant (a token of
// another tenant never meets this entry) and, for an agent, its target (agentMay's answer is part of
// what is kept; a refusal is not kept).
func (s *Server) downloadRecords(ctx context.Context, p meta.Token, id string) (meta.Deployment, []meta.Artifact, error) {
	key := recordsKey{tenant: p.TenantID, id: id}
	if p.Role == meta.RoleAgent {
		key.agent, key.target = true, p.TargetID
	}
	now := s.cfg.Now()
	if e, ok := s.records.get(key, now); ok {
		return e.d, e.as, nil
	}
	d, as, err := s.JobArtifacts(ctx, p, id)
	if err == nil {
		s.records.put(key, artifactRecords{d: d, as: as}, now)
	}
	return d, as, err
}

// recordsKey names a deployment's kept records: for an agent, with its target.
type recordsKey struct {
	tenant, id, target string
	agent              bool
}

// fileID is what identifies a file's content on a local file system without reading it.
type fileID struct {
	dev, ino     uint64
	size         int64
	mtime, ctime syscall.Timespec
}

func identity(fi fs.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || !fi.Mode().IsRegular() {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino, size: st.Size, mtime: st.Mtim, ctime: st.Ctim}, true
}

// sumCache maps file identities to the SHA-256 their content had when hashed; at most maxSums entries
// (when full it starts over).
type sumCache struct {
	mu sync.RWMutex
	m  map[fileID]string
}

const maxSums = 100_000

func (c *sumCache) holds(id fileID, sum string) bool {
	c.mu.RLock()
	got, ok := c.m[id]
	c.mu.RUnlock()
	return ok && got == sum
}

func (c *sumCache) put(id fileID, sum string) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxSums {
		c.m = map[fileID]string{}
	}
	c.m[id] = sum
	c.mu.Unlock()
}

// keptBody is what s.bodies keeps of a small artifact an API download sent: its bytes, which matched
// its record, and the header fields of an answer with them. A record never changes once written, so
// bytes that matched it are its bytes for good; they are only served once the records lookup (cached or
// not) has found the artifact for the token, under a key with the tenant, and while its SHA-256 and size
// are the record's. At most maxKeptBytes are kept.
type keptBody struct {
	sha     string
	data    []byte
	headers artifactHeaders
}

const maxKeptBytes = 32 << 20

// bodyKey names a kept body: the tenant, the deployment and the artifact.
type bodyKey struct{ tenant, id, name string }

func newBodies(ttl time.Duration) *lookupCache[bodyKey, keptBody] {
	return &lookupCache[bodyKey, keptBody]{ttl: ttl, cost: func(b keptBody) int { return len(b.data) }, maxCost: maxKeptBytes}
}
