package lockfile

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	interp "github.com/compose-spec/compose-go/v2/interpolation"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/stella-ops/stella/internal/release"
)

// Lookup gives a variable's value at deploy time, as far as generation knows it.
type Lookup func(name string) (string, bool)

// Placeholder stands for a value only the target knows (a secret, or a variable the template requires
// with ${NAME:?} or ${NAME?}) when the template is checked after interpolation. "1" is a valid string,
// number and boolean, so a required variable in a typed field does not fail the check.
const Placeholder = "1"

// EnvLookup is what Compose will see on the target: the environment's variables (stella.env) with
// their values and its secrets, which are resolved there, as placeholders. Any other variable is
// unset, so its default applies — what `docker compose --env-file stella.env config` would do.
func EnvLookup(env *release.Environment) Lookup {
	return func(name string) (string, bool) {
		if env == nil {
			return "", false
		}
		if v, ok := env.Variables[name]; ok {
			return v, true
		}
		for _, s := range env.Secrets {
			if s.Name == name {
				return Placeholder, true
			}
		}
		return "", false
	}
}

// Environment is EnvLookup(env), remembered with the names of env's secrets for the errors of the
// checks: a secret stands in a value Compose parses (a bind's source, a port's address) only as the
// placeholder, and an error there says so. Call it before Validator and CheckLock.
func (t *Template) Environment(env *release.Environment) Lookup {
	t.lookup = EnvLookup(env)
	t.secrets = map[string]bool{}
	if env != nil {
		for _, s := range env.Secrets {
			if _, isVar := env.Variables[s.Name]; !isVar {
				t.secrets[s.Name] = true
			}
		}
	}
	return t.lookup
}

// substitute is Compose's template.Substitute, except that a required variable without a value takes
// the placeholder: its value may come from the target's environment.
func substitute(s string, m template.Mapping) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	placeholders := map[string]bool{}
	for {
		out, err := template.SubstituteWithOptions(s, func(n string) (string, bool) {
			if placeholders[n] {
				return Placeholder, true
			}
			return m(n)
		}, template.WithoutLogging)
		var req *template.MissingRequiredError
		if errors.As(err, &req) && !placeholders[req.Variable] {
			placeholders[req.Variable] = true
			continue
		}
		return out, err
	}
}

// interpolate substitutes variables in a model as Compose does, with lookup's values; values stay
// strings (the schema accepts a string wherever a variable may stand).
func interpolate(m map[string]any, lookup Lookup) (map[string]any, error) {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	return interp.Interpolate(m, interp.Options{LookupValue: interp.LookupValue(lookup), Substitute: substitute})
}

var serviceQuoted = lazyRegexp(`^service "([^"]+)" `)

var errPath = lazyRegexp(`(?:^|[\s'"])((?:services|volumes|networks|secrets|configs|models|include|x-[^.\s]+)(?:\.[^\s:'"]+)*)`)

// pathError turns an error from compose-go that names a dotted path (services.api.pull_policy) into
// one naming the file and line where that path is; the path's trailing dot or colon is dropped.
func (t *Template) pathError(prefix string, err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "\n\n"); i >= 0 { // several joined errors: the first
		msg = msg[:i]
	}
	msg = strings.Join(strings.Fields(msg), " ")
	// compose-go's consistency checks say `service "api" refers to …`.
	if m := serviceQuoted().FindStringSubmatch(msg); m != nil {
		if file, line := t.locate([]string{"services", m[1]}); line > 0 {
			return inputErr(file, line, "services."+m[1], "%s%s%s", prefix, msg, t.placeholderHint([]string{"services", m[1]}))
		}
	}
	if m := errPath().FindStringSubmatch(msg); m != nil {
		// compose-go writes a list item as "[]" (devices.[]); the line is the list's.
		p := strings.TrimSuffix(strings.TrimRight(m[1], ".:"), ".[]")
		m[1] = strings.TrimRight(m[1], ".:")
		parts := strings.Split(p, ".")
		if file, line := t.locate(parts); line > 0 {
			rest := strings.TrimSpace(strings.Replace(msg, m[1], "", 1))
			rest = strings.TrimLeft(rest, ":. ")
			hint := t.placeholderHint(parts)
			if strings.HasPrefix(msg, m[1]) {
				return inputErr(file, line, p, "%s%s%s", prefix, rest, hint)
			}
			return inputErr(file, line, p, "%s%s%s", prefix, msg, hint)
		}
	}
	return inputErr(t.File, 0, "", "%s%s", prefix, msg)
}

// placeholderHint explains an error at path from the variables its value (or, for a service, any of its
// values) uses that the environment does not give: a required one was checked with the placeholder, a
// plain one without a default is empty, as Compose takes it (`${UPLOAD_LOCATION}:/data` is ":/data").
func (t *Template) placeholderHint(path []string) string {
	n := t.root
	for _, p := range path {
		if p == "[]" { // compose-go's word for an item of a list: the list's variables
			break
		}
		_, v := get(n, p)
		if v == nil {
			return ""
		}
		n = v
	}
	v, ok := toJSON(n)
	if !ok {
		return ""
	}
	vars := template.ExtractVariables(map[string]any{"v": v}, nil)
	var missing, empty, literal, secret []string
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		if t.secrets[name] {
			secret = append(secret, name)
			continue
		}
		if t.lookup != nil {
			if val, given := t.lookup(name); given {
				if strings.Contains(val, "$") && val != Placeholder {
					literal = append(literal, name)
				}
				continue
			}
		}
		switch x := vars[name]; {
		case x.Required:
			missing = append(missing, name)
		case x.DefaultValue == "" && x.PresenceValue == "":
			empty = append(empty, name)
		}
	}
	var hints []string
	if len(missing) > 0 {
		hints = append(hints, fmt.Sprintf("%s: required, not given by the environment, so checked with the placeholder %q; give it in environment.yaml variables", strings.Join(missing, ", "), Placeholder))
	}
	if len(empty) > 0 {
		hints = append(hints, fmt.Sprintf("%s: not given by the environment and without a default, so empty, as Compose takes it; give it in environment.yaml variables (a .env beside the template is not read)", strings.Join(empty, ", ")))
	}
	if len(secret) > 0 {
		hints = append(hints, fmt.Sprintf("%s: %s of the environment, resolved only on the target, so checked with the placeholder %q; a value Compose parses (a bind's source path, a port's address) cannot be a secret: give it in environment.yaml variables", strings.Join(secret, ", "), plural(secret, "a secret", "secrets"), Placeholder))
	}
	if len(literal) > 0 {
		hints = append(hints, fmt.Sprintf("%s: the environment's value is taken as written, $ included: stella.env quotes it, so Compose does not expand it", strings.Join(literal, ", ")))
	}
	if len(hints) == 0 {
		return ""
	}
	return " (" + strings.Join(hints, "; ") + ")"
}
