// Package live fans each stream's fragments out to GetMedia readers at the
// live edge as they arrive, frame by frame, before the fragment is complete
// or stored.
//
// Readers never hold up ingest: publishing never blocks, and a reader that
// falls a queue's length behind is cut off and must catch up from the
// store.
package live
