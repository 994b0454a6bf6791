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

// The tests in this file lock the `pids_limit` attribute:
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#pids_limit
//
// Spec: "`pids_limit` tunes a container’s PIDs limit."

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"
)

func TestPidsLimit(t *testing.T) {
	p := load(t, `
name: test
services:
  foo:
    image: alpine
    pids_limit: 100
jobs:
  foo:
    triggers:
      manual: true
    image: alpine
    pids_limit: 100
`)

	expect := func(p *types.Project) {
		assert.Equal(t, p.Services["foo"].PidsLimit, int64(100))
		assert.Equal(t, p.Jobs["foo"].PidsLimit, int64(100))
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}
