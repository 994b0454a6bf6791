package evidence

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr on first use, not at package initialisation: every command starts
// without paying for the patterns of the commands it does not run.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
