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

// The tests in this file lock the `dns_opt` attribute:
//   https://github.com/compose-spec/compose-spec/blob/main/05-services.md#dns_opt
//
// Spec: "`dns_opt` list custom DNS options to be passed to the container’s DNS
// resolver (`/etc/resolv.conf` file on Linux)."

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"
)

func TestDNSOpt(t *testing.T) {
	p := load(t, `
name: test
services:
  foo:
    image: alpine
    dns_opt:
      - use-vc
      - no-tld-query
jobs:
  foo:
    triggers:
      manual: true
    image: alpine
    dns_opt:
      - use-vc
      - no-tld-query
`)

	expect := func(p *types.Project) {
		assert.DeepEqual(t, p.Services["foo"].DNSOpts, []string{"use-vc", "no-tld-query"})
		assert.DeepEqual(t, p.Jobs["foo"].DNSOpts, []string{"use-vc", "no-tld-query"})
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}
