// Package local is the embedded storage backend. SQLite (modernc.org/sqlite,
// pure Go, so kvsd stays cgo-free) holds the catalog (catalog.db) and the
// fragment index (fragments.db); media goes into append-only, checksummed
// segment files with group commit (see docs/on-disk-format.md).
//
// The catalog keeps every stream in memory as well. One kvsd process owns the
// database file, so the memory copy is authoritative for reads and SQLite is
// the durable copy written before the memory copy changes. That keeps
// DescribeStream and ListStreams off the disk on the hot path.
package local
