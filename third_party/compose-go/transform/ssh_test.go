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

package transform

import (
	"reflect"
	"testing"

	"github.com/compose-spec/compose-go/v2/tree"
	"gotest.tools/v3/assert"
)

func TestSSHConfig(t *testing.T) {
	ssh, err := transformSSH([]any{
		"default",
		"foo=bar",
	}, tree.NewPath("test"), false)
	assert.NilError(t, err)
	assert.DeepEqual(t, ssh, map[string]any{
		"default": nil,
		"foo":     "bar",
	})
}

func Test_transformSSH_ignoreParseError(t *testing.T) {
	tests := []struct {
		name             string
		yaml             any
		ignoreParseError bool
		want             any
		wantErr          string
	}{
		{
			name: "unresolved variable, error",
			yaml: []any{
				"${SSH_AUTH_SOCK}",
			},
			wantErr: `invalid ssh key "${SSH_AUTH_SOCK}"`,
		},
		{
			name: "unresolved variable, ignored",
			yaml: []any{
				"${SSH_AUTH_SOCK}",
			},
			ignoreParseError: true,
			want: []any{
				"${SSH_AUTH_SOCK}",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := transformSSH(tt.yaml, tree.NewPath("test"), tt.ignoreParseError)
			if tt.wantErr != "" {
				assert.Error(t, err, tt.wantErr)
				return
			}
			assert.NilError(t, err)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("transformSSH() got = %v, want %v", got, tt.want)
			}
		})
	}
}
