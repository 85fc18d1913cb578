// Package machine describes where a benchmark ran: the CPU, the output of
// version commands, the versions of the npm packages of the Node.js
// testees. Each answer is a short text for a results table.
package machine

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Command runs name with args in dir and returns its output without
// surrounding space, or "(name: error)" when it fails.
func Command(dir, name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return fmt.Sprintf("(%s: %v)", name, err)
	}
	return strings.TrimSpace(string(out))
}

// CPUModel returns the model name of the first CPU, or "unknown".
func CPUModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// NPMVersion returns the version of package pkg installed for the Node.js
// testees of the bench module in dir (under node/node_modules), or "".
func NPMVersion(dir, pkg string) string {
	data, err := os.ReadFile(filepath.Join(dir, "node", "node_modules", pkg, "package.json"))
	if err != nil {
		return ""
	}
	var p struct{ Version string }
	json.Unmarshal(data, &p)
	return p.Version
}
