package admin

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"time"

	"outreach/internal/loopback"
)

// ListenSocket opens the admin unix socket at path with owner-only
// permissions (0600): the file's permissions decide who may use the API.
// A socket left behind by a process that died is replaced; one that still
// answers means another daemon runs, and ListenSocket refuses. Anything at
// path that is not a socket is left alone and refused, so a mistaken path
// never removes a file.
func ListenSocket(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("admin socket %s: a %s is in the way; remove it or choose another admin.socket", path, fileKind(fi.Mode()))
		}
		if conn, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
			conn.Close()
			return nil, fmt.Errorf("admin socket %s: another outreach is running", path)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("admin socket %s: removing the stale socket: %w", path, err)
		}
	}
	// The umask makes the socket owner-only from the moment it exists; the
	// chmod below makes sure of it whatever the umask was before.
	old := syscall.Umask(0o177)
	l, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	return l, nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m.IsRegular():
		return "regular file"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	}
	return "file of another kind"
}

// ListenTCP opens the optional admin TCP listener. addr must name a
// loopback address (127.0.0.0/8, ::1 or localhost): the endpoint is for
// this machine only, and a host name that resolves elsewhere is refused.
func ListenTCP(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("admin listen %q: %w", addr, err)
	}
	if !loopback.Host(host) {
		return nil, fmt.Errorf("admin listen %q: %q is not a loopback address; the admin endpoint is for this machine only", addr, host)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin listen: %w", err)
	}
	if ta, ok := l.Addr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
		l.Close()
		return nil, fmt.Errorf("admin listen %q: bound to %s, not a loopback address", addr, l.Addr())
	}
	return l, nil
}
