package lockfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/stella-ops/stella/internal/release"
)

// loadDomain keeps a LoadKey from ever being a ValidKey or any other hash of the same bytes; change the
// number when what a marker vouches for changes.
const loadDomain = "stella-lock-loads/1"

// LoadKey names compose-go's verdict on a stored lock, read with the set's stella.env: everything that
// verdict depends on — this build's checks and Compose schema (checkVersion, schemaSum), the lock's bytes
// and the env file's, an absent env file distinct from an empty one — as hex SHA-256, each field
// length-prefixed. The directory the lock is loaded from is not an input: a self-contained lock is
// loaded without resolving paths or reading other files (see Load).
func LoadKey(lock, env []byte, hasEnv bool) string {
	return loadKeyWith(checkVersion(), lock, env, hasEnv)
}

func loadKeyWith(checks string, lock, env []byte, hasEnv bool) string {
	h := sha256.New()
	field := func(v []byte) {
		fmt.Fprintf(h, "%d:", len(v))
		h.Write(v)
	}
	field([]byte(loadDomain))
	field([]byte(checks))
	s := schemaSum()
	field(s[:])
	field(lock)
	if hasEnv {
		h.Write([]byte("env"))
		field(env)
	} else {
		h.Write([]byte("no-env"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// LoadsAlike reports whether generation's load of lock (EnvLookup: the environment's variables, its
// secrets as placeholders) and verification's (the variables of stella.env only, secrets unset) give it
// the same values, so that the verdict of one is the other's: no secret of env is referred to in the lock.
// It errs on the safe side (any "$NAME" or "${NAME" counts); when it is false, a verification loads the
// lock itself.
func LoadsAlike(lock []byte, env *release.Environment) bool {
	if env == nil {
		return true
	}
	for _, s := range env.Secrets {
		if _, isVar := env.Variables[s.Name]; isVar {
			continue // the variable's value wins in both
		}
		if bytes.Contains(lock, []byte("$"+s.Name)) || bytes.Contains(lock, []byte("${"+s.Name)) {
			return false
		}
	}
	return true
}
