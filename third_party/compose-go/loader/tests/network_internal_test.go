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

// The tests in this file lock the `internal (top-level networks)` attribute:
//   https://github.com/compose-spec/compose-spec/blob/main/06-networks.md#internal
//
// Spec: "By default, Compose provides external connectivity to networks."

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gotest.tools/v3/assert"
)

func TestNetworkInternal(t *testing.T) {
	p := load(t, `
name: test
services:
  foo:
    image: alpine
networks:
  internal-net:
    internal: true
  attachable-net:
    driver: overlay
    attachable: true
`)

	expect := func(p *types.Project) {
		assert.Equal(t, p.Networks["internal-net"].Internal, true)
		assert.Equal(t, p.Networks["attachable-net"].Attachable, true)
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}

func TestNetworkEnableIPv4IPv6(t *testing.T) {
	p := load(t, `
name: test
services:
  foo:
    image: alpine
networks:
  net1:
    enable_ipv4: false
    enable_ipv6: true
`)

	expect := func(p *types.Project) {
		assert.Equal(t, *p.Networks["net1"].EnableIPv4, false)
		assert.Equal(t, *p.Networks["net1"].EnableIPv6, true)
	}
	expect(p)

	yamlP, jsonP := roundTrip(t, p)
	expect(yamlP)
	expect(jsonP)
}
