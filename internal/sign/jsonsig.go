package sign

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"
)

// SignedFields are the members every signed JSON document carries.
type SignedFields struct {
	Signature          string `json:"signature"`
	SignatureAlgorithm string `json:"signatureAlgorithm"`
	SignerKeyRef       string `json:"signerKeyRef"`
}

// Payload returns the bytes a JSON document's signature covers: the RFC 8785 canonical form of the
// document with its top-level "signature" member removed.
func Payload(doc []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	delete(m, "signature")
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return Canonical(raw)
}

// SignedParts is JSONSignature and Payload of doc from one read of it (verification's hot path: a
// manifest of a large release was scanned five times over for its signature): the document's members
// are streamed once into a copy without "signature", which is then canonicalised. A document that
// JSONSignature reads but Payload refuses (a duplicate member name, invalid UTF-8) is an error here.
func SignedParts(doc []byte) (SignedFields, []byte, error) {
	var f SignedFields
	dec := jsontext.NewDecoder(bytes.NewReader(doc))
	var out bytes.Buffer
	out.Grow(len(doc))
	enc := jsontext.NewEncoder(&out)
	notObject := func(err error) (SignedFields, []byte, error) {
		return SignedFields{}, nil, fmt.Errorf("not a JSON object: %w", err)
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return notObject(err)
	}
	if tok.Kind() != '{' {
		return notObject(fmt.Errorf("a JSON %s", tok.Kind()))
	}
	if err := enc.WriteToken(tok); err != nil {
		return notObject(err)
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return notObject(err)
		}
		name := tok.String() // the token is void after the next read; the value is until the one after
		val, err := dec.ReadValue()
		if err != nil {
			return notObject(err)
		}
		var dst *string
		switch name {
		case "signature":
			dst = &f.Signature
		case "signatureAlgorithm":
			dst = &f.SignatureAlgorithm
		case "signerKeyRef":
			dst = &f.SignerKeyRef
		}
		if dst != nil && string(val) != "null" {
			if err := json.Unmarshal(val, dst); err != nil {
				return SignedFields{}, nil, fmt.Errorf("%s is not a string: %w", name, ErrBadSignature)
			}
		}
		if name == "signature" {
			continue
		}
		if err := enc.WriteToken(jsontext.String(name)); err != nil {
			return notObject(err)
		}
		if err := enc.WriteValue(val); err != nil {
			return notObject(err)
		}
	}
	if tok, err = dec.ReadToken(); err != nil {
		return notObject(err)
	}
	if err := enc.WriteToken(tok); err != nil {
		return notObject(err)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return notObject(fmt.Errorf("data after the object"))
	}
	v := jsontext.Value(out.Bytes())
	if err := v.Canonicalize(); err != nil {
		return SignedFields{}, nil, err
	}
	return f, v, nil
}

// Canonical is the RFC 8785 (JCS) canonical form of the JSON text raw, by go-json-experiment's jsontext
// (an order of magnitude faster than gowebpki/jcs, which made the signatures before it and gives the
// same bytes: internal/evidence's TestCanonicalizeMatchesJCS and FuzzCanonicalize). Duplicate member
// names and invalid UTF-8 are refused.
func Canonical(raw []byte) ([]byte, error) {
	v := jsontext.Value(bytes.Clone(raw))
	if err := v.Canonicalize(); err != nil {
		return nil, err
	}
	return v, nil
}

// SignJSON marshals doc (which must have a "signature" member, empty), signs its canonical form and
// returns the indented document with the signature filled in. doc must marshal signatureAlgorithm and
// signerKeyRef as the signer's; setFields is called to put them in before signing.
func SignJSON(s *Signer, doc any, set func(alg, ref, sig string)) ([]byte, error) {
	set(s.Alg, s.Ref, "")
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	payload, err := Payload(raw)
	if err != nil {
		return nil, err
	}
	sig, err := s.SignBase64(payload)
	if err != nil {
		return nil, err
	}
	set(s.Alg, s.Ref, sig)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// JSONSignature reads the signature members of a signed JSON document.
func JSONSignature(doc []byte) (SignedFields, error) {
	var f SignedFields
	// The members by their exact names (encoding/json would match "Signature" or "signAture" too, which
	// Payload does not remove): a signature is only ever the "signature" member.
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return f, fmt.Errorf("not a JSON object: %w", err)
	}
	for name, dst := range map[string]*string{"signature": &f.Signature, "signatureAlgorithm": &f.SignatureAlgorithm, "signerKeyRef": &f.SignerKeyRef} {
		raw, ok := m[name]
		if !ok || string(raw) == "null" {
			continue
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return f, fmt.Errorf("%s is not a string: %w", name, ErrBadSignature)
		}
	}
	return f, nil
}

// VerifyJSON checks the signature of a signed JSON document with v. It also checks that the document's
// signatureAlgorithm names v's algorithm.
func VerifyJSON(v *Verifier, doc []byte) error {
	f, err := JSONSignature(doc)
	if err != nil {
		return err
	}
	if err := f.check(v); err != nil {
		return err
	}
	payload, err := Payload(doc)
	if err != nil {
		return err
	}
	return v.VerifyBase64(payload, f.Signature)
}

// VerifyPayload is VerifyJSON for a caller that has the document's signed members f and its payload
// (Payload) already, from a canonical form it computed once for other checks as well.
func VerifyPayload(v *Verifier, f SignedFields, payload []byte) error {
	if err := f.check(v); err != nil {
		return err
	}
	return v.VerifyBase64(payload, f.Signature)
}

func (f SignedFields) check(v *Verifier) error {
	if f.Signature == "" {
		return fmt.Errorf("no signature: %w", ErrBadSignature)
	}
	if f.SignatureAlgorithm != v.Alg {
		return fmt.Errorf("signatureAlgorithm %q does not match the %s key: %w", f.SignatureAlgorithm, v.Alg, ErrBadSignature)
	}
	return nil
}
