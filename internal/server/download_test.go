package server_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/connect"
	"github.com/stella-ops/stella/internal/meta/metatest"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/local"
)

// A download's digest is kept with the file's identity: a file changed in place after it was served —
// same size, mtime put back — is hashed again and refused, never sent under the recorded checksum.
func TestDownloadChangedAfterServed(t *testing.T) {
	f := newFixture(t)
	st := filepath.Join(f.dir, "copy")
	copyTree(t, f.store, st)
	base, _, _ := f.serve(t, st)
	url, tok := base+"/api/v1/deployment-jobs/d1/artifacts/compose.stella.lock.yml", f.tokens["acme/deployer"]
	first := call(t, "GET", url, tok)
	first.want(t, "first download", 200, "")
	if again := call(t, "GET", url, tok); again.status != 200 || string(again.body) != string(first.body) {
		t.Fatalf("second download (digest kept): %d", again.status)
	}
	lock := filepath.Join(st, "acme", "d1", "compose.stella.lock.yml")
	fi, err := os.Stat(lock)
	if err != nil {
		t.Fatal(err)
	}
	b := append([]byte(nil), first.body...)
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(lock, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(lock, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	call(t, "GET", url, tok).want(t, "download changed in place", 422, "verification_failed")
	// Ranges are checked the same way.
	call(t, "GET", url, tok, "Range", "bytes=0-9").want(t, "range of the changed file", 422, "verification_failed")
}

// The same for a file sent by sendfile (larger than the buffered ones).
func TestDownloadLargeChangedAfterServed(t *testing.T) {
	f := newFixture(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 400<<10/16) // over smallFile
	f.putBig(t, big)
	base, _, _ := f.serve(t, f.store)
	url, tok := base+"/api/v1/deployment-jobs/big/artifacts/big.bin", f.tokens["acme/auditor"]
	for i := range 2 {
		if r := call(t, "GET", url, tok); r.status != 200 || !bytes.Equal(r.body, big) {
			t.Fatalf("download %d: %d, %d bytes", i, r.status, len(r.body))
		}
	}
	if r := call(t, "GET", url, tok, "Range", "bytes=100-199"); r.status != 206 || !bytes.Equal(r.body, big[100:200]) {
		t.Fatalf("range: %d %q", r.status, r.body)
	}
	file := filepath.Join(f.store, "acme", "big", "big.bin")
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	changed := bytes.Clone(big)
	changed[150_000] ^= 0x01
	if err := os.WriteFile(file, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(file, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	call(t, "GET", url, tok).want(t, "large file changed in place", 422, "verification_failed")
}

// With a token cache, a token revoked in the database is refused once the cache time has passed (and
// not before, as documented); an expired token is refused at once, cached or not.
func TestTokenCacheRevocationWithinTTL(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	hs, db, clock, advance := f.cachedServer(t, f.store)

	secret, rec := server.NewToken("acme", meta.RoleAuditor, "cached", clock(), time.Minute)
	if err := db.Update(ctx, "acme", func(tx meta.Tx) error { return tx.CreateToken(ctx, rec) }); err != nil {
		t.Fatal(err)
	}
	url := hs.URL + "/api/v1/deployment-jobs"
	call(t, "GET", url, secret).want(t, "new token", 200, "")
	if err := db.Update(ctx, "acme", func(tx meta.Tx) error { return tx.RevokeToken(ctx, rec.ID, clock()) }); err != nil {
		t.Fatal(err)
	}
	call(t, "GET", url, secret).want(t, "revoked, within the cache time", 200, "")
	advance(5 * time.Second)
	call(t, "GET", url, secret).want(t, "revoked, cache time passed", 401, "unauthenticated")

	// Expiry does not wait for the cache.
	secret2, rec2 := server.NewToken("acme", meta.RoleAuditor, "expiring", clock(), 2*time.Second)
	if err := db.Update(ctx, "acme", func(tx meta.Tx) error { return tx.CreateToken(ctx, rec2) }); err != nil {
		t.Fatal(err)
	}
	call(t, "GET", url, secret2).want(t, "fresh token", 200, "")
	advance(2 * time.Second)
	call(t, "GET", url, secret2).want(t, "expired while cached", 401, "unauthenticated")
}

// putBig records a deployment acme/big whose one artifact, big.bin, is data, stored in the fixture's
// local store.
func (f *fixture) putBig(tb testing.TB, data []byte) {
	tb.Helper()
	ctx := context.Background()
	db, err := connect.Open(ctx, f.dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	metatest.Seed(tb, db, "acme", "big", metatest.T0)
	if err := local.New(f.store).Create(ctx, store.Ref{Tenant: "acme", Deployment: "big"}, []store.File{{Name: "big.bin", Data: data}}); err != nil {
		tb.Fatal(err)
	}
	if err := db.Update(ctx, "acme", func(tx meta.Tx) error {
		return tx.PutArtifacts(ctx, "big", []meta.Artifact{{Name: "big.bin", Type: "other", Size: int64(len(data)), SHA256: checksum.Sum(data), StorageKey: "acme/big/big.bin"}})
	}); err != nil {
		tb.Fatal(err)
	}
}

// With the lookup cache, a small file's checked bytes are kept for the cache time: a file changed in
// place meanwhile is not sent — the bytes that matched its record are — and once the time has passed the
// change is found and refused. The kept bytes are only reached through a records lookup that found the
// artifact for the token: another tenant's token still finds nothing.
func TestDownloadBodyCache(t *testing.T) {
	f := newFixture(t)
	st := filepath.Join(f.dir, "copy")
	copyTree(t, f.store, st)
	hs, _, _, advance := f.cachedServer(t, st)

	url, tok := hs.URL+"/api/v1/deployment-jobs/d1/artifacts/manifest", f.tokens["acme/auditor"]
	first := call(t, "GET", url, tok)
	first.want(t, "first download", 200, "")
	etag := first.header.Get("ETag")
	manifest := filepath.Join(st, "acme", "d1", "manifest.json")
	b := bytes.Clone(first.body)
	b[len(b)/2] ^= 0x01
	if err := os.Chmod(filepath.Dir(manifest), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, b, 0o644); err != nil {
		t.Fatal(err)
	}
	again := call(t, "GET", url, tok)
	if again.status != 200 || !bytes.Equal(again.body, first.body) || again.header.Get("ETag") != etag ||
		again.header.Get("Content-Digest") != first.header.Get("Content-Digest") {
		t.Fatalf("within the cache time: %d, %q, ETag %q", again.status, again.body, again.header.Get("ETag"))
	}
	if r := call(t, "GET", url, tok, "Range", "bytes=0-9"); r.status != 206 || !bytes.Equal(r.body, first.body[:10]) || r.header.Get("Content-Digest") != "" {
		t.Fatalf("range within the cache time: %d %q, Content-Digest %q", r.status, r.body, r.header.Get("Content-Digest"))
	}
	call(t, "GET", url, tok, "If-None-Match", etag).want(t, "conditional within the cache time", 304, "")
	for _, r := range []response{first, again, call(t, "HEAD", url, tok)} {
		if r.header.Get("Content-Length") != strconv.Itoa(len(first.body)) || r.header.Get("Accept-Ranges") != "bytes" ||
			r.header.Get("Content-Type") != "application/json" || r.header.Get("Content-Digest") == "" {
			t.Errorf("headers of a full answer: %v", r.header)
		}
	}
	call(t, "GET", hs.URL+"/api/v1/deployment-jobs/d1/artifacts/manifest", f.tokens["globex/auditor"]).want(t, "another tenant", 404, "not_found")
	advance(5 * time.Second)
	call(t, "GET", url, tok).want(t, "changed in place, cache time passed", 422, "verification_failed")
}

// cachedServer serves the fixture's database and the local store at dir with a 5 s lookup cache on a
// clock the test moves (advance); Cleanup stops it.
func (f *fixture) cachedServer(t *testing.T, dir string) (hs *httptest.Server, db meta.DB, clock func() time.Time, advance func(time.Duration)) {
	t.Helper()
	db, err := connect.Open(context.Background(), f.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Now()
	clock = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance = func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	hs = httptest.NewServer(server.New(server.Config{DB: db, Store: local.New(dir), Now: clock, LookupCacheTTL: 5 * time.Second}))
	t.Cleanup(func() { hs.Close(); db.Close() })
	return hs, db, clock, advance
}
