package generate

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/stella-ops/stella/internal/fault"
)

func readInput(what, path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fault.Inputf("%s: cannot read %s: %v", what, path, err)
	}
	return data, nil
}

func baseName(p string) string { return filepath.Base(p) }
