// Package store holds the domain types that OpenKVS persists and the small
// interfaces its backends implement.
//
// It is protocol-free: it imports neither net/http nor the mkv package, and
// its errors are the Err* sentinels in errors.go, which the api layer maps to
// AWS error names once, in one table.
package store
