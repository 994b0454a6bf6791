package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/store"
)

// setFS is the fs.FS of one complete set: the directory "." holds the marker's files. Nothing is read
// from S3 until a file is read.
type setFS struct {
	ctx    context.Context
	s      *Store
	ref    store.Ref
	m      *marker
	byName map[string]*fileEntry
}

var (
	_ fs.ReadDirFS  = (*setFS)(nil)
	_ fs.ReadFileFS = (*setFS)(nil)
	_ fs.StatFS     = (*setFS)(nil)
)

func newSetFS(ctx context.Context, s *Store, ref store.Ref, m *marker) *setFS {
	f := &setFS{ctx: ctx, s: s, ref: ref, m: m, byName: make(map[string]*fileEntry, len(m.Files))}
	for i := range m.Files {
		f.byName[m.Files[i].Name] = &m.Files[i]
	}
	return f
}

func (f *setFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return &dirFile{fsys: f}, nil
	}
	e, ok := f.byName[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &file{fsys: f, e: e}, nil
}

func (f *setFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return dirInfo{f.m.CreatedAt}, nil
	}
	e, ok := f.byName[name]
	if !ok {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return fileInfo{e, f.m.CreatedAt}, nil
}

func (f *setFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	if name != "." {
		err := fs.ErrNotExist
		if _, ok := f.byName[name]; ok {
			err = errNotDir
		}
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	return f.entries(), nil
}

// ReadFile reads the whole file (one GET) and checks it.
func (f *setFS) ReadFile(name string) ([]byte, error) {
	fl, err := f.Open(name)
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err.(*fs.PathError).Err}
	}
	defer fl.Close()
	r, ok := fl.(*file)
	if !ok {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: errIsDir}
	}
	var b bytes.Buffer
	b.Grow(int(r.e.Size) + bytes.MinRead)
	if _, err := b.ReadFrom(r); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (f *setFS) entries() []fs.DirEntry {
	out := make([]fs.DirEntry, len(f.m.Files)) // the marker's files are sorted by name
	for i := range f.m.Files {
		out[i] = fs.FileInfoToDirEntry(fileInfo{&f.m.Files[i], f.m.CreatedAt})
	}
	return out
}

var (
	errNotDir = fmt.Errorf("not a directory")
	errIsDir  = fmt.Errorf("is a directory")
)

type fileInfo struct {
	e       *fileEntry
	modTime time.Time
}

func (i fileInfo) Name() string       { return i.e.Name }
func (i fileInfo) Size() int64        { return i.e.Size }
func (i fileInfo) Mode() fs.FileMode  { return 0o444 }
func (i fileInfo) ModTime() time.Time { return i.modTime }
func (i fileInfo) IsDir() bool        { return false }
func (i fileInfo) Sys() any           { return nil }

type dirInfo struct{ modTime time.Time }

func (dirInfo) Name() string         { return "." }
func (dirInfo) Size() int64          { return 0 }
func (dirInfo) Mode() fs.FileMode    { return fs.ModeDir | 0o555 }
func (i dirInfo) ModTime() time.Time { return i.modTime }
func (dirInfo) IsDir() bool          { return true }
func (dirInfo) Sys() any             { return nil }

// dirFile is the open root directory.
type dirFile struct {
	fsys    *setFS
	offset  int
	entries []fs.DirEntry
	closed  bool
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return dirInfo{d.fsys.m.CreatedAt}, nil }

func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: ".", Err: errIsDir}
}

func (d *dirFile) Close() error {
	if d.closed {
		return &fs.PathError{Op: "close", Path: ".", Err: fs.ErrClosed}
	}
	d.closed = true
	return nil
}

func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.closed {
		return nil, &fs.PathError{Op: "readdir", Path: ".", Err: fs.ErrClosed}
	}
	if d.entries == nil {
		d.entries = d.fsys.entries()
	}
	rest := d.entries[d.offset:]
	if n <= 0 {
		d.offset = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(rest))
	d.offset += n
	return rest[:n], nil
}

// file is one open file. The first Read sends the GET (of the version the marker names); reaching the
// end checks the size and SHA-256 against the marker. Seek moves where the next Read starts: the next
// GET asks for the rest of the object from there (Range), and only a read from the start is checked
// against the marker's SHA-256 (a read from elsewhere, against its size).
type file struct {
	fsys   *setFS
	e      *fileEntry
	body   io.ReadCloser
	h      hash.Hash
	start  int64 // where the current GET started (or the next will)
	n      int64 // bytes read since start
	err    error // sticky: io.EOF once the file is read to its end (and checked), or the failure
	closed bool
}

var _ io.Seeker = (*file)(nil)

func (f *file) Seek(offset int64, whence int) (int64, error) {
	if f.closed {
		return 0, &fs.PathError{Op: "seek", Path: f.e.Name, Err: fs.ErrClosed}
	}
	if f.err != nil && f.err != io.EOF {
		return 0, f.err
	}
	pos := f.start + f.n
	switch whence {
	case io.SeekStart:
		pos = offset
	case io.SeekCurrent:
		pos += offset
	case io.SeekEnd:
		pos = f.e.Size + offset
	default:
		return 0, &fs.PathError{Op: "seek", Path: f.e.Name, Err: fs.ErrInvalid}
	}
	if pos < 0 {
		return 0, &fs.PathError{Op: "seek", Path: f.e.Name, Err: fs.ErrInvalid}
	}
	if f.body != nil {
		f.body.Close()
		f.body = nil
	}
	f.start, f.n, f.err = pos, 0, nil
	return pos, nil
}

func (f *file) Stat() (fs.FileInfo, error) { return fileInfo{f.e, f.fsys.m.CreatedAt}, nil }

func (f *file) Read(p []byte) (int, error) {
	if f.closed {
		return 0, &fs.PathError{Op: "read", Path: f.e.Name, Err: fs.ErrClosed}
	}
	if f.err != nil {
		return 0, f.err
	}
	if f.body == nil {
		if f.start >= f.e.Size && f.start > 0 {
			f.err = io.EOF // nothing after the end to ask for
			return 0, io.EOF
		}
		if err := f.get(); err != nil {
			return 0, err
		}
	}
	n, err := f.body.Read(p)
	if f.start == 0 {
		f.h.Write(p[:n])
	}
	f.n += int64(n)
	if f.start+f.n > f.e.Size {
		return n, f.corrupt(fmt.Sprintf("more than the %d bytes the marker records", f.e.Size))
	}
	if err == io.EOF {
		if f.start+f.n != f.e.Size {
			return n, f.corrupt(fmt.Sprintf("%d bytes, the marker records %d", f.start+f.n, f.e.Size))
		}
		if got := hex.EncodeToString(f.h.Sum(nil)); f.start == 0 && got != f.e.SHA256 {
			return n, f.corrupt("SHA-256 " + got + ", the marker records " + f.e.SHA256)
		}
		f.err = io.EOF
		return n, io.EOF
	}
	if err != nil {
		f.err = fmt.Errorf("read deployment %s file %s: %w", f.fsys.ref, f.e.Name, f.fsys.s.opErr("get", f.key(), err))
		return n, f.err
	}
	return n, nil
}

func (f *file) key() string {
	return f.fsys.s.fileKey(f.fsys.ref, f.fsys.m.Attempt, f.e.Name)
}

func (f *file) get() error {
	s, key := f.fsys.s, f.key()
	in := &awss3.GetObjectInput{Bucket: &s.bucket, Key: &key}
	if f.e.VersionID != "" {
		in.VersionId = &f.e.VersionID
	}
	if f.start > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", f.start))
	}
	out, err := s.client.GetObject(f.fsys.ctx, in)
	if err != nil {
		return fmt.Errorf("read deployment %s file %s: %w", f.fsys.ref, f.e.Name, s.opErr("get", key, err))
	}
	f.body, f.h = out.Body, sha256.New()
	return nil
}

// corrupt is the Verification error of a stored object that is not what the marker records.
func (f *file) corrupt(why string) error {
	f.err = fault.Wrap(fault.Verification, fmt.Errorf("read deployment %s file %s: stored object s3://%s/%s has %s",
		f.fsys.ref, f.e.Name, f.fsys.s.bucket, f.key(), why))
	return f.err
}

func (f *file) Close() error {
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.e.Name, Err: fs.ErrClosed}
	}
	f.closed = true
	if f.body != nil {
		return f.body.Close()
	}
	return nil
}
