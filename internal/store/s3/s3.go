// Package s3 is the store.Store on S3 with Object Lock: every object of a set is written create-only
// (If-None-Match: *) and locked in COMPLIANCE mode until the set's retain-until time, so that nobody, not
// even the bucket's root user, can delete or replace it before then.
//
// Layout under s3://BUCKET/PREFIX/:
//
//	T/D/A/NAME        the files of one attempt A (32 random hex digits) to create set T/D
//	T/.complete/D     the completion marker: which attempt is the set, and each file's size, SHA-256
//	                  and object version — written last, create-only, so it alone decides the winner
//
// Open and List see only sets whose marker exists. A crash, a failure or a lost race before the marker
// leaves the attempt's objects invisible (and, being locked, in the bucket until their retention ends);
// creating the set again makes a new attempt. See docs/decisions.md.
//
// The set is always the marker's first version: the bucket keeps every version (Object Lock requires
// versioning) and each is locked, so reading the oldest one means that a later version written over it
// (pointing at another attempt) or a delete marker put on top of it cannot swap or hide the set.
package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"golang.org/x/sync/errgroup"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/store"
)

// Store is a store.Store in one bucket under a key prefix.
type Store struct {
	client *awss3.Client
	bucket string
	prefix string // "" or ending in "/"
	// Now is the clock that decides whether a retain-until time is still ahead (tests may set it).
	Now func() time.Time
}

var (
	_ store.Store        = (*Store)(nil)
	_ store.Retaining    = (*Store)(nil)
	_ store.TenantLister = (*Store)(nil)
	_ store.LockReader   = (*Store)(nil)
	_ store.LegalHolder  = (*Store)(nil)
)

// uploads is how many objects of one set are written at once.
const uploads = 8

// maxMarker bounds the marker object read by Open: a set of a few hundred files is a few tens of KB.
const maxMarker = 4 << 20

// New returns the store in bucket under prefix ("" or a/b; no leading or trailing '/') using client.
// Nothing is sent until it is used.
func New(client *awss3.Client, bucket, prefix string) *Store {
	if prefix != "" {
		prefix = strings.Trim(prefix, "/") + "/"
	}
	return &Store{client: client, bucket: bucket, prefix: prefix, Now: time.Now}
}

// Location is s3://BUCKET/PREFIX/T/D, where a set's files are (under one attempt directory).
func (s *Store) Location(ref store.Ref) string {
	return "s3://" + s.bucket + "/" + s.prefix + ref.Tenant + "/" + ref.Deployment
}

// MarkerKey is the key of a set's completion marker.
func (s *Store) MarkerKey(ref store.Ref) string {
	return s.prefix + ref.Tenant + "/.complete/" + ref.Deployment
}

// fileKey is the key of one file of one attempt.
func (s *Store) fileKey(ref store.Ref, attempt, name string) string {
	return s.prefix + ref.Tenant + "/" + ref.Deployment + "/" + attempt + "/" + name
}

// marker is the completion marker's JSON.
type marker struct {
	Version     int         `json:"version"`
	Tenant      string      `json:"tenantId"`
	Deployment  string      `json:"deploymentId"`
	Attempt     string      `json:"attempt"`
	CreatedAt   time.Time   `json:"createdAt"`
	RetainUntil *time.Time  `json:"retainUntil,omitempty"`
	Files       []fileEntry `json:"files"`
}

type fileEntry struct {
	Name      string `json:"name"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	VersionID string `json:"versionId,omitempty"`
}

// Create writes the set with the bucket's default retention (if the bucket has one) and no retention of
// its own. Stella's generate uses CreateRetained.
func (s *Store) Create(ctx context.Context, ref store.Ref, files []store.File) error {
	return s.CreateRetained(ctx, ref, files, time.Time{})
}

// CreateRetained writes every file of the set under a new attempt, each create-only and locked in
// COMPLIANCE mode until retainUntil, then the completion marker, create-only and locked too. A zero or
// past retainUntil sends no lock of its own (the bucket's default retention applies).
func (s *Store) CreateRetained(ctx context.Context, ref store.Ref, files []store.File, retainUntil time.Time) (err error) {
	if err := store.CheckCreate(ctx, ref, files); err != nil {
		return err
	}
	defer func() {
		if err != nil && !errors.Is(err, store.ErrExist) {
			err = fmt.Errorf("create deployment %s: %w", ref, err)
		}
	}()
	var until *time.Time
	if !retainUntil.IsZero() {
		now := s.Now()
		if !retainUntil.After(now) {
			// Never an unlocked set: a retention that has already ended is a caller's mistake.
			return fault.Inputf("retention until %s has already passed: a set is never stored without a retention in the future", retainUntil.UTC().Format(time.RFC3339))
		}
		u := retainUntil.UTC().Truncate(time.Second)
		if !u.After(now) {
			u = u.Add(time.Second)
		}
		until = &u
	}
	markerKey := s.MarkerKey(ref)
	// Most duplicates are sequential (the same command run twice): refuse them before writing objects
	// that could not be deleted. Any version of the marker, even under a delete marker, is the set.
	switch _, err := s.firstMarkerVersion(ctx, markerKey); {
	case err == nil:
		return store.ExistsError(ref)
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	m, err := s.upload(ctx, ref, files, until, newAttempt())
	if err != nil {
		return err
	}
	return s.commit(ctx, ref, m, until)
}

// firstMarkerVersion is the version id of the oldest version of the marker key (fs.ErrNotExist: none;
// delete markers are not versions).
func (s *Store) firstMarkerVersion(ctx context.Context, key string) (string, error) {
	var first string
	var firstAt time.Time
	p := awss3.NewListObjectVersionsPaginator(s.client, &awss3.ListObjectVersionsInput{Bucket: &s.bucket, Prefix: &key})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", s.opErr("list versions of", key, err)
		}
		for _, v := range page.Versions {
			if aws.ToString(v.Key) != key {
				continue
			}
			at := aws.ToTime(v.LastModified)
			// Versions of a key are listed newest first: the last one seen is the oldest (a tie on the
			// second-granular LastModified is decided by that order too).
			if first == "" || !at.After(firstAt) {
				first, firstAt = aws.ToString(v.VersionId), at
			}
		}
	}
	if first == "" {
		return "", fs.ErrNotExist
	}
	return first, nil
}

// upload writes every file of the set under attempt (create-only, locked until until if not nil) and
// returns the marker that would commit them.
func (s *Store) upload(ctx context.Context, ref store.Ref, files []store.File, until *time.Time, attempt string) (*marker, error) {
	m := &marker{Version: 1, Tenant: ref.Tenant, Deployment: ref.Deployment, Attempt: attempt,
		CreatedAt: s.Now().UTC().Truncate(time.Millisecond), RetainUntil: until, Files: make([]fileEntry, len(files))}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(uploads)
	for i, f := range files {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			size, hexSum := f.Sum()
			var sum [sha256.Size]byte
			hex.Decode(sum[:], []byte(hexSum)) // CheckCreate checked a streamed file's
			key := s.fileKey(ref, attempt, f.Name)
			var body io.ReadSeeker = bytes.NewReader(f.Data)
			if f.Streamed() {
				body = &streamBody{f: f}
			}
			v, err := s.putBody(gctx, key, body, size, sum, until)
			if sb, ok := body.(*streamBody); ok {
				sb.close()
				if err == nil {
					err = sb.err // a stream that did not give its bytes: never committed
				}
			}
			if err != nil {
				if isPrecondition(err) {
					// Only this process writes under its random attempt: a 412 is the SDK retrying a PUT
					// that had succeeded. Open checks every byte against the marker's SHA-256 anyway.
					v, err = s.versionOf(gctx, key)
				}
				if err != nil {
					return err
				}
			}
			m.Files[i] = fileEntry{Name: f.Name, Size: size, SHA256: hexSum, VersionID: v}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(m.Files, func(a, b fileEntry) int { return strings.Compare(a.Name, b.Name) })
	return m, nil
}

// commit writes the marker, create-only: the one creator whose marker lands has created the set; every
// other gets store.ExistsError and its uploaded attempt stays invisible.
func (s *Store) commit(ctx context.Context, ref store.Ref, m *marker, until *time.Time) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := s.put(ctx, s.MarkerKey(ref), body, sha256.Sum256(body), until); err != nil && !isPrecondition(err) {
		return err
	}
	// The set is the marker's first version: this attempt created the set only if that is its own
	// (a 412 may be the SDK retrying this attempt's PUT; a PUT that landed over a delete marker or an
	// older version did not create anything).
	if got, rerr := s.readMarker(ctx, ref); rerr != nil {
		return rerr
	} else if got.Attempt != m.Attempt {
		return store.ExistsError(ref)
	}
	return nil
}

// put writes one object create-only, with its SHA-256 for the server to check, locked until until (if
// not nil), and returns its version id.
func (s *Store) put(ctx context.Context, key string, data []byte, sum [sha256.Size]byte, until *time.Time) (string, error) {
	return s.putBody(ctx, key, bytes.NewReader(data), int64(len(data)), sum, until)
}

// putBody is put of size bytes from body, whose SHA-256 is sum. The SigV4 payload hash is sum itself
// (the SDK would otherwise read the whole body once more to compute it before sending).
func (s *Store) putBody(ctx context.Context, key string, body io.ReadSeeker, size int64, sum [sha256.Size]byte, until *time.Time) (string, error) {
	in := &awss3.PutObjectInput{
		Bucket:         &s.bucket,
		Key:            &key,
		Body:           body,
		ContentLength:  aws.Int64(size),
		IfNoneMatch:    aws.String("*"),
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:])),
	}
	if until != nil {
		in.ObjectLockMode = types.ObjectLockModeCompliance
		in.ObjectLockRetainUntilDate = until
	}
	out, err := s.client.PutObject(ctx, in, awss3.WithAPIOptions(payloadHash(hex.EncodeToString(sum[:]))))
	if err != nil {
		return "", s.opErr("put", key, err)
	}
	return aws.ToString(out.VersionId), nil
}

// payloadHash gives SigV4 the request's payload hash, known beforehand: the signer's own middleware
// computes it only when none is set.
func payloadHash(hexSum string) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("StellaPayloadHash",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				return next.HandleFinalize(v4.SetPayloadHash(ctx, hexSum), in)
			}), middleware.Before)
	}
}

// streamBody is a streamed file as a PUT's body: read through its checksum.Exact (so a body that is
// not the recorded bytes fails the request before its last byte is sent), and rewound for a retry by
// opening the file again. err keeps the first failure of the stream itself (open, read or mismatch),
// which the SDK may report only as a failed send.
type streamBody struct {
	f   store.File
	r   io.ReadCloser
	n   int64
	err error
}

func (b *streamBody) Read(p []byte) (int, error) {
	if b.r == nil {
		r, err := b.f.Reader()
		if err != nil {
			b.fail(err)
			return 0, err
		}
		b.r = r
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if err != nil && err != io.EOF {
		b.fail(fmt.Errorf("read %s: %w", b.f.Name, err))
	}
	return n, err
}

func (b *streamBody) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// Seek supports what the SDK asks of a body: its position (offset 0 from the current one) and a rewind
// to the start.
func (b *streamBody) Seek(offset int64, whence int) (int64, error) {
	switch {
	case offset == 0 && whence == io.SeekCurrent:
		return b.n, nil
	case offset == 0 && whence == io.SeekStart:
		b.close()
		b.n, b.err = 0, nil
		return 0, nil
	case offset == 0 && whence == io.SeekEnd && b.n == 0:
		return b.f.Size, nil // the length, asked before reading; the position stays at 0
	}
	return 0, fmt.Errorf("seek %s: only a rewind to the start is supported", b.f.Name)
}

func (b *streamBody) close() {
	if b.r != nil {
		b.r.Close()
		b.r = nil
	}
}

// versionOf is the current version id of key.
func (s *Store) versionOf(ctx context.Context, key string) (string, error) {
	out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return "", s.opErr("head", key, err)
	}
	return aws.ToString(out.VersionId), nil
}

// readMarker reads and checks a set's marker; a missing marker is store.NotExistError.
func (s *Store) readMarker(ctx context.Context, ref store.Ref) (*marker, error) {
	key := s.MarkerKey(ref)
	version, err := s.firstMarkerVersion(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, store.NotExistError(ref)
	}
	if err != nil {
		return nil, fmt.Errorf("open deployment %s: %w", ref, err)
	}
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: &s.bucket, Key: &key, VersionId: &version})
	if err != nil {
		if isNotFound(err) {
			return nil, store.NotExistError(ref)
		}
		return nil, fmt.Errorf("open deployment %s: %w", ref, s.opErr("get", key, err))
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, maxMarker+1))
	if err != nil {
		return nil, fmt.Errorf("open deployment %s: %w", ref, s.opErr("get", key, err))
	}
	m := &marker{}
	bad := func(why string) error {
		return fmt.Errorf("open deployment %s: marker s3://%s/%s: %s", ref, s.bucket, key, why)
	}
	if len(data) > maxMarker {
		return nil, bad("larger than 4 MiB")
	}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, bad(err.Error())
	}
	if m.Version != 1 || m.Tenant != ref.Tenant || m.Deployment != ref.Deployment || !isAttempt(m.Attempt) || len(m.Files) == 0 {
		return nil, bad("not the marker of this set")
	}
	for i, f := range m.Files {
		if store.CheckName("", f.Name) != nil || f.Size < 0 || len(f.SHA256) != 2*sha256.Size ||
			i > 0 && m.Files[i-1].Name >= f.Name {
			return nil, bad(fmt.Sprintf("file entry %d is invalid", i))
		}
	}
	return m, nil
}

// Open reads the set's marker and returns its files; each file is read from S3 (the exact object
// version the marker names) when it is read, and checked against the marker's size and SHA-256. Reads
// use ctx.
func (s *Store) Open(ctx context.Context, ref store.Ref) (fsys fs.FS, err error) {
	if err := ref.Check(); err != nil {
		return nil, fmt.Errorf("open deployment: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open deployment %s: %w", ref, err)
	}
	m, err := s.readMarker(ctx, ref)
	if err != nil {
		return nil, err
	}
	return newSetFS(ctx, s, ref, m), nil
}

// List returns the tenant's complete sets (those with a marker), sorted.
func (s *Store) List(ctx context.Context, tenant string) ([]store.Ref, error) {
	if err := store.CheckName("tenant", tenant); err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list deployments of %s: %w", tenant, err)
	}
	dir := s.prefix + tenant + "/.complete/"
	refs := []store.Ref{}
	// Versions, not current objects: a marker under a delete marker is still the set (see Open).
	seen := map[string]bool{}
	p := awss3.NewListObjectVersionsPaginator(s.client, &awss3.ListObjectVersionsInput{Bucket: &s.bucket, Prefix: &dir})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list deployments of %s: %w", tenant, s.opErr("list", dir, err))
		}
		for _, o := range page.Versions {
			id := strings.TrimPrefix(aws.ToString(o.Key), dir)
			if store.CheckName("", id) == nil && !seen[id] {
				seen[id] = true
				refs = append(refs, store.Ref{Tenant: tenant, Deployment: id})
			}
		}
	}
	slices.SortFunc(refs, func(a, b store.Ref) int { return strings.Compare(a.Deployment, b.Deployment) })
	return refs, nil
}

// Tenants lists every tenant with objects under the prefix (a set, or an attempt that never completed),
// sorted: one ListObjectsV2 with delimiter '/' per 1000 tenants.
func (s *Store) Tenants(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	tenants := []string{}
	p := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &s.prefix, Delimiter: aws.String("/")})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tenants: %w", s.opErr("list", s.prefix, err))
		}
		for _, cp := range page.CommonPrefixes {
			t := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), s.prefix), "/")
			if store.CheckName("", t) == nil {
				tenants = append(tenants, t)
			}
		}
	}
	slices.Sort(tenants)
	return slices.Compact(tenants), nil
}

// newAttempt is 128 random bits in hex.
func newAttempt() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func isAttempt(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// opErr is "OP s3://BUCKET/KEY: cause", with the kind of a missing bucket, refused access or
// unreachable endpoint. Context errors stay matchable with errors.Is.
func (s *Store) opErr(op, key string, err error) error {
	kind := fault.Operational
	var ae smithy.APIError
	var ne net.Error
	var sendErr *smithyhttp.RequestSendError
	if errors.As(err, &sendErr) || errors.As(err, &ne) && ne.Timeout() && !errors.Is(err, context.DeadlineExceeded) {
		kind = fault.Unavailable // connected, or not, but no answer in time
	} else if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "Forbidden":
			kind = fault.Forbidden
		case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken":
			kind = fault.Unauthenticated
		case "SlowDown", "ServiceUnavailable", "RequestTimeout":
			kind = fault.Unavailable
		}
	} else if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		var op *smithy.OperationError
		if errors.As(err, &op) {
			kind = fault.Unavailable // no answer from the endpoint
		}
	}
	return fault.Wrap(kind, fmt.Errorf("%s s3://%s/%s: %w", op, s.bucket, key, err))
}

func isNotFound(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		}
	}
	var nk *types.NoSuchKey
	var nf *types.NotFound
	return errors.As(err, &nk) || errors.As(err, &nf)
}

func isNoSuchVersion(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "NoSuchVersion"
}

func isPrecondition(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailed"
}

// objectVersion is one stored version of a key (delete markers included) under a set.
type objectVersion struct {
	key, id      string
	deleteMarker bool
	at           time.Time
}

// setVersions lists every version and delete marker of the set's marker key and of everything under
// T/D/ (every attempt, the set's and lost ones).
func (s *Store) setVersions(ctx context.Context, ref store.Ref) (marker, files []objectVersion, err error) {
	mk := s.MarkerKey(ref)
	dir := s.prefix + ref.Tenant + "/" + ref.Deployment + "/"
	for _, prefix := range []string{mk, dir} {
		p := awss3.NewListObjectVersionsPaginator(s.client, &awss3.ListObjectVersionsInput{Bucket: &s.bucket, Prefix: aws.String(prefix)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, nil, s.opErr("list versions of", prefix, err)
			}
			add := func(key, id string, dm bool, at time.Time) {
				v := objectVersion{key: key, id: id, deleteMarker: dm, at: at}
				switch {
				case prefix == mk && key == mk:
					marker = append(marker, v)
				case prefix == dir:
					files = append(files, v)
				}
			}
			for _, v := range page.Versions {
				add(aws.ToString(v.Key), aws.ToString(v.VersionId), false, aws.ToTime(v.LastModified))
			}
			for _, v := range page.DeleteMarkers {
				add(aws.ToString(v.Key), aws.ToString(v.VersionId), true, aws.ToTime(v.LastModified))
			}
		}
	}
	return marker, files, nil
}

// retainedUntil is the COMPLIANCE/GOVERNANCE retain-until of one object version (zero: none).
func (s *Store) retainedUntil(ctx context.Context, v objectVersion) (time.Time, error) {
	out, err := s.client.GetObjectRetention(ctx, &awss3.GetObjectRetentionInput{Bucket: &s.bucket, Key: &v.key, VersionId: &v.id})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchObjectLockConfiguration" || ae.ErrorCode() == "ObjectLockConfigurationNotFoundError") || isNotFound(err) {
			return time.Time{}, nil // not locked, or deleted meanwhile
		}
		return time.Time{}, s.opErr("get retention of", v.key, err)
	}
	if out.Retention == nil || out.Retention.RetainUntilDate == nil {
		return time.Time{}, nil
	}
	return aws.ToTime(out.Retention.RetainUntilDate), nil
}

// locks reads the retain-until of every object version of vs (delete markers have none), eight at a
// time, and returns the earliest and the latest (zero earliest: some version is not locked).
func (s *Store) locks(ctx context.Context, vs []objectVersion) (earliest, latest time.Time, err error) {
	untils := make([]time.Time, len(vs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(uploads)
	for i, v := range vs {
		if v.deleteMarker {
			continue
		}
		g.Go(func() error {
			u, err := s.retainedUntil(gctx, v)
			untils[i] = u
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	first := true
	for i, u := range untils {
		if vs[i].deleteMarker {
			continue
		}
		if first || u.Before(earliest) {
			earliest = u
		}
		if u.After(latest) {
			latest = u
		}
		first = false
	}
	return earliest, latest, nil
}

// LockedUntil is the earliest retain-until among the objects of the set (its marker's first version
// and the files it names); zero when one of them is not locked.
func (s *Store) LockedUntil(ctx context.Context, ref store.Ref) (time.Time, error) {
	if err := ref.Check(); err != nil {
		return time.Time{}, fmt.Errorf("read lock: %w", err)
	}
	m, err := s.readMarker(ctx, ref)
	if err != nil {
		return time.Time{}, err
	}
	first, err := s.firstMarkerVersion(ctx, s.MarkerKey(ref))
	if err != nil {
		return time.Time{}, fmt.Errorf("read lock of %s: %w", ref, err)
	}
	vs := []objectVersion{{key: s.MarkerKey(ref), id: first}}
	for _, f := range m.Files {
		vs = append(vs, objectVersion{key: s.fileKey(ref, m.Attempt, f.Name), id: f.VersionID})
	}
	earliest, _, err := s.locks(ctx, vs)
	if err != nil {
		return time.Time{}, fmt.Errorf("read lock of %s: %w", ref, err)
	}
	return earliest, nil
}

// SetLegalHold turns the Object Lock legal hold of every version of every object of the set (its
// marker's and every attempt's) on or off, eight at a time.
func (s *Store) SetLegalHold(ctx context.Context, ref store.Ref, on bool) error {
	if err := ref.Check(); err != nil {
		return fmt.Errorf("legal hold: %w", err)
	}
	markers, files, err := s.setVersions(ctx, ref)
	if err != nil {
		return fmt.Errorf("legal hold of %s: %w", ref, err)
	}
	if !slices.ContainsFunc(markers, func(v objectVersion) bool { return !v.deleteMarker }) {
		return store.NotExistError(ref)
	}
	status := types.ObjectLockLegalHoldStatusOff
	if on {
		status = types.ObjectLockLegalHoldStatusOn
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(uploads)
	for _, v := range append(markers, files...) {
		if v.deleteMarker {
			continue
		}
		g.Go(func() error {
			_, err := s.client.PutObjectLegalHold(gctx, &awss3.PutObjectLegalHoldInput{Bucket: &s.bucket, Key: &v.key, VersionId: &v.id,
				LegalHold: &types.ObjectLockLegalHold{Status: status}})
			if err != nil {
				return s.opErr("put legal hold on version "+v.id+" of", v.key, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("legal hold of %s: %w", ref, err)
	}
	return nil
}

// RemovableAt is the latest retain-until of every version Delete would remove (the marker's and every
// attempt's): Delete refuses the set until then.
func (s *Store) RemovableAt(ctx context.Context, ref store.Ref) (time.Time, error) {
	if err := ref.Check(); err != nil {
		return time.Time{}, fmt.Errorf("read lock: %w", err)
	}
	markers, files, err := s.setVersions(ctx, ref)
	if err != nil {
		return time.Time{}, fmt.Errorf("read lock of %s: %w", ref, err)
	}
	if !slices.ContainsFunc(markers, func(v objectVersion) bool { return !v.deleteMarker }) {
		return time.Time{}, store.NotExistError(ref)
	}
	_, latest, err := s.locks(ctx, append(markers, files...))
	if err != nil {
		return time.Time{}, fmt.Errorf("read lock of %s: %w", ref, err)
	}
	return latest, nil
}

// Delete removes every version of every object of the set — its marker and every attempt's files —
// once all their locks have expired; while any is still locked (by s.Now) it removes nothing and
// returns a *store.LockedError. The marker goes first, its first version (which is the set) last, so
// Open and List see the whole set until the set is gone; files go after. An interrupted Delete leaves
// the set whole, or objects no marker names (invisible; the next Delete of the id removes them).
func (s *Store) Delete(ctx context.Context, ref store.Ref) (err error) {
	if err := ref.Check(); err != nil {
		return fmt.Errorf("delete deployment: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete deployment %s: %w", ref, err)
	}
	defer func() {
		if err != nil && !errors.Is(err, store.ErrNotExist) && !errors.Is(err, store.ErrLocked) {
			err = fmt.Errorf("delete deployment %s: %w", ref, err)
		}
	}()
	markers, files, err := s.setVersions(ctx, ref)
	if err != nil {
		return err
	}
	hasMarker := slices.ContainsFunc(markers, func(v objectVersion) bool { return !v.deleteMarker })
	if !hasMarker {
		return store.NotExistError(ref)
	}
	all := append(slices.Clone(markers), files...)
	_, latest, err := s.locks(ctx, all)
	if err != nil {
		return err
	}
	if latest.After(s.Now()) {
		return &store.LockedError{Ref: ref, Until: latest}
	}
	first, err := s.firstMarkerVersion(ctx, s.MarkerKey(ref))
	if errors.Is(err, fs.ErrNotExist) {
		return store.NotExistError(ref) // deleted meanwhile
	}
	if err != nil {
		return err
	}
	// Every marker version but the first (and every delete marker on it), then the first.
	for _, v := range markers {
		if v.id != first {
			if err := s.deleteVersion(ctx, v); err != nil {
				return err
			}
		}
	}
	if err := s.deleteVersion(ctx, objectVersion{key: s.MarkerKey(ref), id: first}); err != nil {
		return err
	}
	// The files: keys in parallel, the versions of one key one after the other (a gateway that
	// promotes the previous version when the newest goes must not race with that version's delete),
	// then listed again until nothing of the set is left.
	for round := 0; ; round++ {
		if err := s.deleteFiles(ctx, files); err != nil {
			return err
		}
		_, files, err = s.setVersions(ctx, ref)
		if err != nil || len(files) == 0 {
			return err
		}
		if round == 2 {
			return fmt.Errorf("%d object versions are left under s3://%s/%s%s/%s/ after three rounds (first: %s version %s)",
				len(files), s.bucket, s.prefix, ref.Tenant, ref.Deployment, files[0].key, files[0].id)
		}
	}
}

// deleteFiles deletes the versions, eight keys at a time, each key's versions in the order listed.
func (s *Store) deleteFiles(ctx context.Context, vs []objectVersion) error {
	byKey := map[string][]objectVersion{}
	var keys []string
	for _, v := range vs {
		if _, ok := byKey[v.key]; !ok {
			keys = append(keys, v.key)
		}
		byKey[v.key] = append(byKey[v.key], v)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(uploads)
	for _, k := range keys {
		g.Go(func() error {
			for _, v := range byKey[k] {
				if err := s.deleteVersion(gctx, v); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// deleteVersion deletes one version of a key for good (not a delete marker on top of it).
func (s *Store) deleteVersion(ctx context.Context, v objectVersion) error {
	// A version already gone (another deleter of the same set removed it first) is what was asked.
	if _, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &s.bucket, Key: &v.key, VersionId: &v.id}); err != nil && !isNotFound(err) && !isNoSuchVersion(err) {
		return s.opErr("delete version "+v.id+" of", v.key, err)
	}
	return nil
}
