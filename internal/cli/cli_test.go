package cli

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
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
