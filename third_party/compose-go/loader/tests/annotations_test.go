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

// The tests in this file lock the `annotations` attribute:
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#annotations
//
// Spec: "`annotations` defines annotations for the container."

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"
)

func TestAnnotations(t *testing.T) {
	p := load(t, `
name: test
services:
  list:
    image: alpine
    annotations:
      - com.example.foo=bar
  map:
    image: alpine
    annotations:
      com.example.foo: bar
jobs:
  list:
    triggers:
      manual: true
    image: alpine
    annotations:
      - com.example.foo=bar
  map:
    triggers:
      manual: true
    image: alpine
    annotations:
      com.example.foo: bar
`)
	expect := func(p *types.Project) {
		expected := types.Mapping{"com.example.foo": "bar"}
		assert.DeepEqual(t, p.Services["list"].Annotations, expected)
		assert.DeepEqual(t, p.Services["map"].Annotations, expected)
		assert.DeepEqual(t, p.Jobs["list"].Annotations, expected)
		assert.DeepEqual(t, p.Jobs["map"].Annotations, expected)
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}
