package mapstructure

import (
	"reflect"
	"slices"
	"sync"
	"testing"
)

// TestStructTagsCachePerTagName checks Stella's patch (structTags): the tags of a struct type are
// remembered per tag name, so decoders with different tag names, running at once, each read their own,
// and the case-insensitive search and the unset-field report still work after the cache is warm.
func TestStructTagsCachePerTagName(t *testing.T) {
	type target struct {
		A string `yaml:"alpha" json:"a"`
		B int    `yaml:"beta,omitempty" json:"b"`
		C string `yaml:",omitempty"`
		D string
	}
	decode := func(tag string, in map[string]any, cfg DecoderConfig) (target, *Metadata, error) {
		var out target
		md := &Metadata{}
		cfg.Result, cfg.TagName, cfg.Metadata = &out, tag, md
		d, err := NewDecoder(&cfg)
		if err != nil {
			t.Fatal(err)
		}
		return out, md, d.Decode(in)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for i := 0; i < 50; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			got, _, err := decode("yaml", map[string]any{"alpha": "x", "BETA": 2, "c": "y", "d": "z"}, DecoderConfig{})
			if want := (target{A: "x", B: 2, C: "y", D: "z"}); err != nil || got != want {
				errs <- "yaml: " + reflect.ValueOf(got).String()
			}
		}()
		go func() {
			defer wg.Done()
			got, _, err := decode("json", map[string]any{"a": "x", "b": 3}, DecoderConfig{})
			if want := (target{A: "x", B: 3}); err != nil || got != want {
				errs <- "json: " + reflect.ValueOf(got).String()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	_, md, err := decode("yaml", map[string]any{"alpha": "x"}, DecoderConfig{})
	slices.Sort(md.Unset)
	if err != nil || !slices.Equal(md.Unset, []string{"C", "D", "beta"}) {
		t.Errorf("unset fields with metadata: %v, %v", md.Unset, err)
	}
	if _, _, err := decode("yaml", map[string]any{"alpha": "x"}, DecoderConfig{ErrorUnset: true}); err == nil {
		t.Error("ErrorUnset did not report the unset fields")
	}
}
