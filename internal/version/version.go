// Package version names this build of Stella as it appears in generated artifacts.
package version

// Version is Stella's release version. It is a constant (not taken from VCS at build time) so that the
// same inputs give the same bytes whatever checkout built the binary; it changes with each release.
const Version = "0.1.0"

// GeneratorName is the generator recorded in lock files, stickers and manifests.
const GeneratorName = "stella-artifact-generator"

// Generator is "stella-artifact-generator@VERSION".
func Generator() string { return GeneratorName + "@" + Version }

// String is the human form.
func String() string { return "stella " + Version }
