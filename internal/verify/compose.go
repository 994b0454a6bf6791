package verify

import (
	"bytes"
	"context"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/stella-ops/stella/internal/lockfile"
)

// compose checks that the lock is one Compose file that Compose will load on the target: compose-go's
// own loader (schema, interpolation, consistency checks) reads it with the set's stella.env, as the
// deploy script runs Compose. A set whose lock Compose would refuse does not verify, whatever its
// signatures say.
func (c *checker) compose() {
	data, ok := c.files[lockfile.FileName]
	if !ok {
		return
	}
	vars := map[string]string{}
	if env, ok := c.files[lockfile.EnvFileName]; ok {
		parsed, err := dotenv.ParseWithLookup(bytes.NewReader(env), func(string) (string, bool) { return "", false })
		if err != nil {
			c.problem(lockfile.EnvFileName, "not an env file Compose can read: "+err.Error(), "", "")
		} else {
			vars = parsed
		}
	}
	lookup := func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
	if err := lockfile.SelfContained(data); err != nil {
		c.problem(lockfile.FileName, "not a self-contained Compose file: "+err.Error(), "", "")
		return
	}
	if _, err := lockfile.Load(context.Background(), lockfile.FileName, data, ".", lookup); err != nil {
		c.problem(lockfile.FileName, "not a Compose file that Compose loads: "+err.Error(), "", "")
	}
}
