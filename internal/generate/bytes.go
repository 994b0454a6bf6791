package generate

import (
	"github.com/stella-ops/stella/internal/checksum"
	"github.com/stella-ops/stella/internal/lockfile"
	"github.com/stella-ops/stella/internal/manifest"
	"github.com/stella-ops/stella/internal/release"
)

// Source is one input document given as bytes (the API's stored documents), with the name its errors and
// the manifest's inputs use.
type Source struct {
	Name string
	Data []byte
}

// LoadBytes is Load for inputs that are not files: a release, an environment and the release's Compose
// template, each checked as Load checks the files.
func LoadBytes(rel, env, template Source) (*Inputs, error) {
	r, err := release.ParseRelease(rel.Name, rel.Data)
	if err != nil {
		return nil, err
	}
	e, err := release.ParseEnvironment(env.Name, env.Data)
	if err != nil {
		return nil, err
	}
	tpl, err := lockfile.Parse(template.Name, template.Data)
	if err != nil {
		return nil, err
	}
	return &Inputs{
		Release: r, Environment: e, TemplateFile: template.Name, Template: template.Data, parsed: tpl,
		Files: []manifest.Input{
			{Role: "release", Name: baseName(rel.Name), SHA256: checksum.Sum(rel.Data)},
			{Role: "environment", Name: baseName(env.Name), SHA256: checksum.Sum(env.Data)},
			{Role: "compose-template", Name: baseName(template.Name), SHA256: checksum.Sum(template.Data)},
		},
	}, nil
}
