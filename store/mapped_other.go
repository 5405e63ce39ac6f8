//go:build !linux

package store

import bolt "go.etcd.io/bbolt"

// dropMapped does nothing where madvise is not used.
func dropMapped(*bolt.Tx) error { return nil }
