package verify

import (
	"bytes"
	"context"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/lockfile"
)

// compose checks that the lock is one Compose file that Compose will load on the target: compose-go's
// own loader (schema, interpolation, consistency checks) reads it with the set's stella.env, as the
// deploy script runs Compose. A set whose lock Compose would refuse does not verify, whatever its
// signatures say.
func (c *checker) compose() {
	lock, hasLock := c.content(lockfile.FileName)
	env, hasEnv := c.content(lockfile.EnvFileName)
	for _, p := range composeProblems(lock, hasLock, env, hasEnv, c.secretNames(), c.opts.LoadCache).problems {
		c.problem(p.File, p.Message, "", "")
	}
}

// composed is what composeProblems found: parsed is the YAML parser's error on the lock (which lock()
// reports), problems the rest.
type composed struct {
	parsed   error
	problems []fault.Problem
}

// composeProblems is compose's work on the lock's and the env file's bytes alone: check runs it beside
// the hashing of the streamed files and reports its problems in their place. When memo knows these exact
// bytes (generate checked them, or their template, with this build's checks: one YAML document,
// self-contained, loaded by compose-go), those checks are not made again; the env file is still read, which
// the marker does not vouch for.
func composeProblems(data []byte, hasLock bool, env []byte, hasEnv bool, secrets []string, memo LoadMemo) composed {
	var out composed
	if !hasLock {
		return out
	}
	vars := map[string]string{}
	if hasEnv {
		parsed, err := dotenv.ParseWithLookup(bytes.NewReader(env), func(string) (string, bool) { return "", false })
		if err != nil {
			out.problems = append(out.problems, fault.Problem{File: lockfile.EnvFileName, Message: "not an env file Compose can read: " + err.Error()})
		} else {
			vars = parsed
		}
	}
	lookup := lockfile.VerifyLookup(vars, secrets)
	if memo != nil && memo.Valid(lockfile.LoadKey(data, env, hasEnv, secrets)) {
		// These exact bytes passed every check below when generate made them (Template.CheckLock makes
		// CheckStored's three): parsing the lock again, nearly all that is left of verify's CPU for a
		// large lock, would only repeat them.
		return out
	}
	parsed, contained, loads := lockfile.CheckStored(context.Background(), data, ".", lookup)
	out.parsed = parsed
	if contained != nil {
		out.problems = append(out.problems, fault.Problem{File: lockfile.FileName, Message: "not a self-contained Compose file: " + contained.Error()})
		return out
	}
	if loads != nil {
		out.problems = append(out.problems, fault.Problem{File: lockfile.FileName, Message: "not a Compose file that Compose loads: " + loads.Error()})
	}
	return out
}

// secretNames are the secrets the signed manifest's environment names (none for a manifest without a
// subject): the lock is interpolated with the placeholder for each, as generation did — their values
// come from the target at deploy time. A manifest whose signature fails makes the set invalid anyway.
func (c *checker) secretNames() []string {
	if c.man == nil || c.man.Subject == nil {
		return nil
	}
	return lockfile.SecretNames(c.man.Subject.Environment)
}
