package lockfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/stella-ops/stella/internal/release"
)

// loadDomain keeps a LoadKey from ever being a ValidKey or any other hash of the same bytes; change the
// number when what a marker vouches for changes.
const loadDomain = "stella-lock-loads/2"

// LoadKey names the verdict of the checks verification makes of a stored lock's bytes, read with the
// set's stella.env (CheckStored: one YAML document, self-contained, loaded by compose-go; generation
// makes the same, Template.CheckLock): everything that verdict depends on — this build's checks and Compose schema (checkVersion, schemaSum), the lock's bytes
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
// secrets as the placeholder) and verification's (the variables of stella.env only, secrets unset) must
// give the same verdict, so that generation's may stand for verification's. They differ only in the
// values they give secrets, so it is true when no secret is referred to, and when every reference is
// where Compose checks no value: in a service's environment, as the value of a mapping or of a list item
// NAME=… whose NAME is literal and unique in the list (the schema wants the items unique, which unique
// names keep whatever the values). Anything else — a secret in a typed field, a key, another section, a
// lock this cannot read — is false, and a verification loads the lock itself.
func LoadsAlike(lock []byte, env *release.Environment) bool { return loadsAlike(nil, lock, env) }

// loadsAlike is LoadsAlike with the lock's model if it was decoded already (else nil: it is decoded
// here when a secret is referred to).
func loadsAlike(m map[string]any, lock []byte, env *release.Environment) bool {
	if env == nil {
		return true
	}
	var secrets []string
	for _, s := range env.Secrets {
		if _, isVar := env.Variables[s.Name]; !isVar && refersTo(lock, s.Name) {
			secrets = append(secrets, s.Name)
		}
	}
	if len(secrets) == 0 {
		return true
	}
	if m == nil {
		var ok bool
		if m, ok = lockModel(lock); !ok {
			return false
		}
	}
	refers := func(v string) bool {
		for _, s := range secrets {
			if refersTo([]byte(v), s) {
				return true
			}
		}
		return false
	}
	services, _ := m["services"].(map[string]any)
	for k, v := range m {
		if k != "services" && mentions(v, refers) || refers(k) {
			return false
		}
	}
	for name, def := range services {
		svc, ok := def.(map[string]any)
		if refers(name) || !ok && mentions(def, refers) {
			return false
		}
		for k, v := range svc {
			if k == "environment" && valuesOnly(v, refers) {
				continue
			}
			if refers(k) || mentions(v, refers) {
				return false
			}
		}
	}
	return true
}

// refersTo reports whether data may refer to variable name ($NAME or ${NAME…, possibly a longer name:
// on the safe side).
func refersTo(data []byte, name string) bool {
	return bytes.Contains(data, []byte("$"+name)) || bytes.Contains(data, []byte("${"+name))
}

// mentions reports whether refers holds for any string of v, keys included.
func mentions(v any, refers func(string) bool) bool {
	switch v := v.(type) {
	case string:
		return refers(v)
	case map[string]any:
		for k, e := range v {
			if refers(k) || mentions(e, refers) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if mentions(e, refers) {
				return true
			}
		}
	}
	return false
}

// valuesOnly reports whether a service's environment refers to secrets only in its values (see
// LoadsAlike).
func valuesOnly(env any, refers func(string) bool) bool {
	switch env := env.(type) {
	case map[string]any:
		for k := range env {
			if refers(k) {
				return false
			}
		}
		return true
	case []any:
		names := map[string]bool{}
		for _, e := range env {
			item, ok := e.(string)
			if !ok {
				return false
			}
			name, _, _ := strings.Cut(item, "=")
			if strings.Contains(name, "$") || names[name] {
				return false
			}
			names[name] = true
		}
		return true
	}
	return !mentions(env, refers)
}
