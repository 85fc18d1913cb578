package machine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommand(t *testing.T) {
	if got := Command(".", "echo", " hi "); got != "hi" {
		t.Errorf("Command: %q", got)
	}
	if got := Command(".", "no-such-command-here"); !strings.HasPrefix(got, "(no-such-command-here: ") {
		t.Errorf("Command of a missing program: %q", got)
	}
}

func TestNPMVersion(t *testing.T) {
	dir := t.TempDir()
	pkg := filepath.Join(dir, "node", "node_modules", "ws")
	os.MkdirAll(pkg, 0o755)
	os.WriteFile(filepath.Join(pkg, "package.json"), []byte(`{"name":"ws","version":"8.23.0"}`), 0o644)
	if got := NPMVersion(dir, "ws"); got != "8.23.0" {
		t.Errorf("NPMVersion: %q", got)
	}
	if got := NPMVersion(dir, "missing"); got != "" {
		t.Errorf("NPMVersion of a missing package: %q", got)
	}
}
