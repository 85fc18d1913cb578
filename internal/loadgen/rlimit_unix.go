//go:build unix

package loadgen

import "syscall"

// RaiseFileLimit raises the soft limit on open files to want, or to the
// hard limit if that is lower, and returns the soft limit in force.
func RaiseFileLimit(want uint64) (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if uint64(l.Cur) >= want {
		return uint64(l.Cur), nil
	}
	if want < uint64(l.Max) {
		setLimit(&l.Cur, want)
	} else {
		l.Cur = l.Max
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	return uint64(l.Cur), nil
}

// setLimit sets a field of syscall.Rlimit: a uint64 on most systems, an
// int64 on some BSDs.
func setLimit[T int64 | uint64](field *T, v uint64) { *field = T(v) }
