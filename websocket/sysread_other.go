//go:build !unix

package websocket

import "errors"

// rawReads is false where sockets are not read with read(2): every read
// goes through net.Conn's Read.
const rawReads = false

// sysRead is never called where rawReads is false.
func sysRead(fd uintptr, p []byte) (int, error) { return 0, errors.ErrUnsupported }
