package jsonschema

import (
	"strings"
	"sync"
	"testing"
)

// Stella's patch compiles the drafts' metaschemas on first use: the first Compile, from several
// goroutines at once, must still check schemas against their metaschema.
func TestLazyDraftsStillValidateSchemas(t *testing.T) {
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		i := i
		go func() {
			defer wg.Done()
			c := NewCompiler()
			doc, err := UnmarshalJSON(strings.NewReader(`{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": 5}`))
			if err != nil {
				errs[i] = err
				return
			}
			if err := c.AddResource("bad.json", doc); err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = c.Compile("bad.json")
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			t.Errorf("goroutine %d: a schema with \"type\": 5 compiled; the metaschema was not applied", i)
		}
	}
	if Draft2020.sch == nil || Draft4.sch == nil {
		t.Fatal("drafts not compiled after Compile")
	}
}
