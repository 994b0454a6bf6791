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

package tree

import (
	"slices"
	"strings"
)

// Index finds the value of the pattern a path matches, among a fixed set of patterns (Stella's patch).
// The loader's walks used to compare every value's path with every pattern of their table (about fifty)
// in a map's random order; an index groups the patterns by their number of parts and their last part
// (or PathMatchAll), so a lookup compares a path with the few patterns that could match it. Where more
// than one pattern matches a path, the first in sorted order wins (upstream took whichever its map
// iteration met first).
type Index[V any] struct {
	by map[indexKey][]indexEntry[V]
}

type indexKey struct {
	depth int
	last  string
}

type indexEntry[V any] struct {
	pattern Path
	value   V
}

// NewIndex indexes patterns.
func NewIndex[V any](patterns map[Path]V) *Index[V] {
	x := &Index[V]{by: make(map[indexKey][]indexEntry[V], len(patterns))}
	keys := make([]Path, 0, len(patterns))
	for p := range patterns {
		keys = append(keys, p)
	}
	slices.Sort(keys)
	for _, p := range keys {
		k := indexKey{depth: strings.Count(string(p), pathSeparator) + 1, last: p.Last()}
		x.by[k] = append(x.by[k], indexEntry[V]{pattern: p, value: patterns[p]})
	}
	return x
}

// Lookup returns the value of the first pattern that p matches.
func (x *Index[V]) Lookup(p Path) (V, bool) {
	depth := strings.Count(string(p), pathSeparator) + 1
	last := p.Last()
	exact, wild := x.by[indexKey{depth, last}], x.by[indexKey{depth, PathMatchAll}]
	var found *indexEntry[V]
	for _, list := range [][]indexEntry[V]{exact, wild} {
		for i := range list {
			if p.Matches(list[i].pattern) {
				if found == nil || list[i].pattern < found.pattern {
					found = &list[i]
				}
				break
			}
		}
	}
	if found == nil {
		var zero V
		return zero, false
	}
	return found.value, true
}
