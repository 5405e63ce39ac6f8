package store

import (
	"os"
	"syscall"
)

// datasync flushes f's data, and its metadata only when needed to read the
// data back (fdatasync): the journal is never resized once made.
func datasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
