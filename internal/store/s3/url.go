package s3

import (
	"net"
	"net/http"
	"time"

	"context"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/stella-ops/stella/internal/fault"
	"github.com/stella-ops/stella/internal/store"
)

// Config is a parsed s3:// store URL.
type Config struct {
	Bucket    string
	Prefix    string // "" or segments joined by '/', without leading or trailing '/'
	Endpoint  string // "" for AWS's own endpoints
	Region    string // "" for the AWS configuration's region
	PathStyle bool
	// Timeout bounds connecting and waiting for each answer's headers (0: DefaultTimeout).
	Timeout time.Duration
}

// String is s3://BUCKET[/PREFIX], the form shown in messages (never the query).
func (l Config) String() string {
	if l.Prefix == "" {
		return "s3://" + l.Bucket
	}
	return "s3://" + l.Bucket + "/" + l.Prefix
}

// Params are the query parameters an s3:// URL may carry.
var Params = []string{"endpoint", "region", "path-style", "timeout"}

// DefaultTimeout bounds how long the store waits for an S3 endpoint to connect and to start answering
// one request (?timeout= changes it): a frozen endpoint fails the operation instead of hanging it.
const DefaultTimeout = 60 * time.Second

// ParseURL reads s3://BUCKET[/PREFIX][?endpoint=URL&region=R&path-style=true]. Credentials never belong
// in the URL (they come from the AWS chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, ...): a
// URL with user information is refused, and no error repeats the URL past the bucket and prefix.
func ParseURL(raw string) (Config, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || !strings.EqualFold(scheme, "s3") {
		return Config{}, fault.Inputf("open store: not an s3:// URL")
	}
	if strings.Contains(rest, "#") {
		return Config{}, fault.Inputf("open store s3://...: a fragment (#) is not allowed in an s3:// URL")
	}
	path, query, _ := strings.Cut(rest, "?")
	bucket, prefix, _ := strings.Cut(path, "/")
	if strings.Contains(bucket, "@") {
		return Config{}, fault.Inputf("open store s3://...: credentials do not belong in the store URL; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) instead")
	}
	if why := badBucket(bucket); why != "" {
		if strings.ContainsFunc(bucket, func(r rune) bool { return !unicode.IsPrint(r) }) {
			// Quoted, so that a line break or a control character cannot split or forge the message.
			return Config{}, fault.Inputf("open store s3://...: bucket name %q %s", bucket, why)
		}
		return Config{}, fault.Inputf("open store s3://%s: bucket name %s", bucket, why)
	}
	l := Config{Bucket: bucket, Prefix: strings.TrimSuffix(prefix, "/")}
	if l.Prefix != "" {
		for seg := range strings.SplitSeq(l.Prefix, "/") {
			if err := store.CheckName("prefix segment", seg); err != nil {
				return Config{}, fault.Inputf("open store s3://%s/...: %v", bucket, err)
			}
		}
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return Config{}, fault.Inputf("open store %s: the query of the URL does not parse", l)
	}
	for k, v := range q {
		if !slices.Contains(Params, k) {
			return Config{}, fault.Inputf("open store %s: unknown parameter %q (supported: %s)", l, k, strings.Join(Params, ", "))
		}
		if len(v) != 1 {
			return Config{}, fault.Inputf("open store %s: parameter %q given %d times", l, k, len(v))
		}
	}
	l.Region = q.Get("region")
	if ps := q.Get("path-style"); ps != "" {
		if l.PathStyle, err = strconv.ParseBool(ps); err != nil {
			return Config{}, fault.Inputf("open store %s: path-style=%q is not true or false", l, ps)
		}
	}
	if v := q.Get("timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return Config{}, fault.Inputf("open store %s: timeout=%q is not a positive duration (e.g. 30s)", l, v)
		}
		l.Timeout = d
	}
	if ep := q.Get("endpoint"); ep != "" {
		e, err := url.Parse(ep)
		switch {
		case err != nil || e.Host == "" || (e.Scheme != "http" && e.Scheme != "https"):
			return Config{}, fault.Inputf("open store %s: endpoint is not an http:// or https:// URL with a host", l)
		case e.User != nil:
			return Config{}, fault.Inputf("open store %s: credentials do not belong in the endpoint URL; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) instead", l)
		case e.RawQuery != "" || e.Fragment != "":
			return Config{}, fault.Inputf("open store %s: endpoint must not have a query or fragment", l)
		}
		l.Endpoint = ep
	}
	return l, nil
}

// badBucket says why b is not an S3 bucket name (3-63 lowercase letters, digits, '.', '-', starting and
// ending with a letter or digit), or "" if it is one.
func badBucket(b string) string {
	if len(b) < 3 || len(b) > 63 {
		return "must be 3 to 63 characters"
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		alnum := 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		if !alnum && ((c != '.' && c != '-') || i == 0 || i == len(b)-1) {
			return "may hold only lowercase letters, digits, '.' and '-', and starts and ends with a letter or digit"
		}
	}
	return ""
}

// OpenURL opens the store an s3:// URL names. The region comes from the URL, else from the AWS
// configuration (AWS_REGION, a profile); credentials come from the AWS chain and are resolved at the
// first request. Nothing is sent until the store is used.
func OpenURL(raw string) (*Store, error) {
	l, err := ParseURL(raw)
	if err != nil {
		return nil, err
	}
	var opts []func(*config.LoadOptions) error
	if l.Region != "" {
		opts = append(opts, config.WithRegion(l.Region))
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		return nil, fault.Inputf("open store %s: AWS configuration: %v", l, err)
	}
	if cfg.Region == "" {
		return nil, fault.Inputf("open store %s: no AWS region: add ?region=REGION to the URL or set AWS_REGION", l)
	}
	timeout := l.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	httpClient := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = timeout }).
		WithTransportOptions(func(t *http.Transport) {
			t.ResponseHeaderTimeout = timeout
			t.TLSHandshakeTimeout = timeout
		})
	client := awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		o.HTTPClient = httpClient
		if l.Endpoint != "" {
			o.BaseEndpoint = aws.String(l.Endpoint)
		}
		o.UsePathStyle = l.PathStyle
	})
	return New(client, l.Bucket, l.Prefix), nil
}
