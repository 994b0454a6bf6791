package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"
)

var funcs = template.FuncMap{
	// when is a time for people (UTC, to the second); iso the same for <time datetime>.
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// short is the start of a long hash, for a table; the whole one is in the title.
	"short": func(s string) string {
		s = strings.TrimPrefix(s, "sha256:")
		if len(s) > 16 {
			return s[:16] + "…"
		}
		return s
	},
	"size": func(n int64) string {
		switch {
		case n >= 1<<20:
			return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
		case n >= 1<<10:
			return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
		}
		return fmt.Sprintf("%d B", n)
	},
	// drift says a drift state in words (the colour is the class of the same name).
	"drift": func(state string) string {
		switch state {
		case "none":
			return "none: in sync with its sticker"
		case "missing":
			return "missing: no sticker on the target"
		case "corrupted":
			return "corrupted: the sticker is not valid or its signature fails"
		case "mismatch":
			return "mismatch: another release or other digests than issued"
		case "unknown", "":
			return "unknown: never checked"
		}
		return state
	},
	"join": strings.Join,
	"orID": orID,
	// dict builds a partial's data from name, value pairs.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, fmt.Errorf("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	"add": func(a, b int) int { return a + b },
}
