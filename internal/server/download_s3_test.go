package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/meta/connect"
	"github.com/stella-ops/stella/internal/meta/metatest"
	"github.com/stella-ops/stella/internal/store"
	"github.com/stella-ops/stella/internal/store/local"
	"github.com/stella-ops/stella/internal/store/s3/s3gw"
	"github.com/stella-ops/stella/internal/store/storetest"
	"github.com/stella-ops/stella/internal/store/storeurl"
)

const access, secret = "stella-test-access", "stella-test-secret-0123456789"

// TestMain makes this test binary, run with STELLA_TEST_S3GW_DIR set, the S3 gateway of TestDownloadS3:
// versitygw's posix backend changes the working directory of its process, which the other tests of
// this package (relative paths to docs/examples) cannot share.
func TestMain(m *testing.M) {
	if dir := os.Getenv("STELLA_TEST_S3GW_DIR"); dir != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := s3gw.Run(ctx, dir, os.Getenv("STELLA_TEST_S3GW_ADDR"), access, secret); err != nil && ctx.Err() == nil {
			fmt.Fprintln(os.Stderr, "s3gw:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startGateway runs the gateway as a child process on a free port of 127.0.0.1 and returns its endpoint;
// it is stopped when the test ends (and killed with this process).
func startGateway(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), "STELLA_TEST_S3GW_DIR="+t.TempDir(), "STELLA_TEST_S3GW_ADDR="+addr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway not listening on %s after 20s: %s", addr, out.String())
		}
	}
}

// Downloads from the S3 store (versitygw's gateway, in a child process) are read once and checked as they
// are sent: a small file before anything is sent (a mismatch is 422), a large one through
// checksum.Exact (a mismatch ends the response before its last bytes, so no client gets it whole). A
// Range on a large file is answered after the whole file was hashed (then 422 on a mismatch).
func TestDownloadS3(t *testing.T) {
	f := newFixture(t)
	endpoint := startGateway(t)
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(f.dir, "no-aws-config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(f.dir, "no-aws-credentials"),
		"AWS_PROFILE": "", "AWS_REGION": "", "AWS_SESSION_TOKEN": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	admin := awss3.New(awss3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(access, secret, "")})
	if _, err := admin.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("sets"), ObjectLockEnabledForBucket: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	st, err := storeurl.Open("s3://sets/stella?endpoint=" + endpoint + "&region=us-east-1&path-style=true")
	if err != nil {
		t.Fatal(err)
	}
	// acme/d1 as generated, copied into S3.
	d1 := store.Ref{Tenant: "acme", Deployment: "d1"}
	lfs, err := local.New(f.store).Open(ctx, d1)
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := fs.ReadDir(lfs, ".")
	var files []store.File
	for _, e := range ents {
		b, err := fs.ReadFile(lfs, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, store.File{Name: e.Name(), Data: b})
	}
	if err := st.Create(ctx, d1, files); err != nil {
		t.Fatal(err)
	}
	// acme/big: a large artifact (streamed into the store) and a small one, recorded as they are;
	// acme/bad: the same stored bytes recorded with other digests (of the same sizes).
	big, bigData := storetest.Streamed("big.bin", 3*checksum.BufferSize+777)
	small := []byte("small artifact\n")
	db, err := connect.Open(ctx, f.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	wrong := bytes.Clone(bigData)
	wrong[len(wrong)-1] ^= 1
	for dep, rec := range map[string][2][]byte{"big": {bigData, small}, "bad": {wrong, []byte("SMALL ARTIFACT\n")}} {
		metatest.Seed(t, db, "acme", dep, metatest.T0)
		if err := st.Create(ctx, store.Ref{Tenant: "acme", Deployment: dep}, []store.File{big, {Name: "small.txt", Data: small}}); err != nil {
			t.Fatal(err)
		}
		if err := db.Update(ctx, "acme", func(tx meta.Tx) error {
			return tx.PutArtifacts(ctx, dep, []meta.Artifact{
				{Name: "big.bin", Type: "other", Size: int64(len(rec[0])), SHA256: checksum.Sum(rec[0]), StorageKey: "acme/" + dep + "/big.bin"},
				{Name: "small.txt", Type: "other", Size: int64(len(rec[1])), SHA256: checksum.Sum(rec[1]), StorageKey: "acme/" + dep + "/small.txt"},
			})
		}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	base, _, logs := f.serveStore(t, st)
	tok := f.tokens["acme/auditor"]
	api := base + "/api/v1/deployment-jobs/"
	manifest, _ := fs.ReadFile(lfs, "manifest.json")
	if r := call(t, "GET", api+"d1/artifacts/manifest", tok); r.status != 200 || !bytes.Equal(r.body, manifest) {
		t.Fatalf("manifest from S3: %d, %d bytes", r.status, len(r.body))
	}
	if r := call(t, "GET", api+"big/artifacts/small.txt", tok); r.status != 200 || !bytes.Equal(r.body, small) {
		t.Fatalf("small artifact from S3: %d %q", r.status, r.body)
	}
	if r := call(t, "GET", api+"big/artifacts/big.bin", tok); r.status != 200 || !bytes.Equal(r.body, bigData) || r.header.Get("ETag") != `"`+big.SHA256+`"` {
		t.Fatalf("large artifact from S3: %d, %d bytes, ETag %s", r.status, len(r.body), r.header.Get("ETag"))
	}
	// A part: the whole object hashed first, then the part read with a ranged GET.
	for rng, want := range map[string][]byte{"bytes=100-199": bigData[100:200], "bytes=-10": bigData[len(bigData)-10:],
		"bytes=500000-": bigData[500000:]} {
		if r := call(t, "GET", api+"big/artifacts/big.bin", tok, "Range", rng); r.status != 206 || !bytes.Equal(r.body, want) {
			t.Fatalf("Range %s of the large artifact from S3: %d, %d bytes, want 206 with %d", rng, r.status, len(r.body), len(want))
		}
	}
	call(t, "GET", api+"bad/artifacts/big.bin", tok, "Range", "bytes=0-9").want(t, "a part of a large artifact that is not the recorded one", 422, "verification_failed")
	if r := call(t, "GET", api+"big/artifacts/big.bin", tok, "If-None-Match", `"`+big.SHA256+`"`); r.status != http.StatusNotModified {
		t.Fatalf("conditional GET of the large artifact: %d", r.status)
	}
	call(t, "GET", api+"bad/artifacts/small.txt", tok).want(t, "small artifact that is not the recorded one", 422, "verification_failed")
	// The large one: the response ends before its last bytes (the client's read fails or comes short).
	req, _ := http.NewRequest("GET", api+"bad/artifacts/big.bin", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, rerr := io.ReadAll(res.Body)
	res.Body.Close()
	if rerr == nil || len(got) >= len(bigData) {
		t.Fatalf("large artifact that is not the recorded one: status %d, %d of %d bytes, read error %v; want a cut response", res.StatusCode, len(got), len(bigData), rerr)
	}
	if !strings.Contains(logs.String(), "download stopped before its end") {
		t.Errorf("the cut download is not logged:\n%s", logs.String())
	}
}
