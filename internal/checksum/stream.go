package checksum

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
)

// BufferSize is the read buffer of the streaming functions: large enough that a read from the page
// cache costs little beside hashing it, small enough that memory never grows with a file.
const BufferSize = 256 << 10

var buffers = sync.Pool{New: func() any { b := make([]byte, BufferSize); return &b }}

// Stream hashes everything r yields in one pass, in memory bounded by one buffer, and returns the
// lowercase hex SHA-256 and the number of bytes read.
func Stream(r io.Reader) (sum string, n int64, err error) {
	h := sha256.New()
	n, err = Copy(h, r)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Copy is io.Copy through a pooled buffer of BufferSize. It never uses r's WriteTo (an *os.File's
// falls back to a 32 KiB buffer for a writer that is not a socket).
func Copy(w io.Writer, r io.Reader) (int64, error) {
	bp := buffers.Get().(*[]byte)
	defer buffers.Put(bp)
	return io.CopyBuffer(w, struct{ io.Reader }{r}, *bp)
}

// ErrMismatch is the error an Exact reader returns for a stream whose size or digest is not the one
// expected.
var ErrMismatch = errors.New("checksum: content does not match")

// Exact reads through r and yields exactly size bytes with SHA-256 want (lowercase hex), or fails: the
// last bytes are handed on only once r has been seen to end there and the digest matches. A consumer
// that reads just size bytes and stops (an HTTP request or response body of that Content-Length)
// therefore never receives the whole of a stream that is not the expected one. Any failure withholds
// the bytes of the read it happens in, and sticks; mismatches wrap ErrMismatch.
type Exact struct {
	r    io.Reader
	h    hash.Hash
	want string
	size int64
	n    int64
	err  error
}

// NewExact returns an Exact reader of r for want and size.
func NewExact(r io.Reader, want string, size int64) *Exact {
	return &Exact{r: r, h: sha256.New(), want: want, size: size}
}

func (e *Exact) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if rest := e.size - e.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	var n int
	var err error
	if len(p) > 0 {
		n, err = e.r.Read(p)
		e.h.Write(p[:n])
		e.n += int64(n)
	}
	switch {
	case err != nil && err != io.EOF:
		e.err = err
		return 0, err
	case err == io.EOF && e.n < e.size:
		e.err = fmt.Errorf("%w: %d bytes, expected %d", ErrMismatch, e.n, e.size)
		return 0, e.err
	case e.n < e.size:
		return n, nil
	}
	// The last bytes: the stream must end here, with the expected digest.
	if err != io.EOF {
		var one [1]byte
		switch _, rerr := io.ReadFull(e.r, one[:]); rerr {
		case io.EOF:
		case nil:
			e.err = fmt.Errorf("%w: more than the expected %d bytes", ErrMismatch, e.size)
			return 0, e.err
		default:
			e.err = rerr
			return 0, rerr
		}
	}
	if got := hex.EncodeToString(e.h.Sum(nil)); got != e.want {
		e.err = fmt.Errorf("%w: %d bytes with sha256 %s, expected sha256 %s", ErrMismatch, e.n, got, e.want)
		return 0, e.err
	}
	e.err = io.EOF
	return n, nil
}

// Done reports whether the whole expected stream was read and matched.
func (e *Exact) Done() bool { return e.err == io.EOF }

// Err is the failure that stopped the stream (nil while it reads or once it is done).
func (e *Exact) Err() error {
	if e.err == io.EOF {
		return nil
	}
	return e.err
}
