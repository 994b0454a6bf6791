/*
   Copyright 2020 The Compose Specification Authors.

   Licensed under the Apache License, Version 2.0 (the "License");
   you may not use this file except in compliance with the License.
   You may obtain a copy of the License at

       http://www.apache.org/licenses/LICENSE-2.0

   Unless required by applicable law or agreed to in writing, software
   distributed under the License is distributed on an "AS IS" BASIS,
   WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
   See the License for the specific language governing permissions and
   limitations under the License.
*/

package tests

// The tests in this file lock the `entrypoint` attribute:
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#entrypoint
//
// Spec: "`entrypoint` declares the default entrypoint for the service
// container."

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"
)

func TestEntrypointList(t *testing.T) {
	p := load(t, `
name: test
services:
  foo:
    image: alpine
    entrypoint: ["/code/entrypoint.sh", "-p", "3000"]
jobs:
  foo:
    triggers:
      manual: true
    image: alpine
    entrypoint: ["/code/entrypoint.sh", "-p", "3000"]
`)

	expect := func(p *types.Project) {
		assert.DeepEqual(t, p.Services["foo"].Entrypoint, types.ShellCommand{"/code/entrypoint.sh", "-p", "3000"})
		assert.DeepEqual(t, p.Jobs["foo"].Entrypoint, types.ShellCommand{"/code/entrypoint.sh", "-p", "3000"})
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}

// An entrypoint declared as a string must be parsed into its exec form.
func TestEntrypointString(t *testing.T) {
	loadsAs(t, `
name: test
services:
  foo:
    image: alpine
    entrypoint: /code/entrypoint.sh -p 3000
`, `
name: test
services:
  foo:
    image: alpine
    entrypoint:
      - /code/entrypoint.sh
      - -p
      - "3000"
`)

	// jobs share the container specification: the same string form parses
	// into exec form there too.
	p := load(t, `
name: test
jobs:
  foo:
    triggers:
      manual: true
    image: alpine
    entrypoint: /code/entrypoint.sh -p 3000
`)
	assert.DeepEqual(t, p.Jobs["foo"].Entrypoint, types.ShellCommand{"/code/entrypoint.sh", "-p", "3000"})
}
