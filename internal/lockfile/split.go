package lockfile

import (
	"bytes"
	"maps"
	"sync"

	yaml "go.yaml.in/yaml/v3"
)

// splitModels parses a large lock on every core: the lock's text, with the lines of every service but a
// part's replaced by comment lines, is one YAML document per part, parsed on its own core — each part
// holds every top-level section and its share of the services, each line where the lock has it. Parsing
// a 185 KB lock whole took ~14 ms on one core while the other waited (issue 9's speed target).
//
// It only splits a lock whose shape makes every part's parse the whole lock's parse restricted to that
// part: every top-level line not a comment is a plain key (no document markers, directives, anchors or
// tags there, no flow style, no BOM), services is one block mapping whose keys are plain names at one
// indentation, and no line of services is less indented than its keys. A removed service's lines become
// "#" lines at column 0, which end any scalar or collection of the service before them exactly as the
// next service's key line did; blank and comment lines stay where they were. Anything else — or a part
// that does not parse, holds an alias (toJSON refuses them: an anchor may be in another part), or does
// not hold exactly its services — is ok false, and the lock is parsed whole.
func splitModels(lock []byte, parts int) (models []map[string]any, ok bool) {
	lines := bytes.SplitAfter(lock, []byte("\n"))
	blocks, top, start, end, ok := serviceBlocks(lines)
	if !ok || parts < 2 || len(blocks) < parts*minChunk {
		return nil, false
	}
	models = make([]map[string]any, parts)
	oks := make([]bool, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*len(blocks)/parts, (p+1)*len(blocks)/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			models[p], oks[p] = parsePart(lines, blocks, top, start, end, lo, hi)
		}()
	}
	wg.Wait()
	for _, ok := range oks {
		if !ok {
			return nil, false
		}
	}
	return models, true
}

// serviceBlock is one service of the lock's services mapping: its name and the index of its key line;
// it runs to the next block's key line, or to the end of services.
type serviceBlock struct {
	name string
	line int
}

// serviceBlocks finds the services of a lock of the shape splitModels splits (else ok is false): top is
// every top-level key with its line, start and end are the indexes of services' first and past-last
// lines.
func serviceBlocks(lines [][]byte) (blocks []serviceBlock, top []serviceBlock, start, end int, ok bool) {
	start, end = -1, -1
	indent := -1
	seen := map[string]bool{}
	for i, raw := range lines {
		l := bytes.TrimRight(raw, "\r\n")
		body := bytes.TrimLeft(l, " ")
		if len(body) == 0 || body[0] == '#' {
			continue
		}
		ind := len(l) - len(body)
		if ind == 0 {
			key, rest, plain := plainKey(l)
			if !plain {
				return nil, nil, 0, 0, false
			}
			top = append(top, serviceBlock{name: key, line: i})
			if start >= 0 && end < 0 {
				end = i
			}
			if key == "services" {
				if start >= 0 || len(bytes.TrimSpace(rest)) != 0 {
					return nil, nil, 0, 0, false // services twice, or not a block mapping
				}
				start = i + 1
			}
			continue
		}
		if start < 0 || end >= 0 {
			continue // inside another top-level section
		}
		if bytes.IndexByte(l[:ind+1], '\t') >= 0 {
			return nil, nil, 0, 0, false
		}
		if indent < 0 {
			indent = ind
		}
		switch {
		case ind < indent:
			return nil, nil, 0, 0, false
		case ind == indent:
			key, _, plain := plainKey(body)
			if !plain || seen[key] {
				return nil, nil, 0, 0, false
			}
			seen[key] = true
			blocks = append(blocks, serviceBlock{name: key, line: i})
		}
	}
	if start < 0 {
		return nil, nil, 0, 0, false
	}
	if end < 0 {
		end = len(lines)
	}
	return blocks, top, start, end, len(blocks) > 0
}

// plainKey splits a line that starts with a plain mapping key — letters, digits, '_', '-', '.' — and
// ": " or a ':' at its end; rest is what follows the colon.
func plainKey(l []byte) (key string, rest []byte, ok bool) {
	i := 0
	for i < len(l) {
		c := l[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' {
			i++
			continue
		}
		break
	}
	if i == 0 || i >= len(l) || l[i] != ':' || (i+1 < len(l) && l[i+1] != ' ') {
		return "", nil, false
	}
	return string(l[:i]), l[i+1:], true
}

// parsePart parses the lock with only services lo..hi-1 of blocks kept. The parser must find every
// top-level key and every kept service's key on the line the scan found it: a quoted scalar that ran on
// into the removed lines would have swallowed one.
func parsePart(lines [][]byte, blocks, top []serviceBlock, start, end, lo, hi int) (map[string]any, bool) {
	keepFrom, keepTo := blocks[lo].line, end
	if hi < len(blocks) {
		keepTo = blocks[hi].line
	}
	var b bytes.Buffer
	for i, l := range lines {
		if i >= start && i < end && (i < keepFrom || i >= keepTo) && i >= blocks[0].line {
			b.WriteString("#\n")
			continue
		}
		b.Write(l)
	}
	var doc yaml.Node
	if yaml.Unmarshal(b.Bytes(), &doc) != nil || len(doc.Content) != 1 || !keysAt(doc.Content[0], top) {
		return nil, false
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "services" && !keysAt(root.Content[i+1], blocks[lo:hi]) {
			return nil, false
		}
	}
	v, ok := toJSON(&doc)
	m, _ := v.(map[string]any)
	if !ok || m == nil {
		return nil, false
	}
	services, _ := m["services"].(map[string]any)
	if len(services) != hi-lo {
		return nil, false
	}
	for _, bl := range blocks[lo:hi] {
		if _, ok := services[bl.name]; !ok {
			return nil, false
		}
	}
	return m, true
}

// mergedServices is every part's services in one map (the values shared, not copied).
func mergedServices(models []map[string]any) map[string]any {
	all := map[string]any{}
	for _, m := range models {
		services, _ := m["services"].(map[string]any)
		maps.Copy(all, services)
	}
	return all
}

// keysAt reports whether mapping n has exactly the keys of want, in order, each on its line (want's
// lines are 0-based indexes, a node's are 1-based).
func keysAt(n *yaml.Node, want []serviceBlock) bool {
	if n.Kind != yaml.MappingNode || len(n.Content) != 2*len(want) {
		return false
	}
	for i, w := range want {
		k := n.Content[2*i]
		if k.Value != w.name || k.Line != w.line+1 {
			return false
		}
	}
	return true
}
