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

// The tests in this file lock the `user` attribute:
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#user
//
// Spec: "`user` overrides the user used to run the container process."

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"
)

func TestUser(t *testing.T) {
	p := load(t, `
name: test
services:
  foo:
    image: alpine
    user: someone
jobs:
  foo:
    triggers:
      manual: true
    image: alpine
    user: someone
`)

	expect := func(p *types.Project) {
		assert.Equal(t, p.Services["foo"].User, "someone")
		assert.Equal(t, p.Jobs["foo"].User, "someone")
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}
