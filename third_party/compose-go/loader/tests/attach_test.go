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

// The tests in this file lock the `attach` attribute:
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#attach
//
// Spec: "When `attach` is defined and set to `false` Compose does not collect
// service logs, until you explicitly request it to."

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"
)

func TestAttach(t *testing.T) {
	p := load(t, `
name: test
services:
  attached:
    image: alpine
    attach: true
  detached:
    image: alpine
    attach: false
  default:
    image: alpine
jobs:
  default:
    triggers:
      manual: true
    image: alpine
`)

	expect := func(p *types.Project) {
		assert.Equal(t, *p.Services["attached"].Attach, true)
		assert.Equal(t, *p.Services["detached"].Attach, false)
		assert.Assert(t, p.Services["default"].Attach == nil)
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}

func TestJobRejectsWorkloadOnlyAttributes(t *testing.T) {
	// run-to-completion jobs don't accept service-lifecycle attributes
	for attr, yaml := range map[string]string{
		"attach":         "    attach: true",
		"container_name": "    container_name: x",
		"links":          "    links: [db]",
		"external_links": "    external_links: [db]",
		"post_start":     "    post_start:\n      - command: echo done",
	} {
		err := loadErr(t, `
name: test
jobs:
  job:
    triggers:
      manual: true
    image: alpine
`+yaml)
		assert.ErrorContains(t, err, attr)
	}
}
