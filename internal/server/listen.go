package server

import (
	"context"
	"errors"
	"fmt"
	"github.com/stella-ops/stella/internal/atomicfile"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ShutdownGrace is how long requests in flight may take to finish once the context is done.
const ShutdownGrace = 15 * time.Second

// Serve answers on ln with h until ctx is done, then shuts down gracefully (requests in flight finish,
// up to ShutdownGrace). When addrFile is not empty, the address ln is bound to is written there first —
// atomically, once the listener accepts connections — so a script that started `stella serve --addr
// 127.0.0.1:0` can read the port the moment the file appears.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, addrFile string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ConnContext:       corkContext,
		ConnState:         uncorkIdle,
	}
	if addrFile != "" {
		if err := atomicfile.Write(addrFile, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
			ln.Close()
			return fmt.Errorf("write --addr-file %s: %w", addrFile, err)
		}
	}
	log.Info("listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(corkListener{ln}) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("shut down %s: %w", ln.Addr(), err)
	}
	return nil
}
