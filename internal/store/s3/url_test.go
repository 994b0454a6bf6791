package s3_test

import (
	"strings"
	"testing"

	"github.com/stella-ops/stella/internal/fault"
	s3 "github.com/stella-ops/stella/internal/store/s3"
)

func TestParseURL(t *testing.T) {
	for raw, want := range map[string]s3.Config{
		"s3://bucket":                    {Bucket: "bucket"},
		"S3://my.bucket-1/":              {Bucket: "my.bucket-1"},
		"s3://bucket/a/b/":               {Bucket: "bucket", Prefix: "a/b"},
		"s3://bucket/p?region=eu-west-1": {Bucket: "bucket", Prefix: "p", Region: "eu-west-1"},
		"s3://bucket/p?endpoint=http://127.0.0.1:9000&region=us-east-1&path-style=true": {
			Bucket: "bucket", Prefix: "p", Endpoint: "http://127.0.0.1:9000", Region: "us-east-1", PathStyle: true},
		"s3://bucket?endpoint=https://s3.internal/base&path-style=false": {Bucket: "bucket", Endpoint: "https://s3.internal/base"},
	} {
		got, err := s3.ParseURL(raw)
		if err != nil || got != want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", raw, got, err, want)
		}
	}
}

func TestParseURLErrors(t *testing.T) {
	for raw, want := range map[string]string{
		"s3://AKIA:s3cr3t@bucket/p":                   "open store s3://...: credentials do not belong in the store URL; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) instead",
		"s3://bucket/p?endpoint=http://AKIA:s3cr3t@h": "open store s3://bucket/p: credentials do not belong in the endpoint URL",
		"s3://bucket/p?secret_key=s3cr3t":             `open store s3://bucket/p: unknown parameter "secret_key" (supported: endpoint, region, path-style, timeout)`,
		"s3://bucket/p?region=a&region=b":             `open store s3://bucket/p: parameter "region" given 2 times`,
		"s3://bucket/p?path-style=maybe":              `open store s3://bucket/p: path-style="maybe" is not true or false`,
		"s3://bucket/p?endpoint=ftp://h":              "open store s3://bucket/p: endpoint is not an http:// or https:// URL with a host",
		"s3://bucket/p?endpoint=http://h?x=s3cr3t":    "open store s3://bucket/p: endpoint must not have a query or fragment",
		"s3://bucket/p?%zzs3cr3t":                     "open store s3://bucket/p: the query of the URL does not parse",
		"s3://bucket/p#s3cr3t":                        "open store s3://...: a fragment (#) is not allowed in an s3:// URL",
		"s3://Bucket/p":                               "open store s3://Bucket: bucket name may hold only lowercase letters",
		"s3://ab":                                     "open store s3://ab: bucket name must be 3 to 63 characters",
		"s3://bucket/a//b":                            `open store s3://bucket/...: prefix segment "": invalid name: empty`,
		"s3://bucket/a/../b":                          `open store s3://bucket/...: prefix segment "..": invalid name: starts with '.'`,
		"s3://bucket":                                 "open store s3://bucket: no AWS region: add ?region=REGION to the URL or set AWS_REGION",
	} {
		_, err := s3.OpenURL(raw)
		if err == nil || !strings.HasPrefix(err.Error(), want) || fault.ExitCode(err) != 2 {
			t.Errorf("OpenURL(%q) = %v, want an input error %q", raw, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("OpenURL(%q) error shows the secret: %v", raw, err)
		}
	}
}
