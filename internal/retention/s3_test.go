package retention_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stella-ops/stella/internal/evidence"
	"github.com/stella-ops/stella/internal/fsck"
	"github.com/stella-ops/stella/internal/release"
	"github.com/stella-ops/stella/internal/retention"
	"github.com/stella-ops/stella/internal/store"
	s3 "github.com/stella-ops/stella/internal/store/s3"
	"github.com/stella-ops/stella/internal/store/s3/s3gw"
	"github.com/stella-ops/stella/internal/verify"
)

// The S3 sweep runs against versitygw's gateway in this process (as internal/store/s3's tests do), over
// a posix backend with a versioning dir, so Object Lock is real: a set whose manifest's retention has
// passed but whose objects are still locked is reported and kept, and removed by the sweep after.
var (
	s3Endpoint string
	s3Admin    *awss3.Client
)

const (
	s3Access = "stella-retention-access"
	s3Secret = "stella-retention-secret-0123456789"
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "stella-retention-s3-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	var stop func()
	s3Endpoint, stop, err = s3gw.Start(dir, s3Access, s3Secret)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start versitygw:", err)
		return 1
	}
	defer stop()
	s3Admin = awss3.New(awss3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(s3Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s3Access, s3Secret, ""),
	})
	return m.Run()
}

func TestSweepS3ObjectLock(t *testing.T) {
	bucket := "stella-retention-sweep"
	if _, err := s3Admin.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: &bucket, ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	st := s3.New(s3Admin, bucket, "stella")
	e := newEnv(t, nil, st)
	// Development sets generated 40 days ago (their manifests' retention has passed), stored with a
	// lock shortened to a few seconds from now.
	created := time.Now().UTC().AddDate(0, 0, -40).Truncate(time.Second)
	lockUntil := time.Now().Add(3 * time.Second).UTC().Truncate(time.Second).Add(time.Second)
	create := func(ref store.Ref, files []store.File) error {
		return store.CreateRetained(ctx, st, ref, files, lockUntil)
	}
	e.deploy(t, "acme", "old", "development", created, create)
	e.deploy(t, "acme", "prev", "development", created.Add(time.Hour), create)
	e.deploy(t, "acme", "cur", "development", created.Add(2*time.Hour), create)
	before := e.evidenceTypes(t, "acme")

	real := func(dry bool) *retention.Report {
		o := e.opts(time.Time{}, dry)
		o.Now, o.EvidenceClock = nil, nil // the real clock: the gateway enforces the lock by it
		rep, err := retention.Sweep(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	for _, dry := range []bool{true, false} {
		rep := real(dry)
		it := outcome(rep, "old")
		if it.Outcome != retention.Kept || it.LockedUntil == nil || !it.LockedUntil.Equal(lockUntil) || rep.Locked != 1 || rep.Removed != 0 {
			t.Fatalf("sweep (dry %v) while locked: old %+v, report %+v", dry, it, rep)
		}
		if !strings.Contains(it.Reason, "locks it until") {
			t.Errorf("reason %q", it.Reason)
		}
	}
	if got := e.evidenceTypes(t, "acme"); !slices.Equal(got, before) {
		t.Fatalf("a refused removal recorded evidence: %v", got)
	}
	time.Sleep(time.Until(lockUntil) + 300*time.Millisecond)
	rep := real(false)
	if it := outcome(rep, "old"); it.Outcome != retention.Removed {
		t.Fatalf("sweep after the lock expired: %+v", it)
	}
	if got := e.listed(t, "acme"); !slices.Equal(got, []string{"cur", "prev"}) {
		t.Fatalf("store holds %v", got)
	}
	out, err := s3Admin.ListObjectVersions(ctx, &awss3.ListObjectVersionsInput{Bucket: &bucket, Prefix: aws.String("stella/acme/")})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range out.Versions {
		if k := aws.ToString(v.Key); strings.HasSuffix(k, "/old") || strings.Contains(k, "/old/") {
			t.Errorf("left in the bucket: %s", k)
		}
	}
	if got := e.evidenceTypes(t, "acme"); !slices.Equal(got, append(before, evidence.TypeSetRemoved)) {
		t.Fatalf("evidence %v", got)
	}
}

// fsck on S3: a set locked until its manifest's retainUntil (or later) is clean; one stored without a
// lock, or with a lock that ends first, is a problem naming both times.
func TestFsckS3LockShorterThanManifest(t *testing.T) {
	bucket := "stella-retention-fsck"
	if _, err := s3Admin.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: &bucket, ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	st := s3.New(s3Admin, bucket, "")
	e := newEnv(t, nil, st)
	created := time.Now().UTC().Truncate(time.Second)
	retainUntil := release.RetainUntil("development", created)
	e.deploy(t, "acme", "good", "development", created, func(r store.Ref, fs []store.File) error {
		return store.CreateRetained(ctx, st, r, fs, retainUntil)
	})
	e.deploy(t, "acme", "short", "development", created, func(r store.Ref, fs []store.File) error {
		return store.CreateRetained(ctx, st, r, fs, retainUntil.AddDate(0, 0, -29))
	})
	e.deploy(t, "acme", "unlocked", "development", created, func(r store.Ref, fs []store.File) error { return st.Create(ctx, r, fs) })
	r, err := fsck.Run(ctx, fsck.Options{Store: st, DB: e.db, DBName: "test",
		SetKeys: verify.Keys{Keyring: &e.kr}, EvidenceKeys: evidence.KeySet{Keyring: &e.kr}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range r.Problems {
		got = append(got, p.String())
	}
	all := strings.Join(got, "\n")
	if len(got) != 2 || !strings.Contains(all, "acme/short: the store's lock (Object Lock) ends before the manifest's retainUntil") ||
		!strings.Contains(all, "locked until "+retainUntil.AddDate(0, 0, -29).Format(time.RFC3339)) ||
		!strings.Contains(all, "acme/unlocked: the store's lock") || !strings.Contains(all, "found not locked") {
		t.Fatalf("fsck problems:\n%s", all)
	}
	for _, s := range r.Sets {
		if s.Deployment == "good" && s.LockedUntil != retainUntil.Format(time.RFC3339) {
			t.Errorf("good: %+v", s)
		}
	}
}

// On S3 a hold also puts the Object Lock legal hold on every object of the set, and the release takes
// it off.
func TestHoldS3LegalHold(t *testing.T) {
	bucket := "stella-retention-hold"
	if _, err := s3Admin.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: &bucket, ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	st := s3.New(s3Admin, bucket, "")
	e := newEnv(t, nil, st)
	created := time.Now().UTC().Truncate(time.Second)
	e.deploy(t, "acme", "d1", "development", created, func(r store.Ref, fs []store.File) error {
		return store.CreateRetained(ctx, st, r, fs, release.RetainUntil("development", created))
	})
	legal := func() []string {
		out, err := s3Admin.ListObjectVersions(ctx, &awss3.ListObjectVersionsInput{Bucket: &bucket, Prefix: aws.String("acme/")})
		if err != nil {
			t.Fatal(err)
		}
		var st []string
		for _, v := range out.Versions {
			r, err := s3Admin.GetObjectLegalHold(ctx, &awss3.GetObjectLegalHoldInput{Bucket: &bucket, Key: v.Key, VersionId: v.VersionId})
			if err != nil {
				st = append(st, "none")
				continue
			}
			st = append(st, string(r.LegalHold.Status))
		}
		slices.Sort(st)
		return slices.Compact(st)
	}
	o := e.opts(time.Now(), false)
	o.Now, o.EvidenceClock = nil, nil
	ref := store.Ref{Tenant: "acme", Deployment: "d1"}
	if _, err := retention.Hold(ctx, o, ref, "audit 2027"); err != nil {
		t.Fatal(err)
	}
	if got := legal(); !slices.Equal(got, []string{"ON"}) {
		t.Fatalf("legal holds after the hold: %v", got)
	}
	if _, err := retention.Release(ctx, o, ref, "audit done"); err != nil {
		t.Fatal(err)
	}
	if got := legal(); !slices.Equal(got, []string{"OFF"}) {
		t.Fatalf("legal holds after the release: %v", got)
	}
	e.evidenceTypes(t, "acme")
}
