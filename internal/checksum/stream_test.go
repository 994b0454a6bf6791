package checksum

import (
	"bytes"
	"errors"
	"io"
	"strings"
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

func TestVerifier(t *testing.T) {
	data := []byte(strings.Repeat("x", 1000))
	want := Sum(data)
	read := func(r io.Reader) ([]byte, error) { return io.ReadAll(iotest.OneByteReader(r)) }
	if got, err := read(NewVerifier(bytes.NewReader(data), want, 1000)); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("exact bytes: %v", err)
	}
	flipped := bytes.Clone(data)
	flipped[500] ^= 1
	for name, tc := range map[string]struct {
		data []byte
		size int64
	}{
		"a byte flipped": {flipped, 1000},
		"one byte short": {data[:999], 1000},
		"one byte more":  {append(bytes.Clone(data), 'x'), 1000},
		"size wrong":     {data, 999},
	} {
		_, err := read(NewVerifier(bytes.NewReader(tc.data), want, tc.size))
		if !errors.Is(err, ErrMismatch) {
			t.Errorf("%s: error %v, want ErrMismatch", name, err)
		}
	}
	// The error sticks: a reader that retries after the failure never gets an EOF.
	v := NewVerifier(bytes.NewReader(flipped), want, 1000)
	_, _ = io.ReadAll(v)
	if _, err := v.Read(make([]byte, 1)); !errors.Is(err, ErrMismatch) {
		t.Fatalf("after a mismatch Read gives %v", err)
	}
}
