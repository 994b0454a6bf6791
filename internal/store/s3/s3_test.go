package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/store"
	s3 "github.com/stella-ops/stella/internal/store/s3"
	"github.com/stella-ops/stella/internal/store/storetest"
)

var ctx = context.Background()

func TestConformance(t *testing.T) { storetest.Run(t, newStore) }

// TestConformanceNoPrefix runs the suite on a store at the bucket's root.
func TestConformanceNoPrefix(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openStore(t, newBucket(t, true), "") })
}

// version is one stored object version.
type version struct {
	key, id string
}

// versions lists every object version (and delete marker) under prefix.
func versions(t *testing.T, bucket, prefix string) (objects, deleteMarkers []version) {
	t.Helper()
	out, err := admin.ListObjectVersions(ctx, &awss3.ListObjectVersionsInput{Bucket: &bucket, Prefix: &prefix})
	if err != nil {
		t.Fatalf("list object versions: %v", err)
	}
	for _, v := range out.Versions {
		objects = append(objects, version{aws.ToString(v.Key), aws.ToString(v.VersionId)})
	}
	for _, v := range out.DeleteMarkers {
		deleteMarkers = append(deleteMarkers, version{aws.ToString(v.Key), aws.ToString(v.VersionId)})
	}
	return objects, deleteMarkers
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestObjectLock: every object of a set — files and marker — carries COMPLIANCE retention until the
// given time; deleting a version is refused, and neither a new version nor a delete marker on a file's
// key changes what Open reads.
func TestObjectLock(t *testing.T) {
	bucket := newBucket(t, true)
	s := openStore(t, bucket, "p")
	ref := store.Ref{Tenant: "acme", Deployment: "prod-1"}
	files := storetest.Set("locked")
	until := time.Now().Add(7 * 365 * 24 * time.Hour).UTC().Truncate(time.Second)
	if err := store.CreateRetained(ctx, s, ref, files, until.Add(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	objs, _ := versions(t, bucket, "p/acme/")
	if len(objs) != len(files)+1 {
		t.Fatalf("%d object versions under p/acme/, want %d files and the marker: %v", len(objs), len(files)+1, objs)
	}
	hasMarker := false
	for _, o := range objs {
		hasMarker = hasMarker || o.key == "p/acme/.complete/prod-1"
		r, err := admin.GetObjectRetention(ctx, &awss3.GetObjectRetentionInput{Bucket: &bucket, Key: &o.key, VersionId: &o.id})
		if err != nil {
			t.Fatalf("GetObjectRetention(%s): %v", o.key, err)
		}
		if r.Retention.Mode != types.ObjectLockRetentionModeCompliance || !aws.ToTime(r.Retention.RetainUntilDate).Equal(until) {
			t.Errorf("%s: retention %s until %v, want COMPLIANCE until %v", o.key, r.Retention.Mode, aws.ToTime(r.Retention.RetainUntilDate), until)
		}
		_, err = admin.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &bucket, Key: &o.key, VersionId: &o.id})
		if apiCode(err) != "AccessDenied" {
			t.Errorf("DeleteObject(%s, version %s) = %v, want AccessDenied", o.key, o.id, err)
		}
		earlier := until.Add(-24 * time.Hour)
		_, err = admin.PutObjectRetention(ctx, &awss3.PutObjectRetentionInput{Bucket: &bucket, Key: &o.key, VersionId: &o.id,
			Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: &earlier}})
		if err == nil {
			t.Errorf("shortening the retention of %s was allowed", o.key)
		}
		_, err = admin.PutObject(ctx, &awss3.PutObjectInput{Bucket: &bucket, Key: &o.key, Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
		if apiCode(err) != "PreconditionFailed" {
			t.Errorf("create-only PutObject over %s = %v, want PreconditionFailed", o.key, err)
		}
	}
	if !hasMarker {
		t.Errorf("no marker among %v", objs)
	}
	// The root user writes a new version over one file and hides another with a delete marker: the set
	// still reads as it was created, from the versions its marker names.
	for i, o := range objs {
		if strings.HasSuffix(o.key, "/manifest.json") {
			if _, err := admin.PutObject(ctx, &awss3.PutObjectInput{Bucket: &bucket, Key: &objs[i].key, Body: strings.NewReader(`{"forged":true}`)}); err != nil {
				t.Fatalf("put a new version: %v", err)
			}
		}
		if strings.HasSuffix(o.key, "/blob.bin") {
			if _, err := admin.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &bucket, Key: &objs[i].key}); err != nil {
				t.Fatalf("add a delete marker: %v", err)
			}
		}
	}
	storetest.Check(t, s, ref, files)
}

// TestRetentionPast: a retention that has already ended is bad input, and nothing is written: a set is
// never stored unlocked because its date passed.
func TestRetentionPast(t *testing.T) {
	bucket := newBucket(t, true)
	s := openStore(t, bucket, "")
	ref := store.Ref{Tenant: "acme", Deployment: "past"}
	err := store.CreateRetained(ctx, s, ref, storetest.Set("x"), time.Now().Add(-time.Hour))
	if !fault.Is(err, fault.Input) || !strings.Contains(err.Error(), "has already passed") {
		t.Fatalf("CreateRetained with a past date = %v (kind %v), want bad input", err, fault.KindOf(err))
	}
	out, err := admin.ListObjectVersions(ctx, &awss3.ListObjectVersionsInput{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions) != 0 {
		t.Errorf("%d objects written for a refused set", len(out.Versions))
	}
}

// TestRetentionOptional: Create (no date) locks nothing of its own; the bucket's default retention, if
// any, applies.
func TestRetentionOptional(t *testing.T) {
	bucket := newBucket(t, true)
	s := openStore(t, bucket, "")
	for i, until := range []time.Time{{}} {
		ref := store.Ref{Tenant: "acme", Deployment: fmt.Sprint("d", i)}
		if err := store.CreateRetained(ctx, s, ref, storetest.Set("x"), until); err != nil {
			t.Fatal(err)
		}
		storetest.Check(t, s, ref, storetest.Set("x"))
		key := s.MarkerKey(ref)
		if r, err := admin.GetObjectRetention(ctx, &awss3.GetObjectRetentionInput{Bucket: &bucket, Key: &key}); err == nil {
			t.Errorf("retain-until %v: marker has retention %v", until, r.Retention)
		}
	}
}

// TestNoObjectLockBucket: a bucket without Object Lock refuses locked objects; the error says so and no
// set becomes visible.
func TestNoObjectLockBucket(t *testing.T) {
	s := openStore(t, newBucket(t, false), "p")
	ref := store.Ref{Tenant: "acme", Deployment: "d"}
	err := store.CreateRetained(ctx, s, ref, storetest.Set("x"), time.Now().Add(time.Hour))
	if err == nil || !strings.Contains(err.Error(), "ObjectLockConfiguration") || !strings.HasPrefix(err.Error(), "create deployment acme/d: put s3://") {
		t.Fatalf("CreateRetained in a bucket without Object Lock = %v", err)
	}
	if _, err := s.Open(ctx, ref); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("Open after the failure = %v, want ErrNotExist", err)
	}
}

// TestTenantAndPrefixIsolation: tenants whose ids share a prefix, and stores under other prefixes of the
// same bucket, never see each other's sets.
func TestTenantAndPrefixIsolation(t *testing.T) {
	bucket := newBucket(t, true)
	a, b, root := openStore(t, bucket, "a"), openStore(t, bucket, "b"), openStore(t, bucket, "")
	for _, ref := range []store.Ref{{Tenant: "acme", Deployment: "d"}, {Tenant: "acme2", Deployment: "d2"}} {
		if err := a.Create(ctx, ref, storetest.Set(ref.String())); err != nil {
			t.Fatal(err)
		}
	}
	if refs, err := a.List(ctx, "acme"); err != nil || !slices.Equal(refs, []store.Ref{{Tenant: "acme", Deployment: "d"}}) {
		t.Errorf("List(acme) = %v, %v; want only acme/d", refs, err)
	}
	if _, err := a.Open(ctx, store.Ref{Tenant: "acme", Deployment: "d2"}); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("acme opened acme2's deployment id: %v", err)
	}
	for _, other := range []*s3.Store{b, root} {
		if refs, err := other.List(ctx, "acme"); err != nil || len(refs) != 0 {
			t.Errorf("store under %q lists %v, %v", other.Prefix(), refs, err)
		}
		if _, err := other.Open(ctx, store.Ref{Tenant: "acme", Deployment: "d"}); !errors.Is(err, store.ErrNotExist) {
			t.Errorf("store under %q opens a/acme/d: %v", other.Prefix(), err)
		}
		// The same ids under another prefix are another set.
		if err := other.Create(ctx, store.Ref{Tenant: "acme", Deployment: "d"}, storetest.Set("other")); err != nil {
			t.Errorf("Create under %q: %v", other.Prefix(), err)
		}
	}
	storetest.Check(t, a, store.Ref{Tenant: "acme", Deployment: "d"}, storetest.Set("acme/d"))
}

// TestLoserAfterPrecheck: a creator that passed the marker check before the winner's marker landed
// uploads its files, then loses on the marker: ErrExist, the winner's set intact, the loser's attempt
// invisible.
func TestLoserAfterPrecheck(t *testing.T) {
	bucket := newBucket(t, true)
	s := openStore(t, bucket, "")
	ref := store.Ref{Tenant: "acme", Deployment: "race"}
	until := &[]time.Time{time.Now().Add(time.Hour).UTC().Truncate(time.Second)}[0]
	mw, err := s.Upload(ctx, ref, storetest.Set("winner"), until, s3.NewAttempt())
	if err != nil {
		t.Fatal(err)
	}
	ml, err := s.Upload(ctx, ref, storetest.Set("loser"), until, s3.NewAttempt())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, ref, mw, until); err != nil {
		t.Fatalf("winner's commit: %v", err)
	}
	err = s.Commit(ctx, ref, ml, until)
	if !errors.Is(err, store.ErrExist) || err.Error() != "deployment acme/race already exists" {
		t.Fatalf("loser's commit = %v, want ErrExist", err)
	}
	storetest.Check(t, s, ref, storetest.Set("winner"))
	if refs, err := s.List(ctx, "acme"); err != nil || !slices.Equal(refs, []store.Ref{ref}) {
		t.Errorf("List = %v, %v", refs, err)
	}
	// Both attempts' files are in the bucket (locked), the marker names the winner's.
	objs, _ := versions(t, bucket, "acme/race/")
	if len(objs) != 2*len(storetest.Set("")) {
		t.Errorf("%d objects under acme/race/, want both attempts' %d", len(objs), 2*len(storetest.Set("")))
	}
	m, err := s.ReadMarker(ctx, ref)
	if err != nil || m.Attempt != mw.Attempt {
		t.Errorf("marker = %+v, %v; want the winner's attempt %s", m, err, mw.Attempt)
	}
}

// TestRacingCreateKeepsWinner: creators racing through CreateRetained; exactly one wins, and every
// object the winner's marker names is still the winner's bytes.
func TestRacingCreateKeepsWinner(t *testing.T) {
	bucket := newBucket(t, true)
	s := openStore(t, bucket, "r")
	ref := store.Ref{Tenant: "acme", Deployment: "race"}
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = store.CreateRetained(ctx, s, ref, storetest.Set(fmt.Sprint("w", i)), time.Now().Add(time.Hour))
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Fatalf("writers %d and %d both won", winner, i)
		case !errors.Is(err, store.ErrExist):
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer won")
	}
	storetest.Check(t, s, ref, storetest.Set(fmt.Sprint("w", winner)))
	m, err := s.ReadMarker(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	want := storetest.Set(fmt.Sprint("w", winner))
	for _, e := range m.Files {
		key := s.FileKey(ref, m.Attempt, e.Name)
		out, err := admin.GetObject(ctx, &awss3.GetObjectInput{Bucket: &bucket, Key: &key})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(out.Body)
		out.Body.Close()
		i := slices.IndexFunc(want, func(f store.File) bool { return f.Name == e.Name })
		if !bytes.Equal(got, want[i].Data) {
			t.Errorf("winner's %s holds %d other bytes", key, len(got))
		}
	}
}

// TestCrashBeforeMarker: files uploaded without a marker (a crash) leave no visible set, and creating
// the set again works.
func TestCrashBeforeMarker(t *testing.T) {
	bucket := newBucket(t, true)
	s := openStore(t, bucket, "p")
	ref := store.Ref{Tenant: "acme", Deployment: "d"}
	until := &[]time.Time{time.Now().Add(time.Hour).UTC().Truncate(time.Second)}[0]
	if _, err := s.Upload(ctx, ref, storetest.Set("crashed"), until, s3.NewAttempt()); err != nil {
		t.Fatal(err)
	}
	if objs, _ := versions(t, bucket, "p/acme/d/"); len(objs) != len(storetest.Set("")) {
		t.Fatalf("the crashed attempt left %d objects, want %d", len(objs), len(storetest.Set("")))
	}
	if _, err := s.Open(ctx, ref); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("Open after a crash = %v, want ErrNotExist", err)
	}
	if refs, err := s.List(ctx, "acme"); err != nil || len(refs) != 0 {
		t.Errorf("List after a crash = %v, %v; want nothing", refs, err)
	}
	if err := store.CreateRetained(ctx, s, ref, storetest.Set("retry"), *until); err != nil {
		t.Fatalf("Create after a crash: %v", err)
	}
	storetest.Check(t, s, ref, storetest.Set("retry"))
}

// TestRetriedRequests: the SDK retrying a PUT that had succeeded meets 412 on its own attempt's objects
// and marker; the create still succeeds, once.
func TestRetriedRequests(t *testing.T) {
	s := openStore(t, newBucket(t, true), "")
	ref := store.Ref{Tenant: "acme", Deployment: "d"}
	attempt := s3.NewAttempt()
	for i := range 2 {
		m, err := s.Upload(ctx, ref, storetest.Set("x"), nil, attempt)
		if err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
		if err := s.Commit(ctx, ref, m, nil); err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
	}
	storetest.Check(t, s, ref, storetest.Set("x"))
	if err := s.Create(ctx, ref, storetest.Set("x")); !errors.Is(err, store.ErrExist) {
		t.Errorf("a new Create = %v, want ErrExist", err)
	}
}

// TestCorruptObject: a file whose stored bytes differ from the marker's SHA-256 or size fails to read
// with a Verification error naming the object.
func TestCorruptObject(t *testing.T) {
	bucket := newBucket(t, false)
	s := openStore(t, bucket, "")
	for _, c := range []struct {
		name string
		edit func(*s3.FileEntry)
		want string
	}{
		{"hash", func(e *s3.FileEntry) { e.SHA256 = strings.Repeat("0", 64) }, "has SHA-256 "},
		{"short", func(e *s3.FileEntry) { e.Size++ }, "bytes, the marker records"},
		{"long", func(e *s3.FileEntry) { e.Size-- }, "more than the"},
	} {
		ref := store.Ref{Tenant: "acme", Deployment: c.name}
		m, err := s.Upload(ctx, ref, []store.File{{Name: "manifest.json", Data: []byte(`{"a":1}`)}}, nil, s3.NewAttempt())
		if err != nil {
			t.Fatal(err)
		}
		c.edit(&m.Files[0])
		if err := s.Commit(ctx, ref, m, nil); err != nil {
			t.Fatal(err)
		}
		fsys, err := s.Open(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fs.ReadFile(fsys, "manifest.json")
		if !fault.Is(err, fault.Verification) || !strings.Contains(err.Error(), c.want) ||
			!strings.Contains(err.Error(), "read deployment acme/"+c.name+" file manifest.json: stored object s3://"+bucket+"/acme/"+c.name+"/") {
			t.Errorf("%s: ReadFile = %v, want a verification error with %q", c.name, err, c.want)
		}
	}
}

// TestMarkerChecked: a marker that is not this set's, or not a marker, is an error, not a set.
func TestMarkerChecked(t *testing.T) {
	bucket := newBucket(t, false)
	s := openStore(t, bucket, "")
	for body, want := range map[string]string{
		"not json": "invalid character",
		`{"version":1,"tenantId":"other","deploymentId":"d","attempt":"` + strings.Repeat("a", 32) + `","files":[{"name":"f","size":0,"sha256":"` + strings.Repeat("0", 64) + `"}]}`:   "not the marker of this set",
		`{"version":1,"tenantId":"acme","deploymentId":"d","attempt":"` + strings.Repeat("a", 32) + `","files":[{"name":"../f","size":0,"sha256":"` + strings.Repeat("0", 64) + `"}]}`: "file entry 0 is invalid",
	} {
		key := s.MarkerKey(store.Ref{Tenant: "acme", Deployment: "d"})
		if _, err := admin.PutObject(ctx, &awss3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
		_, err := s.Open(ctx, store.Ref{Tenant: "acme", Deployment: "d"})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "open deployment acme/d: marker s3://"+bucket+"/acme/.complete/d: ") {
			t.Errorf("Open with marker %.30q = %v, want %q", body, err, want)
		}
	}
}

// TestUnreachable: an endpoint where nothing listens is an Unavailable error naming the object, and
// the credentials appear nowhere.
func TestUnreachable(t *testing.T) {
	st, err := s3.OpenURL("s3://bucket-x/p?endpoint=http://127.0.0.1:1&region=us-east-1&path-style=true")
	if err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	err = st.Create(c, store.Ref{Tenant: "acme", Deployment: "d"}, storetest.Set("x"))
	if !fault.Is(err, fault.Unavailable) || !strings.HasPrefix(err.Error(), "create deployment acme/d: list versions of s3://bucket-x/p/acme/.complete/d: ") {
		t.Errorf("Create against a closed port = %v (kind %v)", err, fault.KindOf(err))
	}
	if err != nil && (strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), testAccess)) {
		t.Errorf("error shows credentials: %v", err)
	}
}

// TestBadCredentials: a wrong secret is refused by the server as an Unauthenticated error.
func TestBadCredentials(t *testing.T) {
	bucket := newBucket(t, true)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-value")
	st := openStore(t, bucket, "")
	_, err := st.List(ctx, "acme")
	if !fault.Is(err, fault.Unauthenticated) && !fault.Is(err, fault.Forbidden) {
		t.Errorf("List with a wrong secret = %v (kind %v), want Unauthenticated or Forbidden", err, fault.KindOf(err))
	}
	if err != nil && strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("error shows the secret: %v", err)
	}
}

// TestMarkerSwap: the root user uploads a complete second attempt of a set and writes a new version of
// the completion marker pointing at it, then hides the marker under a delete marker. Neither swaps nor
// hides the set: Open reads the marker's first version, List still lists it, and creating the id again
// is refused.
func TestMarkerSwap(t *testing.T) {
	bucket := newBucket(t, true)
	s := openStore(t, bucket, "p")
	ref := store.Ref{Tenant: "acme", Deployment: "prod-1"}
	until := time.Now().Add(24 * time.Hour)
	orig := storetest.Set("original")
	if err := store.CreateRetained(ctx, s, ref, orig, until); err != nil {
		t.Fatal(err)
	}
	key := s.MarkerKey(ref)
	out, err := admin.GetObject(ctx, &awss3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	marker, _ := io.ReadAll(out.Body)
	out.Body.Close()
	// A forged attempt: other files under another attempt id, and a marker naming them.
	var m map[string]any
	if err := json.Unmarshal(marker, &m); err != nil {
		t.Fatal(err)
	}
	forged := storetest.Set("forged")
	attempt := strings.Repeat("ab", 16)
	var entries []map[string]any
	for _, f := range forged {
		k := "p/acme/prod-1/" + attempt + "/" + f.Name
		put, err := admin.PutObject(ctx, &awss3.PutObjectInput{Bucket: &bucket, Key: &k, Body: bytes.NewReader(f.Data)})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(f.Data)
		entries = append(entries, map[string]any{"name": f.Name, "size": len(f.Data), "sha256": hex.EncodeToString(sum[:]), "versionId": aws.ToString(put.VersionId)})
	}
	slices.SortFunc(entries, func(a, b map[string]any) int { return strings.Compare(a["name"].(string), b["name"].(string)) })
	m["attempt"], m["files"] = attempt, entries
	body, _ := json.Marshal(m)
	time.Sleep(1100 * time.Millisecond) // a later LastModified, as a real attacker's would be
	if _, err := admin.PutObject(ctx, &awss3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("put a new marker version: %v", err)
	}
	storetest.Check(t, s, ref, orig)
	if _, err := admin.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &bucket, Key: &key}); err != nil {
		t.Fatalf("put a delete marker: %v", err)
	}
	storetest.Check(t, s, ref, orig)
	refs, err := s.List(ctx, "acme")
	if err != nil || len(refs) != 1 || refs[0] != ref {
		t.Errorf("List = %v, %v; want the set under its delete marker", refs, err)
	}
	if err := store.CreateRetained(ctx, s, ref, forged, until); !errors.Is(err, store.ErrExist) {
		t.Errorf("creating the id again under a delete marker = %v, want ErrExist", err)
	}
	storetest.Check(t, s, ref, orig)
}

// TestFrozenEndpoint: an endpoint that accepts connections and never answers fails the operation with an
// Unavailable error (after ?timeout= per attempt), instead of hanging it.
func TestFrozenEndpoint(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	st, err := s3.OpenURL("s3://bucket-x/p?endpoint=http://" + l.Addr().String() + "&region=us-east-1&path-style=true&timeout=200ms")
	if err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(ctx, time.Minute) // only a guard: the store's own timeout must end it
	defer cancel()
	_, err = st.Open(c, store.Ref{Tenant: "acme", Deployment: "d"})
	if !fault.Is(err, fault.Unavailable) || c.Err() != nil {
		t.Errorf("Open against a frozen endpoint = %v (kind %v, guard %v)", err, fault.KindOf(err), c.Err())
	}
	if _, err := s3.ParseURL("s3://b-1/p?timeout=soon"); !fault.Is(err, fault.Input) {
		t.Errorf("timeout=soon: %v", err)
	}
}
