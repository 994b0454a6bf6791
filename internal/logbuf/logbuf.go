// Package logbuf batches the log lines of a long-running process into few writes.
//
// `stella serve` writes a line for every request. Written one by one, each line is a write(2) on the
// request's path (and a turn of slog's handler lock around it); batched, a busy server writes its log
// a few times a second, as nginx's `access_log … buffer= flush=` does. A line waits at most the flush
// interval, and the process flushes what is held before it exits (Close); a process killed outright
// loses at most that interval's lines.
package logbuf

import (
	"io"
	"sync"
	"time"
)

// Writer holds what is written to it and writes it to its destination every interval, when more than
// its size is held, on Flush and on Close. It is safe for concurrent use; the destination sees the
// bytes in the order they were written, in writes of whole Write calls.
type Writer struct {
	out  io.Writer
	size int

	mu     sync.Mutex // guards buf, spare, err and closed
	buf    []byte
	spare  []byte
	err    error // the destination's first error, returned by Flush and Close
	closed bool  // after Close every Write is written at once

	wmu sync.Mutex // held while writing to out, taken while mu is held: batches leave in order

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// New returns a Writer to out that flushes every interval (which must be positive) and whenever more
// than size bytes are held.
func New(out io.Writer, every time.Duration, size int) *Writer {
	w := &Writer{out: out, size: size, buf: make([]byte, 0, size), spare: make([]byte, 0, size), stop: make(chan struct{}), done: make(chan struct{})}
	go w.tick(every)
	return w
}

func (w *Writer) tick(every time.Duration) {
	defer close(w.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			_ = w.Flush()
		}
	}
}

// Write holds a copy of p; it never fails (a failure of the destination is returned by Flush).
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf = append(w.buf, p...)
	if len(w.buf) < w.size && !w.closed {
		w.mu.Unlock()
		return len(p), nil
	}
	w.flushLocked()
	return len(p), nil
}

// Flush writes what is held.
func (w *Writer) Flush() error {
	w.mu.Lock()
	w.flushLocked()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// flushLocked is called with mu held and returns with it released, after the held bytes are written.
func (w *Writer) flushLocked() {
	if len(w.buf) == 0 {
		w.mu.Unlock()
		return
	}
	batch := w.buf
	w.buf, w.spare = w.spare[:0], nil
	w.wmu.Lock()
	w.mu.Unlock()
	_, err := w.out.Write(batch)
	w.wmu.Unlock()
	w.mu.Lock()
	if err != nil && w.err == nil {
		w.err = err
	}
	if w.spare == nil && cap(batch) <= 4*w.size {
		w.spare = batch[:0] // reused, unless one huge line made it large
	}
	w.mu.Unlock()
}

// Close stops the periodic flush and writes what is held; later writes are written at once.
func (w *Writer) Close() error {
	w.once.Do(func() {
		close(w.stop)
		<-w.done
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
	})
	return w.Flush()
}
