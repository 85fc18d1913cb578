package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"

	"github.com/duplexrt/duplex/bench/internal/proc"
)

// pinSelf moves every thread of this process to CPU cpu and sizes the Go
// scheduler to it. Threads started later inherit the affinity of the
// thread that starts them.
func pinSelf(cpu int) error {
	if proc.TasksetPath == "" {
		return errors.New("no taskset")
	}
	out, err := exec.Command(proc.TasksetPath, "-a", "-p", "-c", strconv.Itoa(cpu), strconv.Itoa(os.Getpid())).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset: %v: %s", err, out)
	}
	runtime.GOMAXPROCS(1)
	return nil
}
