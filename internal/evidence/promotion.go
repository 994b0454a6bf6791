package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/stella-ops/stella/internal/fault"
	"go.yaml.in/yaml/v3"
)

// Promotion is the approved (or rejected) promotion a deployment carries out: promotion.yaml.
type Promotion struct {
	ID        string     `yaml:"id"`
	Requester Person     `yaml:"requester"`
	Approvers []Approver `yaml:"approvers"`
	Gates     []Gate     `yaml:"gates"`
	// Decision is allow or deny.
	Decision string   `yaml:"decision"`
	Reasons  []string `yaml:"reasons"`

	File string `yaml:"-"`
	// SHA256 is the hex SHA-256 of the file's bytes, for the manifest's inputs.
	SHA256 string `yaml:"-"`
}

// Approver actions a promotion file may use, and the usual gate statuses (any non-empty status is
// taken, as the schema says; "failed" contradicts an allow decision).
var (
	ApproverActions = []string{"approved", "rejected"}
	GateStatuses    = []string{"passed", "failed", "warning", "skipped"}
)

var email = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

var safeID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// LoadPromotion reads and checks a promotion file. Unknown fields are errors; every error is one line
// naming the file, line and field.
func LoadPromotion(path string) (*Promotion, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fault.Inputf("--promotion: %v", err)
	}
	return ParsePromotion(path, data)
}

// ParsePromotion decodes promotion YAML read from file.
func ParsePromotion(file string, data []byte) (*Promotion, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlErr(file, err)
	}
	if len(root.Content) == 0 {
		return nil, fault.Inputf("%s:1: empty promotion file", file)
	}
	if err := checkTimes(file, root.Content[0]); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Promotion
	if err := dec.Decode(&p); err != nil {
		return nil, yamlErr(file, err)
	}
	p.File = file
	sum := sha256.Sum256(data)
	p.SHA256 = hex.EncodeToString(sum[:])
	doc := root.Content[0]
	bad := func(field, format string, args ...any) error {
		return fault.Inputf("%s:%d: %s: %s", file, lineOf(doc, field), field, fmt.Sprintf(format, args...))
	}
	switch {
	case p.ID == "":
		return nil, bad("id", "required")
	case !safeID.MatchString(p.ID):
		return nil, bad("id", "%q is not a safe name (letters, digits, . _ -; max 128)", p.ID)
	case p.Requester.ID == "":
		return nil, bad("requester.id", "required")
	case p.Requester.Name == "":
		return nil, bad("requester.name", "required")
	case p.Requester.Email != "" && !email.MatchString(p.Requester.Email):
		return nil, bad("requester.email", "%q is not an email address", p.Requester.Email)
	case p.Decision != "allow" && p.Decision != "deny":
		return nil, bad("decision", "%q is not allow or deny", p.Decision)
	}
	for i, a := range p.Approvers {
		f := fmt.Sprintf("approvers[%d]", i)
		switch {
		case a.ID == "":
			return nil, bad(f+".id", "required")
		case a.Name == "":
			return nil, bad(f+".name", "required")
		case !contains(ApproverActions, a.Action):
			return nil, bad(f+".action", "%q is not %s", a.Action, strings.Join(ApproverActions, " or "))
		case a.At.IsZero():
			return nil, bad(f+".at", "required (RFC 3339 time)")
		}
	}
	for i, g := range p.Gates {
		f := fmt.Sprintf("gates[%d]", i)
		switch {
		case g.Type == "":
			return nil, bad(f+".type", "required")
		case g.Name == "":
			return nil, bad(f+".name", "required")
		case g.Status == "":
			return nil, bad(f+".status", "required (e.g. %s)", strings.Join(GateStatuses, ", "))
		}
	}
	if p.Decision == "allow" {
		for i, a := range p.Approvers {
			if a.Action == "rejected" {
				return nil, bad(fmt.Sprintf("approvers[%d].action", i), "rejected, but decision is allow")
			}
		}
		for i, g := range p.Gates {
			if g.Status == "failed" {
				return nil, bad(fmt.Sprintf("gates[%d].status", i), "failed, but decision is allow")
			}
		}
	}
	return &p, nil
}

// checkTimes checks approvers[].at before decoding, whose own time errors carry no line.
func checkTimes(file string, doc *yaml.Node) error {
	if doc.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != "approvers" || doc.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for j, a := range doc.Content[i+1].Content {
			if a.Kind != yaml.MappingNode {
				continue
			}
			for k := 0; k+1 < len(a.Content); k += 2 {
				v := a.Content[k+1]
				if a.Content[k].Value == "at" && v.Kind == yaml.ScalarNode {
					if _, err := time.Parse(time.RFC3339, v.Value); err != nil {
						return fault.Inputf("%s:%d: approvers[%d].at: %q is not an RFC 3339 time (2026-01-10T14:10:00Z)", file, v.Line, j, v.Value)
					}
				}
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Actors and Decision turn the promotion into packet content.
func (p *Promotion) Actors() Actors {
	return Actors{Requester: p.Requester, Approvers: append([]Approver{}, p.Approvers...)}
}

// DecisionContent is the packet's decision.
func (p *Promotion) DecisionContent() Decision {
	return Decision{Result: p.Decision, Gates: append([]Gate{}, p.Gates...), Reasons: append([]string{}, p.Reasons...)}
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlErr turns a YAML error into "FILE:LINE: message" (the first one, on one line).
func yamlErr(file string, err error) error {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimSpace(msg)
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return fault.Inputf("%s:%s: %s", file, m[1], tidy(m[2]))
	}
	return fault.Inputf("%s: %s", file, tidy(strings.TrimPrefix(msg, "yaml: ")))
}

func tidy(s string) string {
	s = strings.ReplaceAll(s, " in type evidence.Promotion", "")
	s = regexp.MustCompile(` in type evidence\.\w+`).ReplaceAllString(s, "")
	if strings.HasPrefix(s, "field ") && strings.HasSuffix(s, " not found") {
		return "unknown field " + strings.TrimSuffix(strings.TrimPrefix(s, "field "), " not found")
	}
	return s
}

// lineOf finds the line of a field path like "approvers[1].action" in a mapping node; it falls back to
// the deepest part found (or line 1).
func lineOf(doc *yaml.Node, path string) int {
	line := doc.Line
	n := doc
	for _, part := range strings.Split(path, ".") {
		name, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 {
			name = part[:i]
			idx, _ = strconv.Atoi(strings.TrimSuffix(part[i+1:], "]"))
		}
		var next *yaml.Node
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == name {
					line, next = n.Content[i].Line, n.Content[i+1]
				}
			}
		}
		if next == nil {
			return line
		}
		if idx >= 0 {
			if next.Kind != yaml.SequenceNode || idx >= len(next.Content) {
				return line
			}
			next = next.Content[idx]
			line = next.Line
		}
		n = next
	}
	return line
}
