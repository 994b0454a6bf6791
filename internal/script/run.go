package script

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/stella-ops/stella/internal/fault"
)

// Stage copies the regular files of the set in dir into a new private directory, so that what is
// verified is exactly what runs (nobody can change the files in between). cleanup removes the copy.
func Stage(dir string) (staged string, cleanup func(), err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", nil, fault.Inputf("DIR %s: %v", dir, err)
	}
	staged, err = os.MkdirTemp("", "stella-run-")
	if err != nil {
		return "", nil, fmt.Errorf("stage set %s: %w", dir, err)
	}
	cleanup = func() { _ = os.RemoveAll(staged) }
	for _, e := range entries {
		if !e.Type().IsRegular() {
			// Kept out of the copy; verification then reports the set as it was listed.
			if err := os.Mkdir(filepath.Join(staged, e.Name()), 0o700); err != nil {
				cleanup()
				return "", nil, fmt.Errorf("stage set %s: %w", dir, err)
			}
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil {
			err = os.WriteFile(filepath.Join(staged, e.Name()), data, 0o600)
		}
		if err != nil {
			cleanup()
			return "", nil, fmt.Errorf("stage set %s: %w", dir, err)
		}
	}
	return staged, cleanup, nil
}

// RunOptions configure running a set's deployment script.
type RunOptions struct {
	// WorkDir is where the hooks' commands run (default: the current directory).
	WorkDir string
	// Bash and Runtime are the shell and the CLR that run the scripts (default bash and mono on PATH).
	Bash    string
	Runtime string
	// Env is added to the process environment (NAME=value).
	Env    []string
	Stdout io.Writer
	Stderr io.Writer
}

// Script names the deployment script a set in dir carries: the compiled C# script, else the shell script.
func Script(dir string) (name string, err error) {
	for _, n := range []string{DLLName, ShellName} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return n, nil
		}
	}
	return "", fault.Inputf("DIR: the set has no deployment script (%s or %s); generate it with --workflow", ShellName, DLLName)
}

// Run runs the deployment script of the (verified) set in dir with the deployment's environment: the
// sticker's ids as STELLA_* variables, STELLA_SET_DIR, plus opts.Env. Output streams to opts.Stdout and
// opts.Stderr. It returns the script's exit status; err is for failing to start it at all.
func Run(ctx context.Context, dir string, opts RunOptions) (int, error) {
	name, err := Script(dir)
	if err != nil {
		return 0, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return 0, err
	}
	var prog string
	switch name {
	case DLLName:
		prog, err = lookTool(opts.Runtime, "mono", "--runtime", "the compiled C# script needs the Mono runtime: install the Debian package mono-runtime, or give --runtime PATH")
	default:
		prog, err = lookTool(opts.Bash, "bash", "--bash", "the shell script needs bash")
	}
	if err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, prog, filepath.Join(abs, name))
	cmd.Dir = opts.WorkDir
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = opts.Stdout, opts.Stderr
	env, err := deploymentEnv(abs)
	if err != nil {
		return 0, err
	}
	cmd.Env = append(append(os.Environ(), env...), opts.Env...)
	// On cancellation the script gets SIGTERM and ten seconds to stop its hooks.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("run %s: %w", name, ctx.Err())
		}
		if code := ee.ExitCode(); code > 0 {
			return code, nil
		}
		return 1, nil // killed by a signal
	}
	if err != nil {
		return 0, fmt.Errorf("run %s: %w", name, err)
	}
	return 0, nil
}

func lookTool(given, def, flag, missing string) (string, error) {
	if given != "" {
		p, err := exec.LookPath(given)
		if err != nil {
			return "", fault.Inputf("%s: %s: not an executable file", flag, given)
		}
		return p, nil
	}
	p, err := exec.LookPath(def)
	if err != nil {
		return "", fault.Inputf("%s: %s is not on PATH: %s", flag, def, missing)
	}
	return p, nil
}

// deploymentEnv is the deployment's identity from the sticker, as environment variables.
func deploymentEnv(dir string) ([]string, error) {
	env := []string{"STELLA_SET_DIR=" + dir}
	data, err := os.ReadFile(filepath.Join(dir, "stella.version.json"))
	if errors.Is(err, os.ErrNotExist) {
		return env, nil
	}
	if err != nil {
		return nil, err
	}
	var st struct {
		TenantID string `json:"tenantId"`
		Release  struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"release"`
		Deployment struct {
			ID              string `json:"id"`
			EnvironmentID   string `json:"environmentId"`
			EnvironmentName string `json:"environmentName"`
			Strategy        string `json:"strategy"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("read stella.version.json: %w", err)
	}
	return append(env,
		"STELLA_TENANT_ID="+st.TenantID,
		"STELLA_DEPLOYMENT_ID="+st.Deployment.ID,
		"STELLA_RELEASE_ID="+st.Release.ID,
		"STELLA_RELEASE_NAME="+st.Release.Name,
		"STELLA_ENVIRONMENT_ID="+st.Deployment.EnvironmentID,
		"STELLA_ENVIRONMENT_NAME="+st.Deployment.EnvironmentName,
		"STELLA_STRATEGY="+st.Deployment.Strategy,
	), nil
}
