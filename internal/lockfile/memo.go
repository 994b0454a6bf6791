package lockfile

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/stella-ops/stella/internal/release"
)

// loadDomain keeps a LoadKey from ever being a ValidKey or any other hash of the same bytes; change the
// number when what a marker vouches for changes.
const loadDomain = "stella-lock-loads/3"

// LoadKey names the verdict of the checks verification makes of a stored lock's bytes (CheckStored: one
// YAML document, self-contained, loaded by compose-go; generation makes the same, Template.CheckLock),
// interpolated as both interpolate it (VerifyLookup, EnvLookup): with the variables of the set's
// stella.env and the placeholder for each of the environment's secrets. It covers everything that
// verdict depends on — this build's checks and Compose schema (checkVersion, schemaSum), the lock's bytes,
// the env file's (an absent env file distinct from an empty one) and the secrets' names — as hex SHA-256,
// each field length-prefixed. The directory the lock is loaded from is not an input: a self-contained
// lock is loaded without resolving paths or reading other files (see Load).
func LoadKey(lock, env []byte, hasEnv bool, secrets []string) string {
	return loadKeyWith(checkVersion(), lock, env, hasEnv, secrets)
}

func loadKeyWith(checks string, lock, env []byte, hasEnv bool, secrets []string) string {
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
	names := slices.Compact(slices.Sorted(slices.Values(secrets)))
	fmt.Fprintf(h, "secrets %d:", len(names))
	for _, n := range names {
		field([]byte(n))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// SecretNames are the names of env's secrets (nil env: none).
func SecretNames(env *release.Environment) []string {
	if env == nil {
		return nil
	}
	names := make([]string, 0, len(env.Secrets))
	for _, s := range env.Secrets {
		names = append(names, s.Name)
	}
	return names
}

// VerifyLookup is what a verification interpolates a stored lock with, as generation did (EnvLookup):
// the variables of the set's stella.env, then the placeholder for each secret the signed manifest's
// environment names — a secret's value comes from the target at deploy time.
func VerifyLookup(vars map[string]string, secrets []string) Lookup {
	return func(name string) (string, bool) {
		if v, ok := vars[name]; ok {
			return v, true
		}
		if slices.Contains(secrets, name) {
			return Placeholder, true
		}
		return "", false
	}
}
