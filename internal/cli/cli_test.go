package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/sign"
	"github.com/stella-ops/stella/internal/verify/verifytest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		// Main, as cmd/stella runs it: signals cancel the command's context (serve shuts down on them).
		"stella": func() { os.Exit(Main()) },
	})
}

// TestScripts runs the CLI scenarios in testdata/script/*.txtar. UPDATE_SCRIPTS=1 rewrites their
// golden sections (cmp against files in the archive).
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") == "1",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitfile": cmdWaitFile,
			"envfile":  cmdEnvFile,
			"resign":   cmdResign,
			"loadkey":  cmdLoadKey,
		},
		Setup: func(e *testscript.Env) error {
			e.Setenv("STELLA_KEYRING", e.WorkDir+"/keys")
			e.Setenv("HOME", e.WorkDir+"/home")
			return nil
		},
	})
}

// waitfile FILE waits (up to 20 s) until FILE exists and is not empty: a server's --addr-file.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile FILE")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(ts.MkAbs(args[0])); err == nil && len(b) > 0 {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfile %s: still absent after 20s", args[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// envfile NAME FILE sets $NAME to FILE's content without surrounding space (a token, an address).
func cmdEnvFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: envfile NAME FILE")
	}
	ts.Setenv(args[0], strings.TrimSpace(ts.ReadFile(args[1])))
}

// resign DIR KEY puts in the set in DIR a lock Compose refuses (verifytest.Refused) and signs the set
// again with keyring key KEY: every checksum and signature holds.
func cmdResign(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: resign DIR KEY")
	}
	dir := ts.MkAbs(args[0])
	s, err := sign.Keyring{Dir: ts.Getenv("STELLA_KEYRING")}.Signer(args[1])
	ts.Check(err)
	ents, err := os.ReadDir(dir)
	ts.Check(err)
	files := map[string][]byte{}
	for _, e := range ents {
		files[e.Name()], err = os.ReadFile(filepath.Join(dir, e.Name()))
		ts.Check(err)
	}
	ts.Check(verifytest.Resign(files, verifytest.Refused(files[lockfile.FileName]), s))
	for n, d := range files {
		os.Remove(filepath.Join(dir, n))
		ts.Check(os.WriteFile(filepath.Join(dir, n), d, 0o444))
	}
}

// loadkey DIR prints the memo's key (lockfile.LoadKey) of the set in DIR.
func cmdLoadKey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: loadkey DIR")
	}
	lock, err := os.ReadFile(ts.MkAbs(filepath.Join(args[0], lockfile.FileName)))
	ts.Check(err)
	env, err := os.ReadFile(ts.MkAbs(filepath.Join(args[0], lockfile.EnvFileName)))
	if err != nil && !os.IsNotExist(err) {
		ts.Fatalf("%v", err)
	}
	hasEnv := err == nil
	var secrets []string
	if data, err := os.ReadFile(ts.MkAbs(filepath.Join(args[0], manifest.FileName))); err == nil {
		if m, err := manifest.Parse(data); err == nil && m.Subject != nil {
			secrets = lockfile.SecretNames(m.Subject.Environment)
		}
	}
	_, err = ts.Stdout().Write([]byte(lockfile.LoadKey(lock, env, hasEnv, secrets) + "\n"))
	ts.Check(err)
}
