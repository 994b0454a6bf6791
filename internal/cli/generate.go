package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"
	"github.com/stella-ops/stella/internal/deploy"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/generate"
	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/meta"
	"github.com/stella-ops/stella/internal/release"
	"github.com/stella-ops/stella/internal/resolve"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/sticker"
	"github.com/stella-ops/stella/internal/store"
)

var _ = register(newGenerateCommand)

// GenerateOptions are the flags of stella generate.
type GenerateOptions struct {
	Release      string
	Environment  string
	Tenant       string
	DeploymentID string
	Key          string
	Keyring      string
	Store        string
	Now          string
	TargetNames  []string
	PromotionID  string
	Promotion    string
	DB           dbOptions
	Deployer     sticker.Deployer
	Previous     sticker.Previous
	WorkflowOptions
	// Image resolution.
	InsecureRegistries []string
	Platform           string
	Offline            bool
	ResolveConcurrency int
	RegistryTimeout    time.Duration
}

func newGenerateCommand(g *Globals) *cobra.Command {
	o := &GenerateOptions{}
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate, sign and store the artifact set of one deployment",
		Long: `Generate turns a release, an environment and the release's Compose template into the signed artifact
set of one deployment and stores it as STORE/TENANT/DEPLOYMENT/:

  compose.stella.lock.yml   the template with every image pinned to a digest
  stella.version.json       the version sticker template (signed)
  manifest.json             every artifact with type, size and SHA-256 (signed)
  checksums.sha256          sha256sum -c format, every other file
  checksums.sha256.sig      signature of checksums.sha256

With --workflow, the set also carries the deployment script, checked at generation: deploy.stella.sh
generated from the workflow's hooks (or the user's own .sh), or for a C# script deploy.stella.script.csx,
deploy.stella.script.dll and StellaOps.Sdk.dll compiled with Mono's mcs. The workflow's strategy goes into
the sticker. Run a set's script with stella run-script DIR.

A set is created once: generating an existing deployment id fails and leaves the first set untouched.`,
		Example: `  stella keys generate stella/signing/dev --alg EdDSA
  stella generate --release release.yaml --environment environment.yaml \
    --tenant acme --deployment-id deploy-42 --key stella/signing/dev
  stella verify artifacts/acme/deploy-42`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGenerate(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Release, "release", "", "release file (release.yaml)")
	f.StringVar(&o.Environment, "environment", "", "environment file (environment.yaml)")
	f.StringVar(&o.Tenant, "tenant", "", "tenant id")
	f.StringVar(&o.DeploymentID, "deployment-id", "", "deployment id (unique within the tenant)")
	f.StringVar(&o.Key, "key", "", "signing key reference in the keyring (e.g. stella/signing/prod-key-2026)")
	keyringFlag(cmd, &o.Keyring)
	f.StringVar(&o.Store, "store", "", "artifact store: a directory, file:// URL or s3://BUCKET/PREFIX?endpoint=..&region=.. (default $STELLA_STORE, else ./artifacts)")
	f.StringVar(&o.Now, "now", "", "fix every generated time (RFC 3339) for reproducible output")
	f.StringArrayVar(&o.TargetNames, "target-name", nil, "add a signed sticker for this target (repeatable)")
	f.StringVar(&o.PromotionID, "promotion-id", "", "id of the promotion the deployment carries out")
	f.StringVar(&o.Promotion, "promotion", "", "promotion file (promotion.yaml): its decision and actors go into the deployment's evidence")
	o.DB.flags(cmd)
	f.StringVar(&o.Deployer.UserID, "deployer-id", "", "sticker: id of the user who deploys")
	f.StringVar(&o.Deployer.UserName, "deployer-name", "", "sticker: name of the user who deploys")
	f.StringVar(&o.Deployer.AgentID, "agent-id", "", "sticker: id of the agent that deploys")
	f.StringVar(&o.Deployer.AgentName, "agent-name", "", "sticker: name of the agent that deploys")
	f.StringVar(&o.Previous.ReleaseID, "previous-release-id", "", "sticker: release this deployment replaces")
	f.StringVar(&o.Previous.ReleaseName, "previous-release-name", "", "sticker: name of the release this deployment replaces")
	f.StringVar(&o.Previous.Digest, "previous-digest", "", "sticker: digest of the primary image this deployment replaces")
	workflowFlags(cmd, &o.WorkflowOptions)
	f.StringArrayVar(&o.InsecureRegistries, "insecure-registry", nil, "reach this registry host[:port] over plain HTTP (repeatable; adds to the environment's registries.insecure)")
	f.StringVar(&o.Platform, "platform", "", "pin multi-platform images to this platform's manifest (os/arch[/variant], e.g. linux/arm64) instead of the index")
	f.BoolVar(&o.Offline, "offline", false, "never contact a registry: every image must already have a digest")
	f.IntVar(&o.ResolveConcurrency, "resolve-concurrency", resolve.DefaultConcurrency, "registry requests in flight when resolving tags to digests")
	f.DurationVar(&o.RegistryTimeout, "registry-timeout", resolve.DefaultTimeout, "time allowed for each registry request")
	for _, r := range []string{"release", "environment", "tenant", "deployment-id", "key"} {
		_ = cmd.MarkFlagRequired(r)
	}
	_ = cmd.MarkFlagFilename("release", "yaml", "yml", "json")
	_ = cmd.MarkFlagFilename("environment", "yaml", "yml", "json")
	_ = cmd.MarkFlagFilename("promotion", "yaml", "yml", "json")
	_ = cmd.MarkFlagDirname("store")
	_ = cmd.RegisterFlagCompletionFunc("key", completeKeys(&o.Keyring))
	return cmd
}

func completeKeys(dir *string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		refs, _ := keyring(*dir).List()
		return refs, cobra.ShellCompDirectiveNoFileComp
	}
}

// parseNow reads --now; empty means the current time.
func parseNow(s string) (time.Time, error) {
	if s == "" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fault.Inputf("--now: %q is not an RFC 3339 time (e.g. 2026-01-10T14:30:00Z)", s)
	}
	return t, nil
}

// loadSigner resolves --key through its scheme's backend (keyring, pkcs11:, env:).
func loadSigner(ref, dir string) (*sign.Signer, error) {
	s, err := openSigner(ref, dir)
	return s, keyErr("--key", err)
}

func storeLocation(flag string) string {
	if flag != "" {
		return flag
	}
	if s := os.Getenv("STELLA_STORE"); s != "" {
		return s
	}
	return "artifacts"
}

func runGenerate(cmd *cobra.Command, g *Globals, o *GenerateOptions) error {
	ctx := cmd.Context()
	valid := validCache(o.DB.cacheDir())
	if valid.Empty() {
		// No template was ever validated with this data directory: this one will be, so the Compose
		// schema compiles on the second core while the inputs load.
		lockfile.WarmUp()
	}
	now, err := parseNow(o.Now)
	if err != nil {
		return err
	}
	if err := store.CheckName("--tenant", o.Tenant); err != nil {
		return err
	}
	if err := store.CheckName("--deployment-id", o.DeploymentID); err != nil {
		return err
	}
	signer, err := loadSigner(o.Key, o.Keyring)
	if err != nil {
		return err
	}
	st, loc, err := openStore(storeLocation(o.Store))
	if err != nil {
		return err
	}
	promo, err := loadPromotion(o)
	if err != nil {
		return err
	}
	in, err := generate.Load(o.Release, o.Environment)
	if err != nil {
		return err
	}
	if promo != nil {
		in.Files = append(in.Files, manifest.Input{Role: "promotion", Name: filepath.Base(o.Promotion), SHA256: promo.SHA256})
	}
	if err := deploy.CheckPromotion(in, promo); err != nil {
		return err
	}
	// The metadata database opens (generate creates it on first use) while the set is generated.
	type opened struct {
		db  meta.DB
		err error
	}
	dbReady := make(chan opened, 1)
	go func() {
		db, err := o.DB.open(ctx)
		dbReady <- opened{db, err}
	}()
	waitDB := sync.OnceValues(func() (meta.DB, error) { r := <-dbReady; return r.db, r.err })
	defer func() {
		if db, err := waitDB(); err == nil {
			db.Close()
		}
	}()
	strategy, extra, wfInputs, err := workflowArtifacts(ctx, g, o.WorkflowOptions, o.Tenant, in.Environment.ID, o.DeploymentID)
	if err != nil {
		return err
	}
	in.Files = append(in.Files, wfInputs...)
	resolver, finishProgress, err := newResolver(g, o, in, now)
	if err != nil {
		return err
	}
	trust, err := loadKeys(nil, o.Keyring)
	if err != nil {
		return err
	}
	svc := &deploy.Service{
		DB:     func(context.Context) (meta.DB, error) { return waitDB() },
		Store:  st,
		Locate: loc.SetLocation,
		Trust:  trust,
		Log:    g.Log,
	}
	out, err := svc.Create(ctx, deploy.Request{
		Generate: generate.Request{
			Inputs: in, TenantID: o.Tenant, DeploymentID: o.DeploymentID, Signer: signer, Now: now,
			TargetNames: o.TargetNames, Deployer: o.Deployer, Previous: o.Previous,
			Strategy: strategy.Type, BatchSize: strategy.BatchSize, OnFailure: strategy.OnFailure, Extra: extra,
			Resolver: resolver, CheckPinned: g.Verbose && !o.Offline,
			ValidCache: valid,
			LoadCache:  loadsCache(o.DB.cacheDir()),
		},
		Promotion: promo,
	})
	finishProgress()
	if err != nil {
		return err
	}
	res, dir := out.Set, out.Location
	g.Log.Debug("generated", "tenant", o.Tenant, "deployment", o.DeploymentID, "files", len(res.Files), "location", dir)
	if g.JSON() {
		type fileOut struct {
			Name   string `json:"name"`
			Size   int64  `json:"size"`
			SHA256 string `json:"sha256"`
		}
		out := struct {
			TenantID     string    `json:"tenantId"`
			DeploymentID string    `json:"deploymentId"`
			Location     string    `json:"location"`
			Files        []fileOut `json:"files"`
			Pins         any       `json:"images"`
			Resolutions  any       `json:"resolutions"`
			Signer       string    `json:"signerKeyRef"`
			Algorithm    string    `json:"signatureAlgorithm"`
			EvidenceID   string    `json:"evidenceId"`
		}{o.Tenant, o.DeploymentID, dir, nil, res.Pins, res.Manifest.Resolutions, signer.Ref, signer.Alg, out.Record.EvidenceID}
		for _, f := range res.Files {
			size, sum := f.Sum()
			out.Files = append(out.Files, fileOut{f.Name, size, sum})
		}
		if len(res.Manifest.Resolutions) == 0 {
			out.Resolutions = []any{} // [] rather than null when every image was pinned
		}
		return g.PrintJSON(out)
	}
	_, err = fmt.Fprintln(g.Stdout, dir)
	return err
}

// newResolver builds the registry resolver from the flags and the environment's registries block. Its
// clock is the generation's, so --now fixes the recorded resolution times too. Progress (n/m images) is
// drawn on stderr only when stderr is a terminal; the returned func ends the progress line.
func newResolver(g *Globals, o *GenerateOptions, in *generate.Inputs, now time.Time) (*resolve.Resolver, func(), error) {
	if o.ResolveConcurrency < 1 {
		return nil, nil, fault.Inputf("--resolve-concurrency: %d is not a positive number", o.ResolveConcurrency)
	}
	if o.RegistryTimeout <= 0 {
		return nil, nil, fault.Inputf("--registry-timeout: %s is not a positive duration", o.RegistryTimeout)
	}
	for _, h := range o.InsecureRegistries {
		if !release.IsRegistryHost(h) {
			return nil, nil, fault.Inputf("--insecure-registry: %q is not a registry host or host:port", h)
		}
	}
	if o.Platform != "" {
		if p, err := v1.ParsePlatform(o.Platform); err != nil || p.OS == "" || p.Architecture == "" {
			return nil, nil, fault.Inputf("--platform: %q is not os/arch[/variant] (e.g. linux/arm64)", o.Platform)
		}
	}
	regs := in.Environment.Registries
	opts := resolve.Options{
		Insecure:    append(append([]string(nil), regs.Insecure...), o.InsecureRegistries...),
		Mirrors:     regs.Mirrors,
		Concurrency: o.ResolveConcurrency,
		Timeout:     o.RegistryTimeout,
		Platform:    o.Platform,
		Offline:     o.Offline,
		Now:         func() time.Time { return now.UTC().Truncate(time.Second) },
		Log:         g.Log,
	}
	finish := func() {}
	if isTerminal(g.Stderr) {
		drawn := false
		opts.Progress = func(n, m int) {
			drawn = true
			fmt.Fprintf(g.Stderr, "\rresolving images: %d/%d", n, m)
		}
		finish = func() {
			if drawn {
				fmt.Fprintln(g.Stderr)
			}
		}
	}
	r, err := resolve.New(opts)
	if err != nil {
		return nil, nil, err
	}
	return r, finish, nil
}

// isTerminal reports whether w is a character device (a terminal), where progress may be drawn.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
