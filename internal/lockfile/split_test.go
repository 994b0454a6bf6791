package lockfile

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// Service snippets whose text ends in ways a part's parse could read differently from the whole
// lock's if the split were wrong: block scalars kept, clipped or stripped, folded text, comments at
// column 0 and inside, multi-line flow collections, quoted colons, empty values, trailing blank lines.
var splitSnippets = []string{
	"    image: x\n",
	"    image: x\n    command: |+\n      echo a\n\n\n",
	"    image: x\n    command: |\n      echo a\n      echo b\n\n",
	"    image: x\n    entrypoint: >-\n      run\n      this\n",
	"    image: x\n# a comment at column 0\n    environment:\n      A: \"x: y\"\n",
	"    image: x\n    ports: [\n      \"80:80\",\n      \"443:443\"]\n",
	"    image: x\n    labels:\n      a: ''\n      b:\n",
	"    image: x\n    environment:\n      - B=${B:-1}\n      - 'C=#not a comment'\n    # trailing comment\n\n",
	"    image: \"x:1\"\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 10s\n",
	"    image: x\n    command: >\n      folded\n      text\n\n\n",
	"    {image: x}\n", // written on the key's line
}

func splitLock(r *rand.Rand, n int, crlf bool) string {
	var b strings.Builder
	b.WriteString("# compose.stella.lock.yml\n# Generated\nname: demo\nservices:\n  # first\n")
	for i := range n {
		snip := splitSnippets[r.IntN(len(splitSnippets))]
		if strings.HasPrefix(snip, "    {") {
			fmt.Fprintf(&b, "  s%03d: {image: x}\n", i) // a flow mapping on the key's line
			continue
		}
		fmt.Fprintf(&b, "  s%03d:\n", i)
		b.WriteString(snip)
	}
	b.WriteString("networks:\n  front: {}\nx-stella:\n  v: |+\n    kept\n\n")
	s := b.String()
	if crlf {
		s = strings.ReplaceAll(s, "\n", "\r\n")
	}
	return s
}

// A lock split into parts parses, part by part, into exactly the model of the whole lock's parse.
func TestSplitModelsAsWhole(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	split := 0
	for i := range 60 {
		lock := splitLock(r, 80+r.IntN(120), i%5 == 4)
		whole, ok := lockModel([]byte(lock))
		if !ok {
			t.Fatalf("case %d: the whole lock does not parse", i)
		}
		for _, parts := range []int{2, 3} {
			models, ok := splitModels([]byte(lock), parts)
			if !ok {
				if len(whole["services"].(map[string]any)) >= parts*minChunk {
					t.Errorf("case %d (%d parts): not split", i, parts)
				}
				continue
			}
			split++
			got := mergedServices(models)
			if !reflect.DeepEqual(got, whole["services"]) {
				t.Fatalf("case %d (%d parts): services differ from the whole parse", i, parts)
			}
			for _, m := range models {
				for k, v := range whole {
					if k != "services" && !reflect.DeepEqual(m[k], v) {
						t.Fatalf("case %d: top-level %s differs: %#v, whole %#v", i, k, m[k], v)
					}
				}
				if len(m) != len(whole) {
					t.Fatalf("case %d: %d top-level keys, whole %d", i, len(m), len(whole))
				}
			}
		}
	}
	if split < 60 {
		t.Fatalf("only %d splits: the test shows little", split)
	}
}

// A lock of any other shape is parsed whole.
func TestSplitModelsRefuses(t *testing.T) {
	svcs := func(prefix string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "  %ss%03d:\n    image: x\n", prefix, i)
		}
		return b.String()
	}
	many := svcs("", 100)
	for name, lock := range map[string]string{
		"alias":                   "x-a: &a {image: x}\nservices:\n  z:\n    <<: *a\n" + many,
		"alias across parts":      "services:\n" + svcs("a", 60) + "  anc: &a\n    image: x\n" + svcs("b", 60) + "  use: *a\n",
		"flow services":           "services: {a: {image: x}}\n",
		"services with a comment": "services: # c\n" + many,
		"quoted service name":     "services:\n  \"q\":\n    image: x\n" + many,
		"tab":                     "services:\n" + many + "  \tt:\n    image: x\n",
		"BOM":                     "\ufeffservices:\n" + many,
		"services twice":          "services:\n" + many + "services:\n" + many,
		"a name twice":            "services:\n" + many + "  s001:\n    image: y\n",
		"less indented line":      "services:\n" + many + " odd: 1\n",
		"document marker":         "---\nservices:\n" + many,
		"too few":                 "services:\n" + svcs("", 10),
		"not YAML":                "services:\n" + many + "  bad:\n    image: [x\n",
		// A quoted scalar that runs on over lines the scan takes for other services' keys.
		"quoted scalar over services":  "services:\n  web:\n    command: \"a\n  b:\n    image: x\n    y\"\n" + many,
		"quoted scalar to the end":     "services:\n" + svcs("a", 60) + "  web:\n    command: \"a\n" + svcs("b", 60) + "networks:\n  n: {name: x\"}\n",
		"quoted scalar over a section": "services:\n" + svcs("a", 59) + "  web:\n    command: \"a\n" + svcs("b", 60) + "networks:\n  n: x\"\nx-end: 1\n",
	} {
		if _, ok := splitModels([]byte(lock), 2); ok {
			t.Errorf("%s: split", name)
		}
	}
}

// The check of a split lock says what the check of the whole lock says (CheckStored's two paths).
func TestCheckStoredSplitAsWhole(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs two cores to split")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ name, extra, want string }{
		{"valid", "", ""},
		{"unknown network", "  bad:\n    image: x\n    networks: [back]\n", "back"},
		{"container name twice", "  c1:\n    image: x\n    container_name: c\n  c2:\n    image: x\n    container_name: c\n", "container_name"},
		{"extends a file", "  e:\n    image: x\n    extends: {file: base.yaml, service: b}\n", "extends.file"},
		{"depends on a service in another part", "  dep:\n    image: x\n    depends_on: [s001]\n", ""},
	} {
		lock := strings.Replace(splitLock(r, 100, false), "networks:\n", tc.extra+"networks:\n", 1)
		if _, ok := splitModels([]byte(lock), 2); !ok {
			t.Fatalf("%s: not split", tc.name)
		}
		parsed, contained, loads := CheckStored(t.Context(), []byte(lock), ".", nil)
		var err error
		for _, e := range []error{parsed, contained, loads} {
			if e != nil {
				err = e
			}
		}
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
}
