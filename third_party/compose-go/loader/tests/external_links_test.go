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

// The tests in this file lock the `external_links` attribute:
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#external_links
//
// Spec: "`external_links` link service containers to services managed outside
// of your Compose application."

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"
)

func TestExternalLinks(t *testing.T) {
	p := load(t, `
name: test
services:
  foo:
    image: alpine
    external_links:
      - redis_1
      - project_db_1:mysql
      - project_db_1:postgresql
`)

	expect := func(p *types.Project) {
		expected := []string{"redis_1", "project_db_1:mysql", "project_db_1:postgresql"}
		assert.DeepEqual(t, p.Services["foo"].ExternalLinks, expected)
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}
