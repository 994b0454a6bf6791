package storetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/store"
)

// Streamed returns a file of n bytes (deterministic, every byte value) given by Open rather than Data,
// with its true size and SHA-256, and its bytes.
func Streamed(name string, n int) (store.File, []byte) {
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	return streamOf(name, data, int64(n), checksum.Sum(data)), data
}

// streamOf is a streamed file that yields data but claims size and sum.
func streamOf(name string, data []byte, size int64, sum string) store.File {
	return store.File{Name: name, Size: size, SHA256: sum,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

func readAll(t *testing.T, f store.File) []byte {
	t.Helper()
	r, err := f.Open()
	if err != nil {
		t.Fatalf("open %s: %v", f.Name, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", f.Name, err)
	}
	return b
}

// A set with a streamed file of several buffers holds exactly its bytes.
func testStreamed(t *testing.T, s store.Store) {
	ref := store.Ref{Tenant: "acme", Deployment: "streamed"}
	big, _ := Streamed("deploy.stella.sh", 3*checksum.BufferSize+12345)
	empty, _ := Streamed("empty.bin", 0)
	files := append(Set("streamed"), big, empty)
	if err := s.Create(ctx(), ref, files); err != nil {
		t.Fatalf("Create(%s) with streamed files: %v", ref, err)
	}
	Check(t, s, ref, files)
}

// errReader yields data and then fails.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

// A stream that is not what it claims (a byte changed, short, long, a read or open error part way)
// fails Create with that cause, and nothing is stored: the set is absent, the tenant lists nothing,
// no leftover is reported where the store reports them, and the same set with the right bytes can be
// created afterwards.
func testStreamFailures(t *testing.T, s store.Store) {
	const n = 2*checksum.BufferSize + 100
	good, data := Streamed("deploy.stella.sh", n)
	flipped := bytes.Clone(data)
	flipped[n/2] ^= 1
	errBroken := errors.New("disk went away")
	ref := store.Ref{Tenant: "acme", Deployment: "broken"}
	var before []store.Leftover
	if lc, ok := s.(store.LeftoverCleaner); ok {
		var err error
		if before, err = lc.Leftovers(ctx()); err != nil {
			t.Fatal(err)
		}
	}
	for why, c := range map[string]struct {
		f    store.File
		want error
	}{
		"a byte changed": {streamOf(good.Name, flipped, good.Size, good.SHA256), checksum.ErrMismatch},
		"one byte short": {streamOf(good.Name, data[:n-1], good.Size, good.SHA256), checksum.ErrMismatch},
		"one byte more":  {streamOf(good.Name, append(bytes.Clone(data), 0), good.Size, good.SHA256), checksum.ErrMismatch},
		"read error": {store.File{Name: good.Name, Size: good.Size, SHA256: good.SHA256, Open: func() (io.ReadCloser, error) {
			return io.NopCloser(&errReader{bytes.NewReader(data[:n-checksum.BufferSize]), errBroken}), nil
		}}, errBroken},
		"open error": {store.File{Name: good.Name, Size: good.Size, SHA256: good.SHA256, Open: func() (io.ReadCloser, error) {
			return nil, errBroken
		}}, errBroken},
	} {
		// The streamed file comes after files already written.
		err := s.Create(ctx(), ref, append(Set("broken"), c.f))
		if err == nil || !errors.Is(err, c.want) || errors.Is(err, store.ErrExist) {
			t.Errorf("Create with a stream whose %s: error %v, want %v", why, err, c.want)
		}
		if _, err := s.Open(ctx(), ref); !errors.Is(err, store.ErrNotExist) {
			t.Errorf("Open after a stream whose %s: error %v, want store.ErrNotExist", why, err)
		}
		if refs, err := s.List(ctx(), ref.Tenant); err != nil || len(refs) != 0 {
			t.Errorf("List after a stream whose %s = %v, %v; want nothing", why, refs, err)
		}
		if lc, ok := s.(store.LeftoverCleaner); ok {
			if after, err := lc.Leftovers(ctx()); err != nil || !slices.Equal(after, before) {
				t.Errorf("Leftovers after a stream whose %s = %v, %v; want %v", why, after, err, before)
			}
		}
	}
	files := append(Set("broken"), good)
	if err := s.Create(ctx(), ref, files); err != nil {
		t.Fatalf("Create with the right stream after the failures: %v", err)
	}
	Check(t, s, ref, files)
}

// cancelReader cancels its context after the first read.
type cancelReader struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.cancel()
	return n, err
}

// A context canceled while a file streams fails Create with context.Canceled and stores nothing.
func testStreamCanceled(t *testing.T, s store.Store) {
	good, data := Streamed("deploy.stella.sh", 4*checksum.BufferSize)
	c, cancel := context.WithCancel(ctx())
	defer cancel()
	good.Open = func() (io.ReadCloser, error) { return io.NopCloser(&cancelReader{bytes.NewReader(data), cancel}), nil }
	ref := store.Ref{Tenant: "acme", Deployment: "canceled"}
	if err := s.Create(c, ref, append(Set("c"), good)); !errors.Is(err, context.Canceled) {
		t.Errorf("Create canceled while streaming: error %v, want context.Canceled", err)
	}
	if _, err := s.Open(ctx(), ref); !errors.Is(err, store.ErrNotExist) {
		t.Errorf("Open after a Create canceled while streaming: error %v, want store.ErrNotExist", err)
	}
}
