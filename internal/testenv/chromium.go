package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// EnvArtefacts names a folder browser tests write their screenshots to;
// by default a temporary folder of the test's.
const EnvArtefacts = "OUTREACH_ARTEFACTS"

// Chromium finds Debian's chromium (installed by .ci/install-deps), or
// skips the test (fails it when OUTREACH_INTEGRATION=require).
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Unavailable(t, "a Chromium browser is not installed (Debian package chromium)")
	return ""
}

// Artefacts returns the folder for a test's screenshots: $OUTREACH_ARTEFACTS
// when set (created if need be), else a temporary folder of the test's.
func Artefacts(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv(EnvArtefacts); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}
