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

// The tests in this file lock the `tmpfs` attribute:
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#tmpfs
//
// Spec: "`tmpfs` mounts a temporary file system inside the container."

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"
)

func TestTmpfs(t *testing.T) {
	p := load(t, `
name: test
services:
  list:
    image: alpine
    tmpfs:
      - /run
      - /tmp
  string:
    image: alpine
    tmpfs: /run
jobs:
  list:
    triggers:
      manual: true
    image: alpine
    tmpfs:
      - /run
      - /tmp
  string:
    triggers:
      manual: true
    image: alpine
    tmpfs: /run
`)

	expect := func(p *types.Project) {
		assert.DeepEqual(t, p.Services["list"].Tmpfs, types.StringList{"/run", "/tmp"})
		assert.DeepEqual(t, p.Services["string"].Tmpfs, types.StringList{"/run"})
		assert.DeepEqual(t, p.Jobs["list"].Tmpfs, types.StringList{"/run", "/tmp"})
		assert.DeepEqual(t, p.Jobs["string"].Tmpfs, types.StringList{"/run"})
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}
