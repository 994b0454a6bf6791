package s3_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/storetest"
)

// TestDeleteAfterLockExpires: a set locked (COMPLIANCE) for a few seconds is refused while locked —
// with the lock's end, nothing removed — and removed for good once it has passed: every version of
// every object (the marker, the set's attempt, a lost attempt, a version written over a file, a delete
// marker) is gone, so the bucket holds nothing of it. LockedUntil reads the lock.
func TestDeleteAfterLockExpires(t *testing.T) {
	bucket := newBucket(t, true)
	s := openStore(t, bucket, "p")
	ref := store.Ref{Tenant: "acme", Deployment: "dev-1"}
	keep := store.Ref{Tenant: "acme", Deployment: "dev-2"}
	until := time.Now().Add(3 * time.Second).UTC().Truncate(time.Second).Add(time.Second)
	if err := store.CreateRetained(ctx, s, ref, storetest.Set("short"), until); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateRetained(ctx, s, keep, storetest.Set("keep"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A lost attempt under the same id (its marker never landed), and tampering by the root user.
	lost := strings.Repeat("ab", 16)
	u := until.Add(2 * time.Second) // locked longer than the set itself
	if _, err := s.Upload(ctx, ref, storetest.Set("lost"), &u, lost); err != nil {
		t.Fatal(err)
	}
	m, err := s.ReadMarker(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	manifestKey := s.FileKey(ref, m.Attempt, "manifest.json")
	if _, err := admin.PutObject(ctx, &awss3.PutObjectInput{Bucket: &bucket, Key: &manifestKey, Body: strings.NewReader("forged")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &bucket, Key: aws.String(s.MarkerKey(ref))}); err != nil {
		t.Fatal(err)
	}
	got, err := s.LockedUntil(ctx, ref)
	if err != nil || !got.Equal(until) {
		t.Fatalf("LockedUntil = %v, %v; want %v", got, err, until)
	}
	if got, err := s.RemovableAt(ctx, ref); err != nil || !got.Equal(u) {
		t.Fatalf("RemovableAt = %v, %v; want %v (the lost attempt's lock)", got, err, u)
	}

	err = s.Delete(ctx, ref)
	var le *store.LockedError
	if !errors.As(err, &le) || !le.Until.Equal(u) {
		t.Fatalf("Delete while locked: %v, want locked until %v", err, u)
	}
	storetest.Check(t, s, ref, storetest.Set("short"))
	// Past the set's own lock but not the lost attempt's: still refused, nothing removed.
	time.Sleep(time.Until(until) + 200*time.Millisecond)
	if err := s.Delete(ctx, ref); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("Delete before the lost attempt's lock ends: %v", err)
	}
	storetest.Check(t, s, ref, storetest.Set("short"))

	time.Sleep(time.Until(u) + 200*time.Millisecond)
	if err := s.Delete(ctx, ref); err != nil {
		t.Fatalf("Delete after the lock expired: %v", err)
	}
	objs, dms := versions(t, bucket, "p/acme/")
	for _, o := range append(objs, dms...) {
		if strings.Contains(o.key, "/dev-1") {
			t.Errorf("left after Delete: %s version %s", o.key, o.id)
		}
	}
	if _, err := s.Open(ctx, ref); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("Open after Delete: %v", err)
	}
	if _, err := s.RemovableAt(ctx, ref); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("RemovableAt after Delete: %v", err)
	}
	storetest.Check(t, s, keep, storetest.Set("keep"))
	if err := s.Delete(ctx, keep); !errors.Is(err, store.ErrLocked) {
		t.Errorf("Delete of the set locked for an hour: %v, want ErrLocked", err)
	}
}

// SetLegalHold puts the Object Lock legal hold on every version of the set and takes it off again.
func TestLegalHold(t *testing.T) {
	bucket := newBucket(t, true)
	s := openStore(t, bucket, "p")
	ref := store.Ref{Tenant: "acme", Deployment: "held"}
	if err := store.CreateRetained(ctx, s, ref, storetest.Set("h"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	status := func() map[string]string {
		out := map[string]string{}
		objs, _ := versions(t, bucket, "p/acme/")
		for _, o := range objs {
			r, err := admin.GetObjectLegalHold(ctx, &awss3.GetObjectLegalHoldInput{Bucket: &bucket, Key: &o.key, VersionId: &o.id})
			if err != nil {
				out[o.key] = "error: " + err.Error()
				continue
			}
			out[o.key] = string(r.LegalHold.Status)
		}
		return out
	}
	for _, on := range []bool{true, false} {
		if err := s.SetLegalHold(ctx, ref, on); err != nil {
			t.Fatal(err)
		}
		want := "OFF"
		if on {
			want = "ON"
		}
		got := status()
		if len(got) != len(storetest.Set("h"))+1 {
			t.Fatalf("%d objects: %v", len(got), got)
		}
		for k, v := range got {
			if v != want {
				t.Errorf("legal hold of %s: %s, want %s", k, v, want)
			}
		}
	}
	if err := s.SetLegalHold(ctx, store.Ref{Tenant: "acme", Deployment: "absent"}, true); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("legal hold of an absent set: %v", err)
	}
}
