package lockfile

import (
	"encoding/json"
	"strings"
	"testing"
)

// toJSON gives the values compose-go's own path (decode, then a JSON round trip) gives.
func TestToJSONMatchesDecode(t *testing.T) {
	templates := map[string]string{
		"scalars": "services:\n  a:\n    image: x\n    init: true\n    cpus: 0.5\n    mem_swappiness: 10\n    stop_grace_period: 1m\n    environment: {A: null, B: ~, C: '1', D: 0x1F}\n    ports: ['80:80', 443]\n    x-when: 2026-01-10T14:00:00Z\n",
		// Integers past int64 (a build id): uint64, then a float, as decoding gives them.
		"big integers": "services:\n  a:\n    image: x\n    environment: {BUILD_ID: 12345678901234567890, BIG: 123456789012345678901234567890, NEG: -9223372036854775809}\n",
	}
	for k, v := range spliceTemplates {
		templates[k] = v
	}
	for name, tpl := range templates {
		tp, err := Parse("compose.yaml", []byte(tpl))
		if err != nil {
			t.Fatal(err)
		}
		fast, ok := toJSON(tp.root)
		if !ok {
			t.Fatalf("%s: toJSON refused", name)
		}
		var slow map[string]any
		if err := tp.root.Decode(&slow); err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(fast)
		b, _ := json.Marshal(slow)
		if string(a) != string(b) {
			t.Errorf("%s:\n toJSON %s\n decode %s", name, a, b)
		}
	}
}

// Validating services one by one finds what validating the whole model finds.
func TestSplitValidationAgrees(t *testing.T) {
	s, err := composeSchema()
	if err != nil {
		t.Fatal(err)
	}
	for name, tpl := range map[string]string{
		"valid":          "services:\n  a:\n    image: x\n  b:\n    image: y\n    deploy: {replicas: 2}\nvolumes: {d: {}}\n",
		"bad-service":    "services:\n  a:\n    image: x\n  b:\n    image: y\n    deploy: {replicaz: 2}\n",
		"bad-top":        "services:\n  a:\n    image: x\nvolumez: {}\n",
		"bad-name":       "services:\n  'a b':\n    image: x\n",
		"bad-type":       "services:\n  a:\n    image: [x]\n",
		"unknown-in-svc": "services:\n  a:\n    imag: x\n",
	} {
		tp, err := Parse("c.yaml", []byte(tpl))
		if err != nil {
			t.Fatal(err)
		}
		m, err := tp.model()
		if err != nil {
			t.Fatal(err)
		}
		whole := s.whole.Validate(m)
		split := validateSplit(s, m)
		if (whole == nil) != (split == nil) || (whole == nil) != (name == "valid") {
			t.Errorf("%s: whole %v, split %v", name, whole, split)
		}
	}
}

// Equal list items (the same environment entry, label or port twice) are accepted, as Compose accepts
// them: it keeps one before validating against the schema, which wants unique items (the sweep's
// Haxxnet kutt and upsnap templates); a real schema error is still one.
func TestValidateAcceptsEqualItems(t *testing.T) {
	for src, want := range map[string]string{
		"services:\n  app:\n    image: x\n    environment:\n      - TZ=Europe/Berlin\n      - TZ=Europe/Berlin\n    labels: [a=b, a=b]\n    ports: [\"80:80\", \"80:80\"]\n": "",
		"services:\n  app:\n    image: x\n    environment:\n      - TZ=Europe/Berlin\n      - TZ=Europe/Berlin\n    ports: {}\n":                                             "compose.yaml:7: services.app.ports",
		// Ports and expose written as numbers (EnforceUnicity reads them as int).
		"services:\n  app:\n    image: x\n    expose: [8080, 8080]\n    ports: [80, 80, 443]\n    environment: [A=1, A=1]\n": "",
	} {
		tpl, err := Parse("compose.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		err = tpl.Validate(nil)
		if (want == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), want)) {
			t.Errorf("Validate(%q) = %v, want %q", src, err, want)
		}
	}
}

// A service with an item Compose's deduplication cannot read keeps its equal items for the schema to
// report; the others are deduplicated whatever Go's map order (the sweep's opentelemetry-demo, with its
// port variables empty, was reported for one service or another from run to run).
func TestValidateEqualItemsDeterministic(t *testing.T) {
	src := "services:\n  a:\n    image: x\n    ports: [\"80\", \"80\"]\n  b:\n    image: x\n    ports: [\"81\", \"81\"]\n    volumes: [\":/data\"]\n  c:\n    image: x\n    ports: [\"82\", \"82\"]\n"
	for range 20 {
		tpl, err := Parse("compose.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if err := tpl.Validate(nil); err == nil || !strings.HasPrefix(err.Error(), "compose.yaml:7: services.b.ports: items at 0 and 1 are equal") {
			t.Fatalf("Validate = %v", err)
		}
	}
}
