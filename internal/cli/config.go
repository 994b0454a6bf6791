package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stella-ops/stella/internal/fault"
	yaml "go.yaml.in/yaml/v3"
)

// DefaultConfigFile is read when it exists and neither --config nor $STELLA_CONFIG names another.
const DefaultConfigFile = "/etc/stella/stella.yaml"

// Flags no environment variable or config file sets: they are about this invocation only, or their
// variable means something else (STELLA_DATABASE yields to --data; see dbOptions.URL).
var notConfigurable = map[string]bool{"help": true, "version": true, "config": true, "database": true}

// envOwnDefault are flags whose $STELLA_ variable is already their default where they are used (and
// must not count as given: --keyring given beside --public-key would trust the keyring too).
var envOwnDefault = map[string]bool{"keyring": true, "store": true, "data": true, "server": true, "token": true}

// configure fills every flag of cmd that the command line left unset, in one mapping for every command:
// flags > $STELLA_FLAG_NAME (upper case, '-' → '_') > the config file > defaults. The config file is
// YAML: top-level keys named like flags apply to every command that has the flag; a section named after
// a command ("serve:", "evidence verify:") applies to that command and wins over the top level. A list
// (for a repeatable flag) is a YAML sequence.
func configure(cmd *cobra.Command, configFlag string) error {
	file := configFlag
	if file == "" {
		file = os.Getenv("STELLA_CONFIG")
	}
	explicit := file != ""
	if file == "" {
		file = DefaultConfigFile
	}
	values := map[string]any{}
	data, err := os.ReadFile(file)
	switch {
	case err == nil:
		var doc map[string]any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return fault.Inputf("--config %s: %v", file, err)
		}
		path := strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
		for k, v := range doc {
			if _, isSection := v.(map[string]any); !isSection {
				values[k] = v
			}
		}
		if sec, ok := doc[path].(map[string]any); ok {
			for k, v := range sec {
				values[k] = v
			}
		}
	case errors.Is(err, fs.ErrNotExist) && !explicit:
	default:
		return fault.Inputf("--config %s: %v", file, err)
	}
	var ferr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if ferr != nil || f.Changed || notConfigurable[f.Name] {
			return
		}
		env := "STELLA_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := os.Getenv(env); v != "" {
			if envOwnDefault[f.Name] {
				return // its own default reads it
			}
			if err := f.Value.Set(v); err != nil {
				ferr = fault.Inputf("$%s: %v", env, err)
			}
			return
		}
		v, ok := values[f.Name]
		if !ok {
			return
		}
		items := []any{v}
		if list, isList := v.([]any); isList {
			items = list
		}
		for _, item := range items {
			if err := f.Value.Set(fmt.Sprint(item)); err != nil {
				ferr = fault.Inputf("--config %s: %s: %v", file, f.Name, err)
				return
			}
		}
		f.Changed = true
	})
	return ferr
}
