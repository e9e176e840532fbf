// Package local is the embedded storage backend: one SQLite database
// (modernc.org/sqlite, pure Go, so kvsd stays cgo-free) under the data
// directory holds the catalog.
//
// The catalog keeps every stream in memory as well. One kvsd process owns the
// database file, so the memory copy is authoritative for reads and SQLite is
// the durable copy written before the memory copy changes. That keeps
// DescribeStream and ListStreams off the disk on the hot path.
package local
