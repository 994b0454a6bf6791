package s3_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/stella-ops/stella/internal/cli"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/quickstart"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/storeurl"
	"github.com/stella-ops/stella/internal/verify"
)

// TestGenerateToS3: `stella generate --store s3://...` stores the signed set in S3, every object locked
// in COMPLIANCE mode until the manifest's retainUntil (production: 7 years); the set read back from S3
// verifies; generating the same deployment again is refused.
func TestGenerateToS3(t *testing.T) {
	dir := t.TempDir()
	if err := quickstart.Write(dir); err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "keys")
	if _, err := (sign.Keyring{Dir: keys}).Generate("stella/signing/ci", sign.EdDSA); err != nil {
		t.Fatal(err)
	}
	bucket := newBucket(t, true)
	url := storeURL(bucket, "stella")
	args := []string{"generate", "--release", filepath.Join(dir, "release.yaml"), "--environment", filepath.Join(dir, "environment.yaml"),
		"--tenant", "acme", "--deployment-id", "deploy-42", "--key", "stella/signing/ci", "--keyring", keys,
		"--store", url, "--data", filepath.Join(dir, "data"), "--offline", "--promotion", filepath.Join(dir, "promotion.yaml")}
	var out, errb bytes.Buffer
	if code := cli.Run(ctx, args, &out, &errb); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errb.String())
	}
	if got, want := strings.TrimSpace(out.String()), "s3://"+bucket+"/stella/acme/deploy-42"; got != want {
		t.Errorf("generate printed %q, want %q", got, want)
	}
	if strings.Contains(out.String()+errb.String(), testSecret) {
		t.Error("generate printed the secret key")
	}
	st, err := storeurl.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	ref := store.Ref{Tenant: "acme", Deployment: "deploy-42"}
	fsys, err := st.Open(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	res, err := verify.Set(fsys, verify.Keys{Keyring: &sign.Keyring{Dir: keys}})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil || !res.Valid {
		t.Fatalf("the set read from S3 does not verify: %v", err)
	}
	out.Reset()
	errb.Reset()
	if code := cli.Run(ctx, []string{"verify", "--store", url, "--tenant", "acme", "--deployment-id", "deploy-42", "--keyring", keys}, &out, &errb); code != 0 || !strings.Contains(out.String(), "valid") {
		t.Fatalf("stella verify --store s3://…: exit %d: %s%s", code, out.String(), errb.String())
	}
	data, err := fs.ReadFile(fsys, "manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	until, err := time.Parse(time.RFC3339, m.RetainUntil)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(until); d < 7*365*24*time.Hour-time.Hour {
		t.Fatalf("manifest retainUntil %s is not ~7 years ahead (production)", m.RetainUntil)
	}
	objs, _ := versions(t, bucket, "stella/acme/")
	if len(objs) != len(res.Files)+1 {
		t.Errorf("%d objects, want %d files and the marker", len(objs), len(res.Files)+1)
	}
	for _, o := range objs {
		r, err := admin.GetObjectRetention(ctx, &awss3.GetObjectRetentionInput{Bucket: &bucket, Key: &o.key, VersionId: &o.id})
		if err != nil {
			t.Fatalf("GetObjectRetention(%s): %v", o.key, err)
		}
		if r.Retention.Mode != types.ObjectLockRetentionModeCompliance || !aws.ToTime(r.Retention.RetainUntilDate).Equal(until) {
			t.Errorf("%s: retention %s until %v, want COMPLIANCE until the manifest's %s", o.key, r.Retention.Mode, aws.ToTime(r.Retention.RetainUntilDate), m.RetainUntil)
		}
	}
	out.Reset()
	errb.Reset()
	if code := cli.Run(ctx, args, &out, &errb); code != 1 || !strings.Contains(errb.String(), "deploy-42") {
		t.Errorf("second generate: exit %d, stderr %q; want exit 1 naming the deployment", code, errb.String())
	}
	// fsck walks the S3 store (tenants, every set verified) against the metadata database.
	out.Reset()
	errb.Reset()
	if code := cli.Run(ctx, []string{"fsck", "--store", url, "--data", filepath.Join(dir, "data"), "--keyring", keys, "--output", "json"}, &out, &errb); code != 0 {
		t.Errorf("fsck of the S3 store: exit %d: %s %s", code, out.String(), errb.String())
	} else if !strings.Contains(out.String(), "deploy-42") {
		t.Errorf("fsck did not check acme/deploy-42: %s", out.String())
	}
	// With another metadata database the set is not recorded there: generate finds it stored in S3 and
	// records the stored set (read back through Open), still answering "already exists".
	out.Reset()
	errb.Reset()
	for i := range args {
		if args[i] == "--data" {
			args[i+1] = filepath.Join(dir, "data2")
		}
	}
	if code := cli.Run(ctx, args, &out, &errb); code != 1 || !strings.Contains(errb.String(), "deployment acme/deploy-42 already exists (stored at s3://"+bucket+"/stella/acme/deploy-42, from the same inputs; it had not been recorded and now is, from the stored set itself)") {
		t.Errorf("generate with a new database: exit %d, stderr %q", code, errb.String())
	}
	if objs2, _ := versions(t, bucket, "stella/acme/"); len(objs2) != len(objs) {
		t.Errorf("the refused generates wrote %d more objects", len(objs2)-len(objs))
	}
}

// TestGenerateToS3PastNowAndForeignSet: a --now whose tier retention ended long ago still stores a set
// locked from the real time (never an unlocked one); another tenant's signed set placed under acme's id
// does not verify there.
func TestGenerateToS3PastNowAndForeignSet(t *testing.T) {
	dir := t.TempDir()
	if err := quickstart.Write(dir); err != nil {
		t.Fatal(err)
	}
	env := "id: env-dev\nname: development\ntier: development\n"
	if err := os.WriteFile(filepath.Join(dir, "dev.yaml"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "keys")
	if _, err := (sign.Keyring{Dir: keys}).Generate("stella/signing/ci", sign.EdDSA); err != nil {
		t.Fatal(err)
	}
	bucket := newBucket(t, true)
	url := storeURL(bucket, "stella")
	gen := func(tenant, id string) {
		t.Helper()
		var out, errb bytes.Buffer
		args := []string{"generate", "--release", filepath.Join(dir, "release.yaml"), "--environment", filepath.Join(dir, "dev.yaml"),
			"--tenant", tenant, "--deployment-id", id, "--key", "stella/signing/ci", "--keyring", keys,
			"--store", url, "--data", filepath.Join(dir, "data"), "--offline", "--now", "2026-01-10T14:30:00Z"}
		if code := cli.Run(ctx, args, &out, &errb); code != 0 {
			t.Fatalf("generate %s/%s: exit %d: %s", tenant, id, code, errb.String())
		}
	}
	gen("acme", "old-now")
	// The manifest says 30 days from 2026-01-10; the lock runs 30 days from now.
	objs, _ := versions(t, bucket, "stella/acme/")
	if len(objs) == 0 {
		t.Fatal("nothing stored")
	}
	for _, o := range objs {
		r, err := admin.GetObjectRetention(ctx, &awss3.GetObjectRetentionInput{Bucket: &bucket, Key: &o.key, VersionId: &o.id})
		if err != nil {
			t.Fatalf("%s has no retention: %v", o.key, err)
		}
		if until := aws.ToTime(r.Retention.RetainUntilDate); until.Before(time.Now().AddDate(0, 0, 30).Add(-time.Hour)) {
			t.Errorf("%s locked until %v: less than 30 days from now", o.key, until)
		}
	}
	// globex's set, copied under acme/copied by someone with write access to the bucket.
	gen("globex", "g1")
	st := openStore(t, bucket, "stella")
	fsys, err := st.Open(ctx, store.Ref{Tenant: "globex", Deployment: "g1"})
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := fs.ReadDir(fsys, ".")
	var files []store.File
	for _, e := range ents {
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, store.File{Name: e.Name(), Data: b})
	}
	if err := store.CreateRetained(ctx, st, store.Ref{Tenant: "acme", Deployment: "copied"}, files, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := cli.Run(ctx, []string{"verify", "--store", url, "--tenant", "acme", "--deployment-id", "copied", "--keyring", keys}, &out, &errb)
	if code != 3 || !strings.Contains(errb.String(), `manifest.json: signed for tenant "globex", but found as tenant "acme"`) ||
		!strings.Contains(errb.String(), `signed for deployment "g1", but found as deployment "copied"`) {
		t.Errorf("verify of a foreign set in S3: exit %d: %s", code, errb.String())
	}
}
