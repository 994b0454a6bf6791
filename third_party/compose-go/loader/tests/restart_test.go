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

// The tests in this file lock the `restart` attribute:
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#restart
//
// Spec: "`restart` defines the policy that the platform applies on container
// termination."

import (
	"context"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"
)

func TestRestart(t *testing.T) {
	p := load(t, `
name: test
services:
  foo:
    image: alpine
    restart: always
`)

	expect := func(p *types.Project) {
		assert.Equal(t, p.Services["foo"].Restart, "always")
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}

func TestRestartNotAllowedOnJob(t *testing.T) {
	// jobs run to completion: a restart policy is a service-only attribute
	_, err := loader.LoadWithContext(context.TODO(), types.ConfigDetails{
		ConfigFiles: []types.ConfigFile{{Filename: "compose.yml", Content: []byte(`
name: test
jobs:
  foo:
    image: alpine
    restart: always
    triggers:
      manual: true
`)}},
		Environment: map[string]string{},
	})
	assert.ErrorContains(t, err, "restart")
}
