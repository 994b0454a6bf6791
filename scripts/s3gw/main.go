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
	"syscall"

	"github.com/stella-ops/stella/internal/store/s3/s3gw"
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := s3gw.Run(ctx, *dir, *addr, *access, *secret); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "s3gw:", err)
		os.Exit(1)
	}
}
