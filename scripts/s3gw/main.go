// Command s3gw runs versitygw's S3 gateway (the one the S3 store's tests run in-process) as a process of
// its own, for campaigns that kill other processes while it keeps serving: a posix backend in -dir with
// a versioning directory (Object Lock needs it), on -addr, with the given root credentials.
//
//	go run ./scripts/s3gw -dir /tmp/gw -addr 127.0.0.1:9000 -access KEY -secret SECRET
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/versity/versitygw/backend/meta"
	"github.com/versity/versitygw/backend/posix"
	"github.com/versity/versitygw/embedgw"
)

func main() {
	dir := flag.String("dir", "", "data directory (created)")
	addr := flag.String("addr", "127.0.0.1:9000", "address to listen on")
	access := flag.String("access", "stella-access", "root access key")
	secret := flag.String("secret", "stella-secret-0123456789", "root secret key")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "s3gw: -dir is required")
		os.Exit(2)
	}
	data, versions := filepath.Join(*dir, "data"), filepath.Join(*dir, "versions")
	for _, d := range []string{data, versions} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			fmt.Fprintln(os.Stderr, "s3gw:", err)
			os.Exit(1)
		}
	}
	be, err := posix.New(data, meta.XattrMeta{}, posix.PosixOpts{VersioningDir: versions, Concurrency: 256})
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3gw:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = embedgw.RunVersityGW(ctx, be, &embedgw.Config{RootUserAccess: *access, RootUserSecret: *secret, Region: "us-east-1",
		Ports: []string{*addr}, MaxConnections: 1024, MaxRequests: 1024, MultipartMaxParts: 10000, Quiet: true})
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "s3gw:", err)
		os.Exit(1)
	}
}
