package lockfile

import (
	"bytes"
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// TemplateOf turns a lock back into a template that generates the same deployment again (a rollback of
// a release whose own template is not kept): Stella's header comments, its x-stella block and the
// stella.* labels it added are removed; every image stays pinned to the digest the lock ran.
func TemplateOf(lock []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(lock, &doc); err != nil {
		return nil, fmt.Errorf("compose.stella.lock.yml: %w", err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("compose.stella.lock.yml: not a Compose mapping")
	}
	doc.HeadComment = ""
	root := doc.Content[0]
	root.HeadComment = ""
	root.Content = dropKeys(root.Content, func(k string) bool { return k == "x-stella" })
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "services" || root.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		svcs := root.Content[i+1].Content
		for j := 1; j < len(svcs); j += 2 {
			svc := svcs[j]
			if svc.Kind != yaml.MappingNode {
				continue
			}
			for k := 0; k+1 < len(svc.Content); k += 2 {
				key, val := svc.Content[k], svc.Content[k+1]
				switch key.Value {
				case "image":
					val.LineComment = "" // "# Original tag: …"
				case "labels":
					if val.Kind == yaml.MappingNode {
						val.Content = dropKeys(val.Content, func(k string) bool { return strings.HasPrefix(k, "stella.") })
					}
				}
			}
			svc.Content = dropKeys(svc.Content, func(k string) bool {
				for x := 0; x+1 < len(svc.Content); x += 2 {
					if svc.Content[x].Value == k && k == "labels" {
						v := svc.Content[x+1]
						return v.Kind == yaml.MappingNode && len(v.Content) == 0
					}
				}
				return false
			})
		}
	}
	exactScalars(&doc)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// dropKeys removes the key-value pairs of a mapping's content whose key drop matches.
func dropKeys(content []*yaml.Node, drop func(string) bool) []*yaml.Node {
	out := content[:0:0]
	for i := 0; i+1 < len(content); i += 2 {
		if drop(content[i].Value) {
			// A comment above the dropped key ("# Stella metadata") goes with it.
			continue
		}
		out = append(out, content[i], content[i+1])
	}
	return out
}
