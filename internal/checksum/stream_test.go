package checksum

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestStream(t *testing.T) {
	data := bytes.Repeat([]byte("stella "), 100_000) // several buffers
	sum, n, err := Stream(iotest.HalfReader(bytes.NewReader(data)))
	if err != nil || n != int64(len(data)) || sum != Sum(data) {
		t.Fatalf("Stream = %s %d %v, want %s %d", sum, n, err, Sum(data), len(data))
	}
	if _, _, err := Stream(iotest.ErrReader(io.ErrUnexpectedEOF)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read error not passed on: %v", err)
	}
}

// Exact hands on the last bytes only when the stream ends there with the expected digest: a reader
// that takes just size bytes (io.LimitReader, as an HTTP body of that length) gets everything only
// from the expected stream.
func TestExact(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 100_000)
	want := Sum(data)
	size := int64(len(data))
	for _, r := range []func(io.Reader) io.Reader{
		func(r io.Reader) io.Reader { return r }, iotest.HalfReader, iotest.OneByteReader, iotest.DataErrReader,
	} {
		e := NewExact(r(bytes.NewReader(data)), want, size)
		got, err := io.ReadAll(io.LimitReader(e, size))
		if err != nil || !bytes.Equal(got, data) || !e.Done() || e.Err() != nil {
			t.Fatalf("exact bytes: %d bytes, %v (done %v, err %v)", len(got), err, e.Done(), e.Err())
		}
	}
	if got, err := io.ReadAll(NewExact(bytes.NewReader(nil), Sum(nil), 0)); err != nil || len(got) != 0 {
		t.Fatalf("empty: %q %v", got, err)
	}
	flipped := bytes.Clone(data)
	flipped[size-1] ^= 1
	broken := errors.New("broken")
	for name, tc := range map[string]struct {
		r    io.Reader
		want error
	}{
		"last byte flipped":     {bytes.NewReader(flipped), ErrMismatch},
		"one byte short":        {bytes.NewReader(data[:size-1]), ErrMismatch},
		"one byte more":         {bytes.NewReader(append(bytes.Clone(data), 'x')), ErrMismatch},
		"read error at the end": {io.MultiReader(bytes.NewReader(data), iotest.ErrReader(broken)), broken},
	} {
		e := NewExact(tc.r, want, size)
		got, err := io.ReadAll(io.LimitReader(e, size))
		if !errors.Is(err, tc.want) || !errors.Is(e.Err(), tc.want) || e.Done() {
			t.Errorf("%s: error %v (Err %v), want %v", name, err, e.Err(), tc.want)
		}
		if int64(len(got)) >= size {
			t.Errorf("%s: %d bytes handed on, want fewer than %d", name, len(got), size)
		}
		if _, err := e.Read(make([]byte, 1)); !errors.Is(err, tc.want) {
			t.Errorf("%s: after the failure Read gives %v", name, err)
		}
	}
}
