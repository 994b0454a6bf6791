package logbuf

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a destination that keeps each write apart.
type recorder struct {
	mu     sync.Mutex
	writes []string
	fail   error
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, string(p))
	return len(p), r.fail
}

func (r *recorder) all() (string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.writes, ""), len(r.writes)
}

func TestHeldUntilFlushOrSize(t *testing.T) {
	r := &recorder{}
	w := New(r, time.Hour, 64)
	defer w.Close()
	fmt.Fprintln(w, "one")
	fmt.Fprintln(w, "two")
	if got, n := r.all(); n != 0 {
		t.Fatalf("written before a flush: %q", got)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, n := r.all(); got != "one\ntwo\n" || n != 1 {
		t.Fatalf("after Flush: %d writes %q, want one write of both lines", n, got)
	}
	long := strings.Repeat("x", 100) + "\n"
	fmt.Fprint(w, long) // more than size: written at once
	if got, n := r.all(); got != "one\ntwo\n"+long || n != 2 {
		t.Fatalf("a line over the size: %d writes %q", n, got)
	}
}

func TestIntervalAndClose(t *testing.T) {
	r := &recorder{}
	w := New(r, 5*time.Millisecond, 1<<10)
	fmt.Fprintln(w, "tick")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got, _ := r.all(); got == "tick\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the interval never flushed")
		}
		time.Sleep(time.Millisecond)
	}
	fmt.Fprintln(w, "last")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.all(); got != "tick\nlast\n" {
		t.Fatalf("after Close: %q", got)
	}
	fmt.Fprintln(w, "after")
	if got, _ := r.all(); got != "tick\nlast\nafter\n" {
		t.Fatalf("a write after Close is not written at once: %q", got)
	}
}

func TestConcurrentWritesKeepLinesWholeAndInOrder(t *testing.T) {
	r := &recorder{}
	w := New(r, time.Millisecond, 256)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				fmt.Fprintf(w, "g%d line %d\n", g, i)
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := r.all()
	next := make([]int, 8)
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		var g, i int
		if _, err := fmt.Sscanf(line, "g%d line %d", &g, &i); err != nil {
			t.Fatalf("a torn line %q: %v", line, err)
		}
		if i != next[g] {
			t.Fatalf("goroutine %d: line %d after %d", g, i, next[g]-1)
		}
		next[g]++
	}
	for g, n := range next {
		if n != 500 {
			t.Fatalf("goroutine %d: %d lines of 500", g, n)
		}
	}
}

func TestDestinationErrorIsReported(t *testing.T) {
	r := &recorder{fail: errors.New("disk full")}
	w := New(r, time.Hour, 1<<10)
	fmt.Fprintln(w, "x")
	if err := w.Close(); err == nil || err.Error() != "disk full" {
		t.Fatalf("Close: %v, want the destination's error", err)
	}
}

func BenchmarkWrite(b *testing.B) {
	w := New(io.Discard, 100*time.Millisecond, 64<<10)
	line := []byte("time=2026-12-04T04:00:00Z level=INFO msg=request method=GET path=/api/v1/deployment-jobs/d1/artifacts/manifest status=200\n")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, _ = w.Write(line)
		}
	})
	_ = w.Close()
}
