package store

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// dropMapped tells the kernel that the process no longer needs the pages
// of the store's memory map it has read (MADV_DONTNEED). The map is the
// file's, shared and read-only, so nothing is lost: a page read again is
// mapped again from the page cache. It must run inside a transaction,
// which keeps bbolt from remapping the file meanwhile.
func dropMapped(btx *bolt.Tx) error {
	info := btx.DB().Info()
	size := uintptr(btx.Size())
	if info == nil || info.Data == 0 || size == 0 {
		return nil
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, info.Data, size, syscall.MADV_DONTNEED); errno != 0 {
		return errno
	}
	return nil
}
