package lockfile

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/override"
	"github.com/compose-spec/compose-go/v2/paths"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/transform"
	"github.com/stella-ops/stella/internal/release"
	yaml "go.yaml.in/yaml/v3"
)

// Resolution of include: and extends: (docs/compose-support.md). The lock must be one self-contained
// file: at generation time every included file's resources are imported into the template and every
// extends: is merged into its service with compose-go's own merge rules (override.ExtendService), so that
// each service that will run is in the lock, pinned and labelled, and nothing outside the signed set is
// needed to read it. What cannot be made self-contained with the same meaning is refused, naming the file,
// line and feature: remote targets, include's env_file and project_directory (they change interpolation),
// override chains (include with several paths), variables in include/extends targets, cycles, missing
// files or services, and a resource defined both by the template and by a file it includes.
//
// Relative paths of a file in another directory are rebased onto the template's directory with
// compose-go's paths.ResolveRelativePaths, as Compose does when it loads that file.

// importedSections are the top-level sections include: imports, as compose-go's importResources.
var importedSections = []string{"services", "jobs", "volumes", "networks", "secrets", "configs", "models"}

type composeFile struct {
	name     string // as shown in errors
	abs      string
	root     *yaml.Node
	resolved map[string]bool // services whose extends are merged
}

type resolver struct {
	t         *Template
	mainDir   string                  // the template's directory, absolute
	extFiles  map[string]*composeFile // files read for extends: file:, by absolute path
	readFiles bool                    // false: the template came as bytes; no other file is read
}

// resolve imports include: and merges extends: into the template's tree.
func (t *Template) resolve(readFiles bool) error {
	if k, _ := get(t.root, "include"); k == nil && !hasExtends(t.root) {
		return nil
	}
	abs, err := filepath.Abs(t.File)
	if err != nil {
		return inputErr(t.File, 0, "", "%v", err)
	}
	r := &resolver{t: t, mainDir: filepath.Dir(abs), extFiles: map[string]*composeFile{}, readFiles: readFiles}
	main := &composeFile{name: t.File, abs: abs, root: t.root, resolved: map[string]bool{}}
	if err := r.resolveFile(main, []string{abs}); err != nil {
		return err
	}
	t.textOK = false
	return nil
}

func hasExtends(root *yaml.Node) bool {
	_, svcs := get(root, "services")
	if svcs == nil || svcs.Kind != yaml.MappingNode {
		return false
	}
	for i := 1; i < len(svcs.Content); i += 2 {
		if k, _ := get(svcs.Content[i], "extends"); k != nil {
			return true
		}
	}
	return false
}

// resolveFile imports f's includes (each resolved first, recursively) and then merges the extends of
// its services, Compose's order. chain holds the absolute paths being included, for cycles.
func (r *resolver) resolveFile(f *composeFile, chain []string) error {
	if err := r.includes(f, chain); err != nil {
		return err
	}
	_, svcs := get(f.root, "services")
	if svcs == nil || svcs.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(svcs.Content); i += 2 {
		if _, err := r.service(f, svcs.Content[i].Value, nil); err != nil {
			return err
		}
	}
	return nil
}

func isRemote(p string) bool {
	return strings.Contains(p, "://") || strings.HasPrefix(p, "git@") || strings.HasPrefix(p, "oci:")
}

// target checks an include or extends file reference and returns its absolute path and display name.
func (r *resolver) target(f *composeFile, line int, field, feature string, v *yaml.Node) (abs, name string, err error) {
	if v == nil || v.Kind != yaml.ScalarNode || v.Value == "" {
		return "", "", inputErr(f.name, line, field, "%s: must be a file path", feature)
	}
	p := v.Value
	switch {
	case isRemote(p):
		return "", "", inputErr(f.name, v.Line, field, "%s: remote file %q is not supported: the lock must be self-contained; put the file next to the template", feature, p)
	case strings.Contains(p, "$"):
		return "", "", inputErr(f.name, v.Line, field, "%s: %q uses a variable; the file must be known at generation time", feature, p)
	}
	p = paths.ExpandUser(p)
	if filepath.IsAbs(p) {
		return p, p, nil
	}
	return filepath.Join(filepath.Dir(f.abs), p), filepath.Join(filepath.Dir(f.name), p), nil
}

func (r *resolver) read(f *composeFile, line int, field, feature, abs, name string) (*composeFile, error) {
	if !r.readFiles {
		return nil, inputErr(f.name, line, field, "%s: the template was given as bytes, not read from a directory, so Stella reads no other file for it; put %s's content in the template", feature, name)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		why := err.Error()
		if os.IsNotExist(err) {
			why = "no such file"
		}
		return nil, inputErr(f.name, line, field, "%s: cannot read %s: %s", feature, name, why)
	}
	root, err := parseRoot(name, data)
	if err != nil {
		return nil, err
	}
	seen := false
	for _, s := range r.t.sources {
		seen = seen || s.Name == name
	}
	if !seen {
		r.t.sources = append(r.t.sources, Source{Name: name, Data: data})
	}
	return &composeFile{name: name, abs: abs, root: root, resolved: map[string]bool{}}, nil
}

// parseRoot parses a file that a template includes or extends: the checks Parse makes of the template.
func parseRoot(file string, data []byte) (*yaml.Node, error) {
	data = normalize(data)
	doc, err := decodeRoot(file, data)
	if err != nil {
		return nil, err
	}
	return mappingRoot(file, data, doc.Content[0])
}

// decodeRoot decodes one Compose file (data normalised) into its document node, refusing malformed YAML,
// a second document, an empty file and duplicate keys, each naming the file and line.
func decodeRoot(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, data, err)
	}
	if err := checkOneDocument(file, data); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, inputErr(file, 0, "", "empty Compose file")
	}
	if err := release.DuplicateKeys(file, doc.Content[0], ""); err != nil {
		return nil, err
	}
	return &doc, nil
}

// mappingRoot refuses a file whose root is not a mapping and expands its aliases (bounded); it returns
// root itself when there are none.
func mappingRoot(file string, data []byte, root *yaml.Node) (*yaml.Node, error) {
	if root.Kind != yaml.MappingNode {
		return nil, inputErr(file, root.Line, "", "a Compose file must be a mapping")
	}
	if !hasAlias(root) {
		return root, nil
	}
	if err := checkAliasing(file, data, root); err != nil {
		return nil, err
	}
	return (&expander{file: file, active: map[*yaml.Node]bool{}, budget: maxExpanded}).expand(root)
}

// includes imports every file f includes and removes its include: section.
func (r *resolver) includes(f *composeFile, chain []string) error {
	k, list := get(f.root, "include")
	if k == nil {
		return nil
	}
	if list.Kind != yaml.SequenceNode {
		return inputErr(f.name, k.Line, "include", "must be a list")
	}
	for i, item := range list.Content {
		field := fmt.Sprintf("include[%d]", i)
		pathNode := item
		if item.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(item.Content); j += 2 {
				ik, iv := item.Content[j], item.Content[j+1]
				switch ik.Value {
				case "path":
					pathNode = iv
					if iv.Kind == yaml.SequenceNode {
						if len(iv.Content) != 1 {
							return inputErr(f.name, ik.Line, field+".path", "include: several paths (an override chain) are not supported; include one merged file")
						}
						pathNode = iv.Content[0]
					}
				case "env_file", "project_directory":
					return inputErr(f.name, ik.Line, field+"."+ik.Value, "include: %s is not supported: it changes how the included file is interpolated and where its paths point, which the self-contained lock cannot keep", ik.Value)
				default:
					if !strings.HasPrefix(ik.Value, "x-") {
						return inputErr(f.name, ik.Line, field+"."+ik.Value, "include: unknown field")
					}
				}
			}
			if pathNode == item {
				return inputErr(f.name, item.Line, field+".path", "include: required")
			}
		}
		abs, name, err := r.target(f, item.Line, field, "include", pathNode)
		if err != nil {
			return err
		}
		for n, c := range chain {
			if c == abs {
				return inputErr(f.name, pathNode.Line, field, "include cycle: %s", cycleText(chain[n:], abs))
			}
		}
		inc, err := r.read(f, pathNode.Line, field, "include", abs, name)
		if err != nil {
			return err
		}
		if err := r.includeDotenv(f, pathNode.Line, field, inc); err != nil {
			return err
		}
		if err := r.resolveFile(inc, append(chain[:len(chain):len(chain)], abs)); err != nil {
			return err
		}
		if err := rebase(name, inc.root, filepath.Dir(f.abs), filepath.Dir(abs)); err != nil {
			return err
		}
		if err := r.importFrom(f, inc); err != nil {
			return err
		}
	}
	del(f.root, "include")
	return nil
}

// includeDotenv refuses an included file in another directory than the template's when the .env of its
// directory sets a variable the file uses: Compose interpolates an included file with that .env (an
// include's default env_file, for what the project's environment does not give), while the
// self-contained lock is interpolated on the target with stella.env alone, so the value would be lost
// without a word. (The .env of the template's own directory is the project's .env, which the deploy
// replaces with stella.env: docs/compose-support.md.)
func (r *resolver) includeDotenv(f *composeFile, line int, field string, inc *composeFile) error {
	dir := filepath.Dir(inc.abs)
	if dir == r.mainDir {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(dir, ".env"))
	if err != nil {
		return nil // none (Compose reads it only when it is a file)
	}
	envName := filepath.Join(filepath.Dir(inc.name), ".env")
	set, err := dotenv.UnmarshalBytesWithLookup(data, func(string) (string, bool) { return "", false })
	if err != nil {
		return inputErr(f.name, line, field, "include: %s, which Compose reads to interpolate %s, does not parse: %v", envName, inc.name, err)
	}
	var m map[string]any
	if v, ok := toJSON(inc.root); ok {
		m, _ = v.(map[string]any)
	} else if inc.root.Decode(&m) != nil {
		return nil // refused with its line when the template is validated
	}
	used := template.ExtractVariables(m, nil)
	var names []string
	for _, n := range slices.Sorted(maps.Keys(used)) {
		if _, ok := set[n]; ok {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return inputErr(f.name, line, field, "include: %s sets %s for %s (Compose interpolates an included file with the .env of its directory), which the self-contained lock cannot carry: give %s in environment.yaml variables and remove %s from %s",
		envName, strings.Join(names, ", "), inc.name, plural(names, "it", "them"), plural(names, "it", "them"), envName)
}

func plural(names []string, one, many string) string {
	if len(names) == 1 {
		return one
	}
	return many
}

func cycleText(chain []string, again string) string {
	names := make([]string, 0, len(chain)+1)
	for _, c := range append(chain, again) {
		names = append(names, filepath.Base(c))
	}
	return strings.Join(names, " → ")
}

// importFrom adds inc's resources to f. A name both define is refused (Compose would merge the two).
func (r *resolver) importFrom(f, inc *composeFile) error {
	for _, section := range importedSections {
		_, from := get(inc.root, section)
		if from == nil || from.Kind != yaml.MappingNode || len(from.Content) == 0 {
			continue
		}
		tk, to := get(f.root, section)
		if to == nil || to.Kind != yaml.MappingNode {
			if tk != nil {
				del(f.root, section)
			}
			to = mapping()
			f.root.Content = append(f.root.Content, str(section), to)
		}
		for i := 0; i+1 < len(from.Content); i += 2 {
			k, v := from.Content[i], from.Content[i+1]
			if ok, have := get(to, k.Value); ok != nil {
				a, _ := toJSON(have)
				b, _ := toJSON(v)
				if a != nil && reflect.DeepEqual(a, b) {
					continue // the same file reached twice (a diamond), as Compose allows
				}
				// The first definition may itself come from an earlier include.
				return inputErr(r.t.originOf(f.name, section+"."+k.Value), ok.Line, section+"."+k.Value, "also defined in the included file %s (line %d); Stella does not merge a resource across include: define it once", inc.name, k.Line)
			}
			to.Content = append(to.Content, k, v)
			r.t.setOrigin(section+"."+k.Value, r.t.originOf(inc.name, section+"."+k.Value))
		}
	}
	return nil
}

func (t *Template) setOrigin(path, file string) {
	if t.origin == nil {
		t.origin = map[string]string{}
	}
	t.origin[path] = file
}

// originOf is the file a resource seen in file came from (file itself unless it was included there).
func (t *Template) originOf(file, path string) string {
	if o, ok := t.origin[path]; ok {
		return o
	}
	return file
}

// rebase rewrites the relative paths of a file in dir so that they mean the same from base, the
// including file's directory. Sections whose paths do not change keep their nodes (and comments).
func rebase(file string, root *yaml.Node, base, dir string) error {
	if base == dir {
		return nil
	}
	rel, err := filepath.Rel(base, dir)
	if err != nil {
		rel = dir
	}
	for _, section := range importedSections {
		_, sec := get(root, section)
		if sec == nil || sec.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(sec.Content); i += 2 {
			k, v := sec.Content[i], sec.Content[i+1]
			v0, ok := toMerge(v)
			if !ok {
				return inputErr(file, k.Line, section+"."+k.Value, "cannot rebase its relative paths (unsupported YAML)")
			}
			after, changed, err := rebaseValue(section, k.Value, v0, rel)
			if err != nil {
				return inputErr(file, k.Line, section+"."+k.Value, "%v", err)
			}
			if changed {
				n, err := fromJSON(after, k.Line)
				if err != nil {
					return err
				}
				sec.Content[i+1] = n
			}
		}
	}
	return nil
}

// rebaseValue rebases the relative paths of one resource (section.name) onto rel, in compose-go's
// canonical (long) syntax, which its path resolver reads; changed is false when no path changes, and
// then the caller keeps the value as written.
func rebaseValue(section, name string, v any, rel string) (any, bool, error) {
	canon, err := transform.Canonical(map[string]any{section: map[string]any{name: deepCopy(v)}}, true)
	if err != nil {
		return nil, false, fmt.Errorf("%s.%s: %v", section, name, err)
	}
	before := canon[section].(map[string]any)[name]
	wrapped := map[string]any{section: map[string]any{name: deepCopy(before)}}
	if err := paths.ResolveRelativePaths(wrapped, rel, nil); err != nil {
		return nil, false, fmt.Errorf("%s.%s: %v", section, name, err)
	}
	after := wrapped[section].(map[string]any)[name]
	after, err = keepAsWritten("", rel, before, after)
	if err != nil {
		return nil, false, err
	}
	if section == "services" {
		if err := keepVariableVolumes(v, before, after, rel); err != nil {
			return nil, false, err
		}
	}
	return after, !reflect.DeepEqual(before, after), nil
}

// keepAsWritten puts back the paths the resolver changed that Compose resolves only on the target:
// one from the home directory (~/cache), which it expanded with the generator's home, and one written
// with a variable, which it prefixed with the file's directory (sub/${CFG_DIR:-/etc}/app.conf) —
// Compose interpolates before it resolves paths, so such a path is taken from that directory only when
// its value is relative. One whose value with the defaults is relative is refused (the lock cannot know
// the directory on the target); an absolute one, one from the home directory, or an empty one is kept.
func keepAsWritten(path, rel string, before, after any) (any, error) {
	switch b := before.(type) {
	case string:
		switch a, ok := after.(string); {
		case !ok || a == b:
			return after, nil
		case strings.HasPrefix(b, "~"):
			return b, nil
		case !strings.Contains(b, "$"):
			return after, nil
		}
		if p, ok := withDefaults(b); ok && p != "" && !filepath.IsAbs(p) && !strings.HasPrefix(p, "~") {
			return nil, relativeVariable(path, b, p, rel)
		}
		return b, nil
	case map[string]any:
		if a, ok := after.(map[string]any); ok {
			for _, k := range slices.Sorted(maps.Keys(b)) {
				if av, ok := a[k]; ok {
					v, err := keepAsWritten(strings.TrimPrefix(path+"."+k, "."), rel, b[k], av)
					if err != nil {
						return nil, err
					}
					a[k] = v
				}
			}
		}
	case []any:
		if a, ok := after.([]any); ok && len(a) == len(b) {
			for i := range b {
				v, err := keepAsWritten(fmt.Sprintf("%s[%d]", path, i), rel, b[i], a[i])
				if err != nil {
					return nil, err
				}
				a[i] = v
			}
		}
	}
	return after, nil
}

// withDefaults is s interpolated as Compose would when the environment gives none of its variables;
// ok is false when that is an error (a required variable).
func withDefaults(s string) (string, bool) {
	p, err := template.SubstituteWithOptions(s, func(string) (string, bool) { return "", false }, template.WithoutLogging)
	return p, err == nil
}

func relativeVariable(path, written, value, rel string) error {
	return fmt.Errorf("%s: %s is the relative path %s when the environment does not give its variables: Compose takes it from %s, the lock from the set's directory; write the path relative to the template, or absolute", path, written, value, rel)
}

// keepVariableVolumes handles the volumes of a service from another directory whose source is written
// with a variable, which no rebasing can follow: Compose interpolates first, then resolves a relative
// result from that file's directory, while the lock is interpolated on the target. One whose value with
// the defaults (${HOSTDIR:-./fallback}) is a relative path is refused; the others keep the short syntax
// they were written in, so that Compose tells a bind from a named volume after interpolation, as it does
// for the template (the long syntax fixes `type` from the uninterpolated text: a named volume
// "./fallback").
func keepVariableVolumes(v, before, after any, rel string) error {
	orig, _ := v.(map[string]any)["volumes"].([]any)
	cb, _ := before.(map[string]any)["volumes"].([]any)
	ca, _ := after.(map[string]any)["volumes"].([]any)
	if len(orig) != len(cb) || len(cb) != len(ca) {
		return nil
	}
	for i, item := range orig {
		m, _ := cb[i].(map[string]any)
		src, _ := m["source"].(string)
		if !strings.Contains(src, "$") {
			continue
		}
		if p, ok := withDefaults(src); ok && strings.HasPrefix(p, ".") {
			return relativeVariable(fmt.Sprintf("volumes[%d]", i), src, p, rel)
		}
		if s, ok := item.(string); ok {
			ca[i] = s
		}
	}
	return nil
}

// service merges the extends of f's service name (and of its bases, first) and returns its node; nil
// when f has no such service. stack holds "file#service" being merged, for cycles.
func (r *resolver) service(f *composeFile, name string, stack []string) (*yaml.Node, error) {
	_, svcs := get(f.root, "services")
	_, v := get(svcs, name)
	if v == nil {
		return nil, nil
	}
	if f.resolved[name] || v.Kind != yaml.MappingNode {
		return v, nil
	}
	ek, ev := get(v, "extends")
	if ek == nil {
		f.resolved[name] = true
		return v, nil
	}
	field := "services." + name + ".extends"
	id := f.abs + "#" + name
	for n, s := range stack {
		if s == id {
			names := make([]string, 0, len(stack)-n+1)
			for _, s := range append(stack[n:], id) {
				names = append(names, s[strings.LastIndexByte(s, '#')+1:])
			}
			return nil, inputErr(f.name, ek.Line, field, "extends cycle: %s", strings.Join(names, " → "))
		}
	}
	var ref, fileNode *yaml.Node
	switch ev.Kind {
	case yaml.ScalarNode:
		ref = ev
	case yaml.MappingNode:
		_, ref = get(ev, "service")
		_, fileNode = get(ev, "file")
	}
	if ref == nil || ref.Kind != yaml.ScalarNode || ref.Value == "" {
		return nil, inputErr(f.name, ek.Line, field, "extends: the service to extend is required")
	}
	if strings.Contains(ref.Value, "$") {
		return nil, inputErr(f.name, ref.Line, field, "extends: %q uses a variable; the service must be known at generation time", ref.Value)
	}
	baseFile := f
	if fileNode != nil {
		abs, dname, err := r.target(f, ek.Line, field+".file", "extends", fileNode)
		if err != nil {
			return nil, err
		}
		if abs != f.abs {
			if baseFile = r.extFiles[abs]; baseFile == nil {
				if baseFile, err = r.read(f, fileNode.Line, field+".file", "extends", abs, dname); err != nil {
					return nil, err
				}
				r.extFiles[abs] = baseFile
			}
		}
	}
	base, err := r.service(baseFile, ref.Value, append(stack, id))
	if err != nil {
		return nil, err
	}
	if base == nil {
		where := ""
		if baseFile != f {
			where = " in " + baseFile.name
		}
		return nil, inputErr(f.name, ref.Line, field, "extends: service %q not found%s", ref.Value, where)
	}
	baseMap, err := asMap(baseFile.name, resolvedTags(base))
	if err != nil {
		return nil, err
	}
	rebased := false
	if bd, fd := filepath.Dir(baseFile.abs), filepath.Dir(f.abs); bd != fd {
		rel, err := filepath.Rel(fd, bd)
		if err != nil {
			rel = bd
		}
		after, changed, err := rebaseValue("services", ref.Value, baseMap, rel)
		if err != nil {
			return nil, inputErr(baseFile.name, base.Line, "services."+ref.Value, "%v", err)
		}
		if changed {
			baseMap, rebased = after.(map[string]any), true
		}
	}
	// Compose's !reset (drop the inherited attribute) and !override (replace it instead of merging) on
	// an attribute of the extending service; deeper in the tree they are refused (see asMap).
	own := mapping()
	own.Line, own.Column = v.Line, v.Column
	reset, replace := map[string]bool{}, map[string]bool{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		switch {
		case k.Value == "extends":
			continue
		case val.Tag == "!reset":
			reset[k.Value] = true
			continue
		case val.Tag == "!override":
			replace[k.Value] = true
			c := *val
			c.Tag = map[yaml.Kind]string{yaml.MappingNode: "!!map", yaml.SequenceNode: "!!seq"}[val.Kind]
			if c.Tag == "" {
				c.Tag = "!!str"
			}
			c.Style &^= yaml.TaggedStyle
			val = &c
		}
		own.Content = append(own.Content, k, val)
	}
	ownMap, err := asMap(f.name, own)
	if err != nil {
		return nil, err
	}
	baseCopy := deepCopy(baseMap).(map[string]any)
	for k := range reset {
		delete(baseCopy, k)
	}
	for k := range replace {
		delete(baseCopy, k)
	}
	merged, err := override.ExtendService(baseCopy, deepCopy(ownMap).(map[string]any))
	if err != nil {
		return nil, inputErr(f.name, ek.Line, field, "extends: %v", err)
	}
	delete(merged, "extends")
	for k := range reset {
		delete(merged, k)
	}
	out := mapping()
	out.Line, out.Column = v.Line, v.Column
	for i := 0; i+1 < len(own.Content); i += 2 {
		k, val := own.Content[i], own.Content[i+1]
		if m, ok := merged[k.Value]; ok && !reflect.DeepEqual(m, ownMap[k.Value]) {
			if val, err = fromJSON(m, k.Line); err != nil {
				return nil, err
			}
		}
		out.Content = append(out.Content, k, val)
	}
	for i := 0; i+1 < len(base.Content); i += 2 {
		k, val := base.Content[i], base.Content[i+1]
		m, ok := merged[k.Value]
		if _, mine := ownMap[k.Value]; mine || !ok {
			continue
		}
		// Inherited fields point at the extends: line in errors.
		if rebased && !reflect.DeepEqual(m, baseValue(base, k.Value)) {
			if val, err = fromJSON(m, ek.Line); err != nil {
				return nil, err
			}
		} else {
			val = restamp(val, ek.Line)
		}
		out.Content = append(out.Content, restamp(k, ek.Line), val)
	}
	*v = *out
	f.resolved[name] = true
	return v, nil
}

func baseValue(base *yaml.Node, key string) any {
	_, n := get(base, key)
	if n == nil {
		return nil
	}
	m, _ := toJSON(n)
	return m
}

// asMap is a service node as JSON-shaped values; a shape toJSON cannot convert (a non-string key, a
// custom tag) is refused at its line.
// resolvedTags is a service's node as Compose reads it when the service extends nothing: an attribute
// tagged !reset is dropped and one tagged !override is its value (a base's `command: !reset null`).
// The node itself is not changed; the lock keeps the service as written.
func resolvedTags(svc *yaml.Node) *yaml.Node {
	if svc.Kind != yaml.MappingNode {
		return svc
	}
	c := *svc
	c.Content = nil
	for i := 0; i+1 < len(svc.Content); i += 2 {
		k, v := svc.Content[i], svc.Content[i+1]
		switch v.Tag {
		case "!reset":
			continue
		case "!override":
			u := *v
			u.Tag, u.Style = "", u.Style&^yaml.TaggedStyle
			v = &u
		}
		c.Content = append(c.Content, k, v)
	}
	return &c
}

func asMap(file string, n *yaml.Node) (map[string]any, error) {
	v, ok := toMerge(n)
	if !ok {
		return nil, unsupportedNode(file, n)
	}
	m, _ := v.(map[string]any)
	if m == nil {
		return nil, inputErr(file, n.Line, "", "must be a mapping")
	}
	return m, nil
}

// unsupportedNode finds what toJSON refused in n: a non-string mapping key or a custom tag.
func unsupportedNode(file string, n *yaml.Node) error {
	var find func(n *yaml.Node, path string) error
	find = func(n *yaml.Node, path string) error {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				p := joinPath(path, k.Value)
				if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
					return inputErr(file, k.Line, p, "a mapping key must be a string (Compose refuses %s keys); quote it", strings.TrimPrefix(k.ShortTag(), "!!"))
				}
				if err := find(n.Content[i+1], p); err != nil {
					return err
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				if err := find(c, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		case yaml.ScalarNode:
			if _, ok := toJSON(n); !ok {
				if n.Tag == "!reset" || n.Tag == "!override" {
					return inputErr(file, n.Line, path, "%s is supported on an attribute of a service that extends another (services.NAME.ATTR), not deeper", n.Tag)
				}
				return inputErr(file, n.Line, path, "unsupported YAML value %q (tag %s)", n.Value, n.Tag)
			}
		}
		return nil
	}
	if err := find(n, ""); err != nil {
		return err
	}
	return inputErr(file, n.Line, "", "unsupported YAML")
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fromJSON encodes JSON-shaped values as a node tree whose every node has the given line.
func fromJSON(v any, line int) (*yaml.Node, error) {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	return restamp(&n, line), nil
}

// restamp copies a node tree, setting every node's line (columns are dropped: they belong to another
// place).
func restamp(n *yaml.Node, line int) *yaml.Node {
	c := *n
	c.Line, c.Column = line, 0
	if n.Content != nil {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, x := range n.Content {
			c.Content[i] = restamp(x, line)
		}
	}
	return &c
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(v))
		for k, x := range v {
			c[k] = deepCopy(x)
		}
		return c
	case []any:
		c := make([]any, len(v))
		for i, x := range v {
			c[i] = deepCopy(x)
		}
		return c
	}
	return v
}

// checkUnpinned refuses what would run an image the lock does not pin: jobs (containers Stella does not
// pin or label), a pre_start hook with its own image not pinned by digest or with a build, and a model
// whose reference has no digest.
func (t *Template) checkUnpinned() error {
	if k, _ := get(t.root, "jobs"); k != nil {
		return inputErr(t.originOf(t.File, "jobs"), k.Line, "jobs", "not supported: Stella pins and labels services; a job's image would run unpinned (make it a service)")
	}
	_, models := get(t.root, "models")
	if models != nil && models.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(models.Content); i += 2 {
			k, v := models.Content[i], models.Content[i+1]
			mk, mv := get(v, "model")
			if mv != nil && mv.Kind == yaml.ScalarNode && !strings.Contains(mv.Value, "@sha256:") {
				return inputErr(t.originOf(t.File, "models."+k.Value), mk.Line, "models."+k.Value+".model", "%q has no digest: a model would be pulled by tag; write it as NAME@sha256:…", mv.Value)
			}
		}
	}
	for _, s := range t.services {
		_, hooks := get(s.node, "pre_start")
		if hooks == nil || hooks.Kind != yaml.SequenceNode {
			continue
		}
		file := t.originOf(t.File, "services."+s.name)
		for i, h := range hooks.Content {
			field := fmt.Sprintf("services.%s.pre_start[%d]", s.name, i)
			if bk, _ := get(h, "build"); bk != nil {
				return inputErr(file, bk.Line, field+".build", "the lock never builds: give the hook an image pinned by digest, or none (it then runs the service's pinned image)")
			}
			if ik, iv := get(h, "image"); iv != nil && (iv.Kind != yaml.ScalarNode || !strings.Contains(iv.Value, "@sha256:")) {
				return inputErr(file, ik.Line, field+".image", "%q has no digest: the hook's image would run unpinned; write it as NAME@sha256:… or leave it out (the service's pinned image)", iv.Value)
			}
		}
	}
	return nil
}
