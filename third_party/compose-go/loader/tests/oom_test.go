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

// The tests in this file lock the `oom_kill_disable`, `oom_score_adj`
// attributes:
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#oom_kill_disable
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#oom_score_adj
//
// Spec: "If `oom_kill_disable` is set, Compose configures the platform so it
// won't kill the container in case of memory starvation."

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"
)

func TestOomKillDisable(t *testing.T) {
	p := load(t, `
name: test
services:
  foo:
    image: alpine
    oom_kill_disable: true
jobs:
  foo:
    triggers:
      manual: true
    image: alpine
    oom_kill_disable: true
`)

	expect := func(p *types.Project) {
		assert.Equal(t, p.Services["foo"].OomKillDisable, true)
		assert.Equal(t, p.Jobs["foo"].OomKillDisable, true)
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}

func TestOomScoreAdj(t *testing.T) {
	p := load(t, `
name: test
services:
  foo:
    image: alpine
    oom_score_adj: 500
jobs:
  foo:
    triggers:
      manual: true
    image: alpine
    oom_score_adj: 500
`)

	expect := func(p *types.Project) {
		assert.Equal(t, p.Services["foo"].OomScoreAdj, int64(500))
		assert.Equal(t, p.Jobs["foo"].OomScoreAdj, int64(500))
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}
