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

// The tests in this file lock the `cap_add`, `cap_drop` attributes:
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#cap_add
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#cap_drop
//
// Spec: "`cap_add` specifies additional container capabilities as strings."

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"
)

func TestCapAddDrop(t *testing.T) {
	p := load(t, `
name: test
services:
  foo:
    image: alpine
    cap_add:
      - ALL
    cap_drop:
      - NET_ADMIN
      - SYS_ADMIN
jobs:
  foo:
    triggers:
      manual: true
    image: alpine
    cap_add:
      - ALL
    cap_drop:
      - NET_ADMIN
      - SYS_ADMIN
`)

	expect := func(p *types.Project) {
		assert.DeepEqual(t, p.Services["foo"].CapAdd, []string{"ALL"})
		assert.DeepEqual(t, p.Services["foo"].CapDrop, []string{"NET_ADMIN", "SYS_ADMIN"})
		assert.DeepEqual(t, p.Jobs["foo"].CapAdd, []string{"ALL"})
		assert.DeepEqual(t, p.Jobs["foo"].CapDrop, []string{"NET_ADMIN", "SYS_ADMIN"})
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}
