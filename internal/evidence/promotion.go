package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/release"
	"go.yaml.in/yaml/v3"
)

// Promotion is the approved (or rejected) promotion a deployment carries out: promotion.yaml.
// It names the release and the environment it approves; a promotion id approves one deployment of its
// tenant. The signed manifest of the set carries it whole (its JSON form), so the evidence of a stored
// set derives from the set alone.
type Promotion struct {
	ID            string     `yaml:"id" json:"id"`
	ReleaseID     string     `yaml:"releaseId" json:"releaseId"`
	EnvironmentID string     `yaml:"environmentId" json:"environmentId"`
	Requester     Person     `yaml:"requester" json:"requester"`
	Approvers     []Approver `yaml:"approvers" json:"approvers"`
	Gates         []Gate     `yaml:"gates" json:"gates"`
	// Decision is allow or deny.
	Decision string   `yaml:"decision" json:"decision"`
	Reasons  []string `yaml:"reasons" json:"reasons"`

	File string `yaml:"-" json:"-"`
	// SHA256 is the hex SHA-256 of the file's bytes, for the manifest's inputs.
	SHA256 string `yaml:"-" json:"-"`
	lines  release.Lines
}

// Binds checks that the promotion approves this release for this environment; the error names the
// promotion file's field.
func (p *Promotion) Binds(releaseID, environmentID string) error {
	if p.ReleaseID != releaseID {
		return release.FieldError(p.File, p.lines.Near("releaseId"), "releaseId", "promotion %s approves release %q, not %q", p.ID, p.ReleaseID, releaseID)
	}
	if p.EnvironmentID != environmentID {
		return release.FieldError(p.File, p.lines.Near("environmentId"), "environmentId", "promotion %s approves environment %q, not %q", p.ID, p.EnvironmentID, environmentID)
	}
	return nil
}

// Approver actions a promotion file may use, and the usual gate statuses (any non-empty status is
// taken, as the schema says; "failed" contradicts an allow decision).
var (
	ApproverActions = []string{"approved", "rejected"}
	GateStatuses    = []string{"passed", "failed", "warning", "skipped"}
)

var email = lazyRegexp(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

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
	var p Promotion
	lines, doc, err := release.DecodeStrict(file, data, &p)
	if err != nil {
		return nil, err
	}
	if err := checkTimes(file, doc); err != nil {
		return nil, err
	}
	p.File, p.lines = file, lines
	sum := sha256.Sum256(data)
	p.SHA256 = hex.EncodeToString(sum[:])
	bad := func(field, format string, args ...any) error {
		return release.FieldError(file, lines.Near(field), field, format, args...)
	}
	switch {
	case p.ID == "":
		return nil, bad("id", "required")
	case !release.IsSafeName(p.ID):
		return nil, bad("id", "%q is not a safe name (letters, digits, . _ -; max 128)", p.ID)
	case p.ReleaseID == "":
		return nil, bad("releaseId", "required: the id of the release the promotion approves")
	case p.EnvironmentID == "":
		return nil, bad("environmentId", "required: the id of the environment the promotion approves")
	case p.Requester.ID == "":
		return nil, bad("requester.id", "required")
	case p.Requester.Name == "":
		return nil, bad("requester.name", "required")
	case p.Requester.Email != "" && !email().MatchString(p.Requester.Email):
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
		case !slices.Contains(ApproverActions, a.Action):
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
		// The signed manifest and the evidence carry details as JSON: a value JSON cannot hold (.nan,
		// .inf, a mapping with a non-string key) is refused here rather than failing the generation later.
		if _, err := json.Marshal(g.Details); err != nil {
			return nil, bad(f+".details", "cannot be written as JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
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
						return release.FieldError(file, v.Line, fmt.Sprintf("approvers[%d].at", j), "%q is not an RFC 3339 time (2026-01-10T14:10:00Z)", v.Value)
					}
				}
			}
		}
	}
	return nil
}

// Actors and Decision turn the promotion into packet content.
func (p *Promotion) Actors() Actors {
	return Actors{Requester: p.Requester, Approvers: append([]Approver{}, p.Approvers...)}
}

// DecisionContent is the packet's decision.
func (p *Promotion) DecisionContent() Decision {
	return Decision{Result: p.Decision, Gates: append([]Gate{}, p.Gates...), Reasons: append([]string{}, p.Reasons...)}
}
