// Package s3gw runs versitygw's S3 gateway (embedgw) over a posix backend with a versioning directory, so
// that Object Lock is real: the S3 implementation the S3 store's tests, the retention tests and the crash
// campaign (scripts/s3gw) run against. Only tests and scripts import it.
package s3gw

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/versity/versitygw/backend/meta"
	"github.com/versity/versitygw/backend/posix"
	"github.com/versity/versitygw/embedgw"
)

// Run serves S3 on addr from dir (data and versions below it, created) with the given root credentials
// until ctx ends.
func Run(ctx context.Context, dir, addr, access, secret string) error {
	data, versions := filepath.Join(dir, "data"), filepath.Join(dir, "versions")
	for _, d := range []string{data, versions} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	be, err := posix.New(data, meta.XattrMeta{}, posix.PosixOpts{VersioningDir: versions, Concurrency: 256})
	if err != nil {
		return err
	}
	return embedgw.RunVersityGW(ctx, be, &embedgw.Config{
		RootUserAccess: access, RootUserSecret: secret, Region: "us-east-1",
		Ports: []string{addr}, MaxConnections: 1024, MaxRequests: 1024, MultipartMaxParts: 10000, Quiet: true,
	})
}

// Start runs the gateway in this process on a free port of 127.0.0.1 and waits until it accepts
// connections; it returns the endpoint (http://127.0.0.1:PORT) and the function that stops it.
func Start(dir, access, secret string) (endpoint string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, dir, addr, access, secret) }()
	stop = func() { cancel(); <-done }
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr, stop, nil
		}
		select {
		case err := <-done:
			cancel()
			return "", nil, errors.Join(errors.New("gateway stopped"), err)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("gateway not listening on %s after 10s", addr)
		}
	}
}
