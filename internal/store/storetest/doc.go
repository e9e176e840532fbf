// Package storetest is the conformance suite that every storage backend
// passes: the embedded one now and the PostgreSQL + S3 one later. Backends
// call RunCatalog and RunFragments from their own tests with a constructor for a fresh, empty
// instance.
package storetest
