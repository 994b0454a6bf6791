package server

import (
	"testing"
	"time"
)

// A cache with a cost keeps at most maxCost of it: an entry that would pass it starts the cache over,
// a replaced entry's cost is given back, and entries still expire after ttl.
func TestLookupCacheCost(t *testing.T) {
	c := &lookupCache[string, []byte]{ttl: time.Second, cost: func(b []byte) int { return len(b) }, maxCost: 10}
	now := time.Now()
	c.put("a", make([]byte, 4), now)
	c.put("a", make([]byte, 4), now) // replaces: 4 spent, not 8
	c.put("b", make([]byte, 4), now)
	if _, ok := c.get("a", now); !ok {
		t.Fatal("a was dropped while 8 of 10 were spent")
	}
	if _, ok := c.get("b", now); !ok {
		t.Fatal("b was dropped while 8 of 10 were spent")
	}
	if c.spent != 8 {
		t.Errorf("spent %d, want 8", c.spent)
	}
	c.put("c", make([]byte, 3), now) // 11 > 10: starts over
	if _, ok := c.get("a", now); ok {
		t.Error("a kept past the cost bound")
	}
	if v, ok := c.get("c", now); !ok || len(v) != 3 {
		t.Errorf("c after the start-over: %v, %v", v, ok)
	}
	if c.spent != 3 {
		t.Errorf("spent %d after the start-over, want 3", c.spent)
	}
	if _, ok := c.get("c", now.Add(time.Second)); ok {
		t.Error("c kept past its ttl")
	}
}
