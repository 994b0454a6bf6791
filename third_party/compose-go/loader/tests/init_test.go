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

// The tests in this file lock the `init` attribute:
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#init
//
// Spec: "`init` runs an init process (PID 1) inside the container that
// forwards signals and reaps processes."

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"
)

func TestInit(t *testing.T) {
	p := load(t, `
name: test
services:
  with-init:
    image: alpine
    init: true
  without-init:
    image: alpine
    init: false
  default:
    image: alpine
jobs:
  with-init:
    triggers:
      manual: true
    image: alpine
    init: true
  without-init:
    triggers:
      manual: true
    image: alpine
    init: false
  default:
    triggers:
      manual: true
    image: alpine
`)

	expect := func(p *types.Project) {
		assert.Equal(t, *p.Services["with-init"].Init, true)
		assert.Equal(t, *p.Services["without-init"].Init, false)
		assert.Assert(t, p.Services["default"].Init == nil)
		assert.Equal(t, *p.Jobs["with-init"].Init, true)
		assert.Equal(t, *p.Jobs["without-init"].Init, false)
		assert.Assert(t, p.Jobs["default"].Init == nil)
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}
