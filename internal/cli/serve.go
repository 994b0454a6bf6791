package cli

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/logbuf"
	"github.com/stella-ops/stella/internal/resolve"
	"github.com/stella-ops/stella/internal/retention"
	"github.com/stella-ops/stella/internal/server"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/web"
)

// leaseHolder names this process for the leases of scheduled jobs: host, pid and a random part (a
// restarted process is a new holder).
func leaseHolder() string {
	h, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", h, os.Getpid(), hex.EncodeToString(b))
}

var _ = register(newServeCommand)

func newServeCommand(g *Globals) *cobra.Command {
	var o dbOptions
	var addr, addrFile, storeURL, keyringDir, keyRef, tlsCert, tlsKey string
	var driftEvery, retentionEvery, lookupTTL, logFlush time.Duration
	var pubs []string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API: deployment jobs, artifacts, verification and evidence",
		Long: `Serve answers the HTTP API for callers with a bearer token (stella tokens create). The token names the
tenant and the role; another tenant's ids answer 404. Deployments generated with the same --data (or
--database) and --store are the API's deployment jobs of the same ids.

  GET  /api/v1/deployment-jobs[?limit=N]                   the tenant's jobs, newest first
  GET  /api/v1/deployment-jobs/{id}                        one job with its per-target tasks
  GET  /api/v1/deployment-jobs/{id}/artifacts              the set's files: name, type, size, sha256
  GET  /api/v1/deployment-jobs/{id}/artifacts/manifest     manifest.json as stored
  GET  /api/v1/deployment-jobs/{id}/artifacts/{name}       a file's bytes (ETag and Content-Digest: sha256)
  POST /api/v1/deployment-jobs/{id}/artifacts/{name}/verify   {valid, checksum, signature, problems}
  GET  /api/v1/evidence[?limit=N], /api/v1/evidence/{id}   evidence packets as stored (not for agents)
  PUT  /api/v1/releases/{id}, /api/v1/environments/{id}[/targets/{targetId}]   record inputs
  POST /api/v1/promotions, /api/v1/promotions/{id}/decisions                    request, approve, reject
  POST /api/v1/deployment-jobs                                                   deploy an approved promotion
  GET  /api/v1/openapi.json, /healthz, /metrics            no token needed
  GET  /ui/                                                the web interface for people (sign in with a token)

Writes need a deployer or admin token; POSTs an Idempotency-Key header. With --key the server signs what
it writes (artifact sets, decision evidence) with that key; without one those endpoints answer 503.

With --retention-interval the server runs stella retention sweep on that schedule; of several replicas
on one database, only the one holding the retention-sweep lease sweeps. Removals are signed with --key,
else with the key of each tenant's newest evidence packet.

Signatures are checked with the --public-key keys, else the keyring key each document names. SIGINT or
SIGTERM stops accepting connections and lets requests in flight finish.`,
		Example: `  stella serve --addr 127.0.0.1:8080 --store ./artifacts --public-key prod.pem
  stella serve --addr 127.0.0.1:0 --addr-file addr.txt &`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(100) // a long-running process: the default collector pacing
			}
			keys, err := loadKeys(pubs, keyringDir)
			if err != nil {
				return err
			}
			st, loc, err := openStore(storeLocation(storeURL))
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			db, err := o.openExisting(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			level := slog.LevelInfo
			if g.Verbose {
				level = slog.LevelDebug
			}
			var logOut io.Writer = g.Stderr
			if logFlush > 0 {
				lw := logbuf.New(g.Stderr, logFlush, 64<<10)
				defer lw.Close()
				logOut = lw
			}
			log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level}))
			if _, _, err := net.SplitHostPort(addr); err != nil {
				return fault.Inputf("--addr %s: %v", addr, err)
			}
			var tlsConf *tls.Config
			if tlsCert != "" || tlsKey != "" {
				if tlsCert == "" || tlsKey == "" {
					return fault.Inputf("--tls-cert and --tls-key: give both")
				}
				cert, err := tls.LoadX509KeyPair(tlsCert, tlsKey)
				if err != nil {
					return fault.Inputf("--tls-cert %s, --tls-key %s: %v", tlsCert, tlsKey, err)
				}
				tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				// A busy port or an address this host does not have: an operational error (exit 1).
				return fmt.Errorf("--addr %s: %w", addr, err)
			}
			if tlsConf != nil {
				ln = tls.NewListener(ln, tlsConf)
			}
			cfg := server.Config{DB: db, Store: st, Keys: keys, Log: log, LookupCacheTTL: lookupTTL,
				ValidCache: validCache(o.cacheDir()), LoadCache: loadsCache(o.cacheDir())}
			if keyRef != "" {
				if cfg.Signer, err = loadSigner(keyRef, keyringDir); err != nil {
					return err
				}
				if cfg.Resolver, err = resolve.New(resolve.Options{Concurrency: resolve.DefaultConcurrency, Timeout: resolve.DefaultTimeout, Log: log}); err != nil {
					return err
				}
			}
			h := server.New(cfg)
			holder := leaseHolder()
			ui, err := web.New(web.Config{API: h, Log: log})
			if err != nil {
				return err
			}
			h.Mount(web.Prefix, ui)
			if driftEvery > 0 {
				go h.WatchDrift(ctx, driftEvery, holder)
			}
			if retentionEvery > 0 {
				ro := retention.Options{DB: db, Store: st, Signer: cfg.Signer, Actor: "stella serve", Locate: loc.SetLocation}
				if ro.Signer == nil {
					ro.KeyFor = func(ref string) (*sign.Signer, error) { return openSigner(ref, keyringDir) }
				}
				go retention.Schedule(ctx, ro, retentionEvery, holder, log)
			}
			return server.Serve(ctx, ln, h, addrFile, log)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on, HOST:PORT (port 0 picks a free one)")
	cmd.Flags().StringVar(&addrFile, "addr-file", "", "file that receives the address actually bound, once it accepts connections")
	cmd.Flags().StringVar(&storeURL, "store", "", "artifact store: a directory or file:// URL (default $STELLA_STORE, else ./artifacts)")
	cmd.Flags().StringArrayVar(&pubs, "public-key", nil, "trusted public key for verification, PEM (repeatable); default: the keyring")
	keyringFlag(cmd, &keyringDir)
	cmd.Flags().StringVar(&tlsCert, "tls-cert", "", "serve HTTPS with this certificate chain (PEM); with --tls-key")
	cmd.Flags().StringVar(&tlsKey, "tls-key", "", "the private key of --tls-cert (PEM)")
	cmd.Flags().DurationVar(&logFlush, "log-flush", 100*time.Millisecond, "write the log (a line a request) in batches this often, or when 64 KiB are held (0: each line at once)")
	cmd.Flags().DurationVar(&lookupTTL, "lookup-cache", 5*time.Second, "keep what the lookups of a bearer token and of a deployment's artifact records found this long (0: look up on every request); a revoked token or agent is refused within this time")
	cmd.Flags().DurationVar(&driftEvery, "drift-interval", 10*time.Minute, "ask every registered agent to read its sticker this often (0: never); results are drift checks")
	cmd.Flags().DurationVar(&retentionEvery, "retention-interval", 0, "run the retention sweep this often (e.g. 24h; 0: never), on one replica at a time (a lease in the database)")
	cmd.Flags().StringVar(&keyRef, "key", "", "signing key reference for what the API writes (artifact sets, decision evidence)")
	_ = cmd.RegisterFlagCompletionFunc("key", completeKeys(&keyringDir))
	o.flags(cmd)
	return cmd
}
