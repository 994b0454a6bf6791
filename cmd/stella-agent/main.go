// Command stella-agent is the agent of a Docker Compose target: stella agent's commands with the Docker
// Compose SDK as its Compose driver. It is its own binary because the SDK brings about 200 modules that
// the stella command does not need (docs/decisions.md).
package main

import (
	"os"

	"github.com/stella-ops/stella/internal/agent/composesdk"
	"github.com/stella-ops/stella/internal/cli"
)

func main() { os.Exit(cli.AgentMain(composesdk.New)) }
