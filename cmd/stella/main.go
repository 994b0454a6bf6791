// Command stella turns an approved promotion of a release into the signed, verifiable artifact set of a
// Docker Compose deployment. See README.md.
package main

import (
	"os"

	"github.com/stella-ops/stella/internal/cli"
)

func main() { os.Exit(cli.Main()) }
