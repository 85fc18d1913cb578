//go:build unix

package websocket

import "syscall"

// rawReads reports whether a connection reads its socket with read(2)
// once the socket is readable, rather than through net.Conn's Read.
const rawReads = true

// sysRead is read(2) on the socket fd.
func sysRead(fd uintptr, p []byte) (int, error) { return syscall.Read(int(fd), p) }
