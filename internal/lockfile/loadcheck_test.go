package lockfile

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// A lock large enough to be loaded in parts is checked as a whole: references across parts resolve,
// a reference to no service, an unknown network and a container name used twice are all found, each
// naming the template's line.
func TestCheckLockInParts(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs two cores to load in parts")
	}
	build := func(extra map[int]string) []byte {
		var b strings.Builder
		b.WriteString("services:\n")
		for i := range 3 * minChunk {
			fmt.Fprintf(&b, "  s%03d:\n    image: x\n", i)
			if i > 0 {
				fmt.Fprintf(&b, "    depends_on: [s%03d]\n", (i+2*minChunk)%(3*minChunk))
			}
			b.WriteString(extra[i])
		}
		b.WriteString("networks:\n  front: {}\n")
		return []byte(b.String())
	}
	for _, tc := range []struct {
		name  string
		extra map[int]string
		want  string
	}{
		{"valid", map[int]string{7: "    networks: [front]\n"}, ""},
		{"undefined service", map[int]string{100: "    volumes_from: [nope]\n"}, "compose.yaml:"},
		{"unknown network", map[int]string{110: "    networks: [back]\n"}, "back"},
		{"container name twice", map[int]string{3: "    container_name: c\n", 115: "    container_name: c\n"}, "services.s115.container_name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := build(tc.extra)
			tpl, err := Parse("compose.yaml", src)
			if err != nil {
				t.Fatal(err)
			}
			err = tpl.CheckLock(context.Background(), src, nil)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("valid lock refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
