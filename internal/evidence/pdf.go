package evidence

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// PDF writes a report of the packet for a person to read: release and components with digests,
// environment and targets, requester and approvers, gates and decision, artifacts with checksums,
// signature, algorithm, key reference and chain position. packetHash is the packet's chain hash. The
// same packet gives the same bytes (the document dates are the packet's generatedAt).
func PDF(w io.Writer, p *Packet, packetHash string) error {
	return PDFWith(w, p, packetHash, PDFOptions{})
}

// PDFOptions change the report.
type PDFOptions struct {
	// Unverified, when not empty, says why the packet did not verify; every page then carries a
	// "NOT VERIFIED" stamp with it, so a printed page can never pass for a verified report.
	Unverified string
}

// PDFWith is PDF with options.
func PDFWith(w io.Writer, p *Packet, packetHash string, o PDFOptions) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(p.GeneratedAt)
	pdf.SetModificationDate(p.GeneratedAt)
	pdf.SetProducer("stella", true)
	pdf.SetCreator(p.GeneratorVersion, true)
	pdf.SetTitle("Evidence packet "+p.ID, true)
	pdf.SetMargins(15, 15, 15)
	pdf.SetAutoPageBreak(true, 15)
	pdf.AliasNbPages("{nb}")
	tr := pdf.UnicodeTranslatorFromDescriptor("") // cp1252 for the core fonts
	if o.Unverified != "" {
		pdf.SetHeaderFunc(func() {
			pdf.SetFont("Helvetica", "B", 10)
			pdf.SetTextColor(190, 0, 0)
			pdf.MultiCell(0, 5, tr("NOT VERIFIED - this packet failed verification: "+o.Unverified), "1", "C", false)
			pdf.SetTextColor(0, 0, 0)
			pdf.Ln(2)
		})
	}
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Helvetica", "", 8)
		foot := fmt.Sprintf("Evidence %s - tenant %s - page %d of {nb}", p.ID, p.TenantID, pdf.PageNo())
		if o.Unverified != "" {
			foot = "NOT VERIFIED - " + foot
		}
		pdf.CellFormat(0, 5, tr(foot), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()

	const width = 180.0
	heading := func(s string) {
		pdf.Ln(3)
		pdf.SetFont("Helvetica", "B", 12)
		pdf.CellFormat(width, 7, tr(s), "B", 1, "L", false, 0, "")
		pdf.Ln(1)
	}
	field := func(k, v string) {
		pdf.SetFont("Helvetica", "B", 9)
		pdf.CellFormat(42, 5, tr(k), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 9)
		pdf.MultiCell(width-42, 5, tr(orDash(v)), "", "L", false)
	}
	mono := func(indent float64, s string) {
		pdf.SetFont("Courier", "", 7.5)
		pdf.SetX(15 + indent)
		pdf.MultiCell(width-indent, 4, tr(s), "", "L", false)
	}
	text := func(indent float64, style, s string) {
		pdf.SetFont("Helvetica", style, 9)
		pdf.SetX(15 + indent)
		pdf.MultiCell(width-indent, 5, tr(s), "", "L", false)
	}

	c := p.Content
	pdf.SetFont("Helvetica", "B", 16)
	pdf.CellFormat(width, 9, tr("Evidence packet: "+strings.ReplaceAll(p.Type, "_", " ")), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(width, 6, tr(fmt.Sprintf("%s - %s to %s", c.Release.Name, c.Release.ID, c.Environment.Name)), "", 1, "L", false, 0, "")
	pdf.Ln(2)
	field("Packet id", p.ID)
	field("Type", p.Type)
	field("Tenant", p.TenantID)
	field("Promotion", p.PromotionID)
	field("Generated at", stamp(p.GeneratedAt))
	field("Generator", p.GeneratorVersion)
	field("Format version", p.Version)

	heading("Release")
	field("Name", c.Release.Name)
	if c.Release.DisplayName != "" {
		field("Display name", c.Release.DisplayName)
	}
	field("Id", c.Release.ID)
	field("Created", stamp(c.Release.CreatedAt)+byWhom(c.Release.CreatedBy))
	if s := c.Release.SourceRef; s != nil {
		field("Source", strings.TrimSpace(fmt.Sprintf("%s %s %s", s.Repository, s.Branch, s.CommitSha)))
		if s.BuildID != "" || s.PipelineURL != "" {
			field("Build", strings.TrimSpace(s.BuildID+" "+s.PipelineURL))
		}
	}
	text(0, "B", fmt.Sprintf("Components (%d)", len(c.Release.Components)))
	for _, k := range c.Release.Components {
		text(4, "", fmt.Sprintf("%s (%s) - %s:%s, version %s, role %s", k.Name, k.ID, k.ImageRepository, orDash(k.Tag), orDash(k.Semver), orDash(k.Role)))
		mono(8, k.Digest)
	}

	heading("Environment and targets")
	field("Environment", fmt.Sprintf("%s (%s), tier %s", c.Environment.Name, c.Environment.ID, c.Environment.Tier))
	if len(c.Environment.Targets) == 0 {
		field("Targets", "none recorded")
	}
	for _, t := range c.Environment.Targets {
		text(4, "", fmt.Sprintf("%s (%s) %s", t.Name, t.ID, t.Type))
	}

	heading("People")
	r := c.Actors.Requester
	field("Requester", fmt.Sprintf("%s (%s) %s", r.Name, r.ID, r.Email))
	if len(c.Actors.Approvers) == 0 {
		field("Approvers", "none")
	}
	for _, a := range c.Actors.Approvers {
		text(4, "", fmt.Sprintf("%s (%s): %s at %s", a.Name, a.ID, a.Action, stamp(a.At)))
		if a.Comment != "" {
			text(8, "I", "\""+a.Comment+"\"")
		}
	}

	heading("Decision and gates")
	field("Decision", strings.ToUpper(c.Decision.Result))
	for _, g := range c.Decision.Gates {
		text(4, "", fmt.Sprintf("[%s] %s gate %s: %s", strings.ToUpper(g.Status), g.Type, g.Name, g.Message))
		keys := make([]string, 0, len(g.Details))
		for k := range g.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			text(8, "", fmt.Sprintf("%s: %v", k, g.Details[k]))
		}
	}
	for _, rs := range c.Decision.Reasons {
		text(4, "", "Reason: "+rs)
	}

	if x := c.Execution; x != nil {
		heading("Execution and artifacts")
		field("Deployment job", x.DeploymentJobID)
		if x.WorkflowRunID != "" {
			field("Workflow run", x.WorkflowRunID)
		}
		for _, a := range x.Artifacts {
			text(4, "", fmt.Sprintf("%s (%s)", a.Name, a.Type))
			mono(8, a.ContentHash)
		}
	}
	if pv := c.Previous; pv != nil {
		heading("Replaces")
		field("Previous release", fmt.Sprintf("%s (%s)", pv.ReleaseName, pv.ReleaseID))
		names := make([]string, 0, len(pv.Digests))
		for n := range pv.Digests {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			text(4, "", n)
			mono(8, pv.Digests[n])
		}
	}

	if rt := c.Retention; rt != nil {
		heading("Retention")
		field("Action", rt.Action)
		field("Set", rt.Set)
		if rt.Location != "" && rt.Location != rt.Set {
			field("Location", rt.Location)
		}
		field("Retain until", rt.RetainUntil)
		field("Reason", rt.Reason)
		if rt.HoldEvidenceID != "" {
			field("Hold released", rt.HoldEvidenceID)
		}
	}
	if k := c.Key; k != nil {
		heading("Signing key")
		field("Action", k.Action)
		field("Reference", k.Ref)
		field("Key closed", k.OldKeyID+" at "+stamp(k.At))
		field("Key in use", k.NewKeyID+" ("+orDash(k.Algorithm)+")")
		if k.NewPublicKey != "" {
			mono(4, k.NewPublicKey)
		}
	}

	heading("Signature and chain")
	field("Algorithm", p.SignatureAlgorithm)
	field("Key reference", p.SignerKeyRef)
	field("Content hash", "")
	mono(4, p.ContentHash)
	field("Chain position", fmt.Sprintf("packet %d of tenant %s's chain", p.Sequence, p.TenantID))
	field("Previous packet", "")
	mono(4, orDash(p.PreviousHash))
	field("This packet", "")
	mono(4, packetHash)
	field("Signature", "")
	mono(4, p.Signature)
	pdf.Ln(2)
	text(0, "I", "Check it: stella evidence verify --tenant "+p.TenantID+" (the whole chain), or the exported JSON against the signer's public key. The signature covers the RFC 8785 canonical JSON of the packet without its signature member.")

	if err := pdf.Error(); err != nil {
		return fmt.Errorf("render PDF: %w", err)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return fmt.Errorf("render PDF: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func byWhom(s string) string {
	if s == "" {
		return ""
	}
	return " by " + s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
