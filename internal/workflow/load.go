package workflow

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stella-ops/stella/internal/release"

	"github.com/stella-ops/stella/internal/fault"
	"go.yaml.in/yaml/v3"
)

// Load reads and checks the workflow file at path.
func Load(path string) (*Workflow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fault.Inputf("load workflow %s: no such file", path)
		}
		return nil, fmt.Errorf("load workflow %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse checks a workflow's bytes; name is the file name used in errors and to resolve the script.
func Parse(name string, data []byte) (*Workflow, error) {
	p := &parser{file: name}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, p.errf(1, "", "empty file: a workflow needs at least a strategy, hooks or a script")
		}
		return nil, p.yamlErr(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, p.errf(extra.Line, "", "a second YAML document; a workflow is one document")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	w := &Workflow{File: name, Strategy: Strategy{Type: AllAtOnce, OnFailure: Rollback}}
	if err := p.workflow(root, w); err != nil {
		return nil, err
	}
	return w, nil
}

type parser struct{ file string }

// errf is the one-line input error of every input file: "FILE:LINE: FIELD: message".
func (p *parser) errf(line int, field, format string, args ...any) error {
	return release.FieldError(p.file, line, field, format, args...)
}

func (p *parser) yamlErr(err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, e := strconv.Atoi(rest[:i]); e == nil {
				line = n
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return p.errf(line, "", "not valid YAML: %s", msg)
}

// fields walks a mapping node, calling f for each key in order; an unknown key is an error.
func (p *parser) fields(n *yaml.Node, path string, known []string, f func(key string, k, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n.Line, path, "must be a mapping, not %s", kindName(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := join(path, k.Value)
		if !slices.Contains(known, k.Value) {
			return p.errf(k.Line, field, "unknown field (known: %s)", strings.Join(known, ", "))
		}
		if seen[k.Value] {
			return p.errf(k.Line, field, "given twice")
		}
		seen[k.Value] = true
		if err := f(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "empty"
	}
	return fmt.Sprintf("%q", n.Value)
}

func (p *parser) str(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errf(n.Line, field, "must be a string, not %s", kindName(n))
	}
	return n.Value, nil
}

func (p *parser) nonEmpty(n *yaml.Node, field string) (string, error) {
	s, err := p.str(n, field)
	if err == nil && strings.TrimSpace(s) == "" {
		err = p.errf(n.Line, field, "must not be empty")
	}
	return s, err
}

func (p *parser) integer(n *yaml.Node, field string, min int) (int, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		return 0, p.errf(n.Line, field, "must be a whole number, not %s", kindName(n))
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || v < min {
		return 0, p.errf(n.Line, field, "must be a whole number of at least %d, not %s", min, n.Value)
	}
	return v, nil
}

func (p *parser) duration(n *yaml.Node, field string) (Duration, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return 0, p.errf(n.Line, field, "must be a duration like 30s or 2m, not %s", kindName(n))
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil || d <= 0 {
		return 0, p.errf(n.Line, field, "%q is not a positive duration like 30s or 2m", n.Value)
	}
	return Duration(d), nil
}

func (p *parser) oneOf(n *yaml.Node, field string, values []string) (string, error) {
	s, err := p.str(n, field)
	if err != nil {
		return "", err
	}
	if !slices.Contains(values, s) {
		return "", p.errf(n.Line, field, "%q is not one of %s", s, strings.Join(values, ", "))
	}
	return s, nil
}

func (p *parser) workflow(root *yaml.Node, w *Workflow) error {
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return p.errf(root.Line, "", "empty file: a workflow needs at least a strategy, hooks or a script")
	}
	batchLine := 0
	err := p.fields(root, "", []string{"strategy", "hooks", "script"}, func(key string, k, v *yaml.Node) error {
		switch key {
		case "strategy":
			return p.fields(v, "strategy", []string{"type", "batchSize", "onFailure"}, func(key string, k, v *yaml.Node) error {
				var err error
				switch key {
				case "type":
					w.Strategy.Type, err = p.oneOf(v, "strategy.type", StrategyTypes)
				case "batchSize":
					batchLine = v.Line
					w.Strategy.BatchSize, err = p.integer(v, "strategy.batchSize", 1)
				case "onFailure":
					w.Strategy.OnFailure, err = p.oneOf(v, "strategy.onFailure", FailureModes)
				}
				return err
			})
		case "hooks":
			return p.fields(v, "hooks", []string{PreDeploy, PostDeploy}, func(key string, k, v *yaml.Node) error {
				steps, err := p.steps(v, "hooks."+key)
				if key == PreDeploy {
					w.Hooks.PreDeploy = steps
				} else {
					w.Hooks.PostDeploy = steps
				}
				return err
			})
		case "script":
			s, err := p.nonEmpty(v, "script")
			if err != nil {
				return err
			}
			w.Script, w.ScriptLine = s, v.Line
			ext := strings.TrimPrefix(filepath.Ext(s), ".")
			if ext != ScriptCSharp && ext != ScriptShell {
				return p.errf(v.Line, "script", "%q is neither a C# script (.csx) nor a shell script (.sh)", s)
			}
			if filepath.IsAbs(s) {
				w.ScriptPath = s
			} else {
				w.ScriptPath = filepath.Join(filepath.Dir(w.File), s)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if w.Strategy.Type == Rolling && w.Strategy.BatchSize == 0 {
		w.Strategy.BatchSize = 1
	}
	if w.Strategy.Type != Rolling && batchLine != 0 {
		return p.errf(batchLine, "strategy.batchSize", "only a rolling strategy has a batch size")
	}
	if w.Script != "" && !w.Hooks.Empty() {
		return p.errf(w.ScriptLine, "script", "a workflow with its own script carries its hooks in the script; remove hooks or script")
	}
	return nil
}

func (p *parser) steps(n *yaml.Node, path string) ([]Step, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, p.errf(n.Line, path, "must be a list of steps, not %s", kindName(n))
	}
	var out []Step
	for i, sn := range n.Content {
		field := fmt.Sprintf("%s[%d]", path, i)
		st, err := p.step(sn, field)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

var stepKinds = []string{"run", "healthCheck", "notify"}

func (p *parser) step(n *yaml.Node, path string) (Step, error) {
	st := Step{Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return st, p.errf(n.Line, path, "a step is a mapping with one of %s, not %s", strings.Join(stepKinds, ", "), kindName(n))
	}
	kinds := 0
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := path + "." + k.Value
		if k.Value == "name" {
			s, err := p.nonEmpty(v, field)
			if err != nil {
				return st, err
			}
			st.Name = s
			continue
		}
		if !slices.Contains(stepKinds, k.Value) {
			return st, p.errf(k.Line, field, "unknown step kind (known: %s)", strings.Join(stepKinds, ", "))
		}
		kinds++
		if kinds > 1 {
			return st, p.errf(k.Line, field, "a step has exactly one of %s", strings.Join(stepKinds, ", "))
		}
		var err error
		switch k.Value {
		case "run":
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" || v.Kind == yaml.ScalarNode && strings.TrimSpace(v.Value) == "" {
				return st, p.errf(v.Line, field, "a run step needs a command")
			}
			st.Run, err = p.str(v, field)
			st.RunLine = contentLine(v)
		case "healthCheck":
			st.HealthCheck, err = p.healthCheck(v, field)
		case "notify":
			st.Notify, err = p.notify(v, field)
		}
		if err != nil {
			return st, err
		}
	}
	if kinds == 0 {
		return st, p.errf(n.Line, path, "a step needs one of %s", strings.Join(stepKinds, ", "))
	}
	return st, nil
}

// contentLine is the line where a scalar's text begins: the line after the indicator of a block scalar.
func contentLine(v *yaml.Node) int {
	if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return v.Line + 1
	}
	return v.Line
}

func (p *parser) healthCheck(n *yaml.Node, path string) (*HealthCheck, error) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, p.errf(n.Line, path, "a health check needs a url or a command")
	}
	h := &HealthCheck{Timeout: Duration(DefaultHealthTimeout), Interval: Duration(DefaultHealthInterval)}
	err := p.fields(n, path, []string{"url", "command", "timeout", "interval", "retries"}, func(key string, k, v *yaml.Node) error {
		field := path + "." + key
		var err error
		switch key {
		case "url":
			if h.URL, err = p.nonEmpty(v, field); err == nil {
				err = p.checkURL(v, field, h.URL)
			}
		case "command":
			h.Command, err = p.nonEmpty(v, field)
			h.CommandLine = contentLine(v)
		case "timeout":
			h.Timeout, err = p.duration(v, field)
		case "interval":
			h.Interval, err = p.duration(v, field)
		case "retries":
			h.Retries, err = p.integer(v, field, 0)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if h.URL == "" && h.Command == "" {
		return nil, p.errf(n.Line, path, "a health check needs a url or a command")
	}
	if h.URL != "" && h.Command != "" {
		return nil, p.errf(n.Line, path, "a health check has a url or a command, not both")
	}
	return h, nil
}

func (p *parser) notify(n *yaml.Node, path string) (*Notify, error) {
	m := &Notify{}
	err := p.fields(n, path, []string{"url", "message"}, func(key string, k, v *yaml.Node) error {
		var err error
		switch key {
		case "url":
			if m.URL, err = p.nonEmpty(v, path+".url"); err == nil {
				err = p.checkURL(v, path+".url", m.URL)
			}
		case "message":
			m.Message, err = p.nonEmpty(v, path+".message")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if m.URL == "" {
		return nil, p.errf(n.Line, path+".url", "a notify step needs a webhook url")
	}
	if m.Message == "" {
		return nil, p.errf(n.Line, path+".message", "a notify step needs a message")
	}
	return m, nil
}

func (p *parser) checkURL(v *yaml.Node, field, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return p.errf(v.Line, field, "%q is not an http or https URL", s)
	}
	return nil
}
