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

// The tests in this file lock the `pull_policy` attribute:
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#pull_policy
//
// Spec: "`pull_policy` defines the decisions Compose makes when it starts to
// pull images."

import (
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"
)

func TestPullPolicy(t *testing.T) {
	p := load(t, `
name: test
services:
  foo:
    image: alpine
    pull_policy: always
jobs:
  foo:
    triggers:
      manual: true
    image: alpine
    pull_policy: always
`)
	expect := func(p *types.Project) {
		assert.Equal(t, p.Services["foo"].PullPolicy, "always")
		assert.Equal(t, p.Jobs["foo"].PullPolicy, "always")
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}

func TestPullRefreshAfter(t *testing.T) {
	p := load(t, `
name: test
services:
  test:
    image: alpine
    pull_policy: every_2d
jobs:
  test:
    triggers:
      manual: true
    image: alpine
    pull_policy: every_2d
`)
	policy, duration, err := p.Services["test"].GetPullPolicy()
	assert.NilError(t, err)
	assert.Equal(t, policy, types.PullPolicyRefresh)
	assert.Equal(t, duration, 2*24*time.Hour)
	assert.Equal(t, p.Jobs["test"].PullPolicy, "every_2d")
}
