package lockfile

import (
	"maps"
	"slices"
	"strings"

	"github.com/stella-ops/stella/internal/release"
)

// EnvFileName is the set's env file: the environment's non-secret variables, which the deploy script
// passes to Compose with --env-file. Secrets are not in it; they stay references, resolved on the target.
const EnvFileName = "stella.env"

// plainValue is what Compose's dotenv parser reads back unchanged without quotes.
var plainValue = lazyRegexp(`^[A-Za-z0-9_./:@%+,=-]*$`)

// EnvFile renders the environment's variables as NAME=VALUE lines in name order, or nil when it has
// none. A value that the plain form would change (spaces, $, #, quotes) is single-quoted, which
// Compose's dotenv parser takes literally; a value it cannot read back exactly even so (a newline, a
// single quote, a trailing backslash) is refused, naming environment.yaml's line.
func EnvFile(env *release.Environment) ([]byte, error) {
	if env == nil || len(env.Variables) == 0 {
		return nil, nil
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(env.Variables)) {
		v := env.Variables[k]
		switch {
		case plainValue().MatchString(v):
			b.WriteString(k + "=" + v + "\n")
		case strings.ContainsAny(v, "'\n\r") || strings.HasSuffix(v, `\`):
			f := "variables." + k
			return nil, inputErr(env.File, env.Line(f), f, "the value cannot be written to %s so that Compose reads it back unchanged (it has a newline, a single quote or a trailing backslash)", EnvFileName)
		default:
			b.WriteString(k + "='" + v + "'\n")
		}
	}
	return []byte(b.String()), nil
}
