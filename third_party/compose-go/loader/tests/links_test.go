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

// The tests in this file lock the `links` attribute:
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#links
//
// Spec: "`links` defines a network link to containers in another service."

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"
)

func TestLinks(t *testing.T) {
	p := load(t, `
name: test
services:
  foo:
    image: alpine
    links:
      - db
      - db:database
      - redis
  db:
    image: postgres
  redis:
    image: redis
`)

	expect := func(p *types.Project) {
		assert.DeepEqual(t, p.Services["foo"].Links, []string{"db", "db:database", "redis"})
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}
