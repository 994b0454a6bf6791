package s3_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stella-ops/stella/internal/store"
	s3 "github.com/stella-ops/stella/internal/store/s3"
	"github.com/stella-ops/stella/internal/store/s3/s3gw"
	"github.com/stella-ops/stella/internal/store/storeurl"
)

// The tests run against a real S3 implementation: versitygw's gateway, in this process (one per process,
// as embedgw allows), over a posix backend in a temp dir with a versioning dir (which Object Lock needs).
// Clients reach it over TCP on 127.0.0.1 like any S3 endpoint, with credentials from the environment.
var (
	endpoint string // http://127.0.0.1:PORT
	admin    *awss3.Client
)

const (
	testAccess = "stella-test-access"
	testSecret = "stella-test-secret-0123456789"
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "stella-s3-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	var stop func()
	endpoint, stop, err = s3gw.Start(dir, testAccess, testSecret)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start versitygw:", err)
		return 1
	}
	defer stop()
	// The standard AWS chain, isolated from the machine's own AWS files and instance metadata.
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           testAccess,
		"AWS_SECRET_ACCESS_KEY":       testSecret,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "no-aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "no-aws-credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		os.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"} {
		os.Unsetenv(k)
	}
	admin = awss3.New(awss3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(testAccess, testSecret, ""),
	})
	return m.Run()
}

var buckets atomic.Int64

// newBucket creates an empty bucket, with Object Lock unless lock is false.
func newBucket(t testing.TB, lock bool) string {
	t.Helper()
	name := fmt.Sprintf("stella-test-%d", buckets.Add(1))
	in := &awss3.CreateBucketInput{Bucket: &name}
	if lock {
		in.ObjectLockEnabledForBucket = aws.Bool(true)
	}
	if _, err := admin.CreateBucket(context.Background(), in); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

// storeURL is the s3:// URL of bucket/prefix on the test gateway.
func storeURL(bucket, prefix string) string {
	u := "s3://" + bucket
	if prefix != "" {
		u += "/" + prefix
	}
	return u + "?endpoint=" + endpoint + "&region=us-east-1&path-style=true"
}

// openStore opens a store through storeurl, as stella does.
func openStore(t testing.TB, bucket, prefix string) *s3.Store {
	t.Helper()
	st, err := storeurl.Open(storeURL(bucket, prefix))
	if err != nil {
		t.Fatalf("storeurl.Open: %v", err)
	}
	s, ok := st.(*s3.Store)
	if !ok {
		t.Fatalf("storeurl.Open(s3://...) = %T, want *s3.Store", st)
	}
	return s
}

// newStore is a store in a new Object Lock bucket, under a prefix.
func newStore(t *testing.T) store.Store { return openStore(t, newBucket(t, true), "stella/artifacts") }
