package testeetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestNode checks the Node.js ws testee, when node and its modules (make
// bench-build) are there.
func TestNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node")
	}
	dir, _ := filepath.Abs("../../node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "ws")); err != nil {
		t.Skip("no node_modules in bench/node: run make bench-build")
	}
	CheckAddr(t, StartCommand(t, node, filepath.Join(dir, "server.js")))
}
