// Package testenv gives tests the real servers and tools that .ci/run starts. A test that needs one skips
// when its variable (or command) is missing, unless STELLA_REQUIRE_SERVICES=1, which .ci/run sets: then
// the missing service fails the test instead.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Variables .ci/run exports.
const (
	PostgresDSN   = "STELLA_TEST_POSTGRES_DSN"  // postgres://user:pw@127.0.0.1:PORT/postgres?sslmode=disable
	Registry      = "STELLA_TEST_REGISTRY"      // host:port of a plain-HTTP docker-registry
	RegistryAuth  = "STELLA_TEST_REGISTRY_AUTH" // host:port of an htpasswd-protected docker-registry
	RegistryUser  = "STELLA_TEST_REGISTRY_USER" // its user
	RegistryPass  = "STELLA_TEST_REGISTRY_PASS" // its password
	RequireSwitch = "STELLA_REQUIRE_SERVICES"   // "1": a missing service fails instead of skipping
	// DockerHost is a Docker API for real containers: podman system service's socket in .ci/run
	// (unix:///…/podman.sock), which pulls from Registry over plain HTTP.
	DockerHost = "STELLA_TEST_DOCKER_HOST"
	// DockerCompose is a Docker Compose command-line binary (built from its module source in .ci/run),
	// for the agent's fallback driver, `docker compose` by exec.
	DockerCompose = "STELLA_TEST_DOCKER_COMPOSE"
	// A PKCS#11 token (SoftHSM2 in .ci/run, with SOFTHSM2_CONF pointing at its config).
	PKCS11Module = "STELLA_TEST_PKCS11_MODULE" // path of the module, e.g. /usr/lib/softhsm/libsofthsm2.so
	PKCS11Token  = "STELLA_TEST_PKCS11_TOKEN"  // label of an initialised token
	PKCS11PIN    = "STELLA_TEST_PKCS11_PIN"    // its user PIN
)

// Required reports whether missing services must fail tests.
func Required() bool { return os.Getenv(RequireSwitch) == "1" }

func missing(t testing.TB, what string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is required (%s=1) but missing", what, RequireSwitch)
	}
	t.Skipf("%s not available; set it to run this test", what)
}

// Var returns the value of the environment variable name, skipping (or failing) the test when unset.
func Var(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		missing(t, "$"+name)
	}
	return v
}

// Command returns the path of a command on PATH, skipping (or failing) the test when absent.
func Command(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, "command "+name)
	}
	return p
}

// PKCS11 returns the test token's module path, label and user PIN, skipping (or failing) the test when
// any is unset.
func PKCS11(t testing.TB) (module, token, pin string) {
	t.Helper()
	return Var(t, PKCS11Module), Var(t, PKCS11Token), Var(t, PKCS11PIN)
}
