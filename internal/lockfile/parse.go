package lockfile

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	yaml4 "go.yaml.in/yaml/v4"
)

var bom = []byte("\xef\xbb\xbf")

// normalize strips a UTF-8 byte-order mark and turns CRLF line ends into LF, so that the lock — which
// starts with Stella's header comments — stays one Compose file with LF line ends whatever the
// template's editor wrote (see docs/decisions.md). The manifest records the template's own bytes.
func normalize(data []byte) []byte {
	data = bytes.TrimPrefix(data, bom)
	if bytes.Contains(data, []byte("\r\n")) {
		data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	}
	return data
}

// yaml4Range is the wording of go.yaml.in/yaml/v4 from rc.6: "go-yaml load error in parser (while parsing
// a flow sequence) at L3.C12-L4.C1: message"; the line is where the construct starts.
var yaml4Range = lazyRegexp(`^go-yaml load error in [a-z]+(?: \([^)]*\))? at L(\d+)\.C\d+(?:-L\d+\.C\d+)?: (.*)$`)

var yaml4Err = lazyRegexp(`^yaml: (?:while (parsing|scanning) [^:]* at line \d+, column \d+: )?line (\d+)(?:, column \d+)?: (.*)$`)

// yamlError words a YAML syntax error as FILE:LINE: malformed YAML: message, LINE being where the
// problem is. yaml.v3 reports the line where the enclosing construct starts (for parser errors, 0-based),
// often one or two lines early; yaml.v4's parser names the problem's own position, so the error is
// located by parsing again with it. Its parser errors count lines from 0 and its scanner errors from 1;
// a position past the last line (an unclosed bracket at the end of the file) is the last line.
func yamlError(file string, data []byte, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		if m := typeLine().FindStringSubmatch(te.Errors[0]); m != nil {
			n, _ := strconv.Atoi(m[1])
			return inputErr(file, n, "", "%s", m[2])
		}
	}
	var n4 yaml4.Node
	if err4 := yaml4.Unmarshal(data, &n4); err4 != nil {
		if m := yaml4Range().FindStringSubmatch(err4.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			if last := lastLine(data); line > last {
				line = last
			}
			return inputErr(file, line, "", "malformed YAML: %s", m[2])
		}
		if m := yaml4Err().FindStringSubmatch(err4.Error()); m != nil {
			line, _ := strconv.Atoi(m[2])
			if m[1] == "parsing" || m[1] == "" && strings.HasPrefix(m[3], "did not find expected") {
				line++
			}
			if last := lastLine(data); line > last {
				line = last
			}
			return inputErr(file, line, "", "malformed YAML: %s", m[3])
		}
	}
	if m := yamlLine().FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return inputErr(file, n, "", "malformed YAML: %s", m[2])
	}
	return inputErr(file, 0, "", "malformed YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
}

// lastLine is the number of the file's last non-empty line.
func lastLine(data []byte) int {
	data = bytes.TrimRight(data, "\n \t")
	return bytes.Count(data, []byte("\n")) + 1
}

// checkAliasing refuses a template whose aliases Compose's YAML parser (yaml.v4, as compose-go reads
// it) calls excessive — an "alias bomb" that a few hundred bytes expand into megabytes — before Stella
// expands them, naming the first alias's line.
func checkAliasing(file string, data []byte, root *yaml.Node) error {
	var v any
	if err := yaml4.Unmarshal(data, &v); err != nil && strings.Contains(err.Error(), "excessive aliasing") {
		return inputErr(file, firstAlias(root), "", "aliases expand excessively: Compose's YAML parser refuses this document (document contains excessive aliasing)")
	}
	return nil
}

func firstAlias(n *yaml.Node) int {
	if n.Kind == yaml.AliasNode {
		return n.Line
	}
	for _, c := range n.Content {
		if l := firstAlias(c); l > 0 {
			return l
		}
	}
	return 0
}

// checkOneDocument refuses a file with a second YAML document: Compose merges the documents of a file,
// Stella's lock is one document (merge them into one).
func checkOneDocument(file string, data []byte) error {
	// A document marker starts a line; "..." in a comment or a value is no reason to decode it all again.
	if !hasLineStart(data, "---") && !hasLineStart(data, "...") {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var first, second yaml.Node
	if dec.Decode(&first) != nil {
		return nil
	}
	if err := dec.Decode(&second); err == io.EOF || err != nil {
		return nil
	}
	line := second.Line
	if len(second.Content) > 0 {
		line = second.Content[0].Line
	}
	return inputErr(file, line, "", "a second YAML document: Compose would merge it with the first, Stella takes one document per file; merge them")
}

// hasLineStart reports whether a line of data starts with prefix.
func hasLineStart(data []byte, prefix string) bool {
	return bytes.HasPrefix(data, []byte(prefix)) || bytes.Contains(data, []byte("\n"+prefix))
}
