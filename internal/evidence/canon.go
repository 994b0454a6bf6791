package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stella-ops/stella/internal/sign"
)

// canonPacket is what checking a packet needs from its RFC 8785 canonical form, computed in one pass:
// the packet is canonicalised once, its hash taken over that, and since the canonical form of an object
// is its members' canonical forms in order, the content's hash and the signature's payload (the packet
// without its "signature" member) are read off the same bytes instead of canonicalising each again.
type canonPacket struct {
	hash        string // PacketHash
	contentHash string // CanonicalHash of the "content" member; "" when there is none
	payload     []byte // sign.Payload of the packet
	sig         sign.SignedFields
	// head is the packet's members but the content (of which only the deployment job's id), decoded
	// from the canonical form by their exact names; nil when one does not decode.
	head    *Packet
	headErr error
}

// canonicalize is CanonicalHash, ContentHash of the content member, sign.Payload and sign.JSONSignature
// of the stored packet raw, over one canonical form.
func canonicalize(raw []byte) (*canonPacket, error) { return canonicalizeKnown(raw, "") }

// canonicalizeKnown is canonicalize for a stored packet whose packet hash was recorded: when raw's own
// SHA-256 is that hash, raw is exactly the canonical form the hash was taken over (packets are stored
// canonical since schema version 10's Stella), and is walked as it is instead of canonicalised again.
// Other bytes (packets stored indented by earlier versions, or altered ones) are canonicalised first.
func canonicalizeKnown(raw []byte, recorded string) (*canonPacket, error) {
	var sum [sha256.Size]byte
	if recorded != "" {
		sum = sha256.Sum256(raw)
	}
	v := raw
	if recorded == "" || "sha256:"+hex.EncodeToString(sum[:]) != recorded {
		var err error
		if v, err = sign.Canonical(raw); err != nil {
			return nil, err
		}
		sum = sha256.Sum256(v)
	}
	c := &canonPacket{hash: "sha256:" + hex.EncodeToString(sum[:])}
	if jsontext.Value(v).Kind() != '{' {
		return nil, errors.New("not a JSON object")
	}
	// The walk does not check names for duplicates or strings for UTF-8: a canonical form made here has
	// neither, and stored bytes read as they are were pinned by their recorded hash — which the chain's
	// links and signed head hold — and are covered by the signature over the payload read off them,
	// which no packet Stella signed with a duplicate name or invalid UTF-8 would pass. From a
	// bytes.Buffer the decoder reads in place instead of copying into a buffer of its own.
	dec := jsontext.NewDecoder(bytes.NewBuffer(v), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	c.payload = make([]byte, 0, len(v))
	c.payload = append(c.payload, '{')
	p := &Packet{}
	fields := map[string]any{"id": &p.ID, "version": &p.Version, "type": &p.Type, "generatedAt": &p.GeneratedAt, "generatorVersion": &p.GeneratorVersion,
		"tenantId": &p.TenantID, "promotionId": &p.PromotionID, "contentHash": &p.ContentHash, "sequence": &p.Sequence, "previousHash": &p.PreviousHash,
		"signature": &p.Signature, "signatureAlgorithm": &p.SignatureAlgorithm, "signerKeyRef": &p.SignerKeyRef}
	for dec.PeekKind() != '}' {
		start := dec.InputOffset()
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		name := tok.String() // before the next read, which reuses the token's buffer
		val, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		member := bytes.TrimPrefix(v[start:dec.InputOffset()], []byte(","))
		if dst, ok := fields[name]; ok && c.headErr == nil {
			if err := json.Unmarshal(val, dst); err != nil {
				c.headErr = fmt.Errorf("not an evidence packet: %s: %w", name, err)
			}
		}
		switch name {
		case "content":
			s := sha256.Sum256(val)
			c.contentHash = "sha256:" + hex.EncodeToString(s[:])
			if c.headErr == nil {
				p.Content.Execution, c.headErr = execution(val)
			}
		case "signature", "signatureAlgorithm", "signerKeyRef":
			dst := map[string]*string{"signature": &c.sig.Signature, "signatureAlgorithm": &c.sig.SignatureAlgorithm, "signerKeyRef": &c.sig.SignerKeyRef}[name]
			if val.Kind() != 'n' {
				if err := json.Unmarshal(val, dst); err != nil {
					return nil, fmt.Errorf("%s is not a string: %w", name, sign.ErrBadSignature)
				}
			}
		}
		if name == "signature" {
			continue
		}
		if len(c.payload) > 1 {
			c.payload = append(c.payload, ',')
		}
		c.payload = append(c.payload, member...)
	}
	c.payload = append(c.payload, '}')
	if c.headErr == nil {
		c.head = p
	}
	return c, nil
}

// execution decodes the deployment job's id of a canonical content object. Members are sorted in a
// canonical object, so the walk stops at the first name after "execution" (before the release and its
// components, the bulk of a packet).
func execution(content jsontext.Value) (*Execution, error) {
	if content.Kind() != '{' {
		return nil, errors.New("not an evidence packet: content is not an object")
	}
	dec := jsontext.NewDecoder(bytes.NewBuffer(content), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		name := tok.String()
		if name > "execution" {
			return nil, nil
		}
		val, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		if name == "execution" {
			if val.Kind() == 'n' {
				return nil, nil
			}
			var x struct {
				DeploymentJobID string `json:"deploymentJobId"`
			}
			if err := json.Unmarshal(val, &x); err != nil {
				return nil, fmt.Errorf("not an evidence packet: content.execution: %w", err)
			}
			return &Execution{DeploymentJobID: x.DeploymentJobID}, nil
		}
	}
	return nil, nil
}
