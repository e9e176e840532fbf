// Package server wires kvsd together: configuration in, components built and
// started in dependency order, and stopped in reverse order on Close. It
// holds no behaviour of its own.
package server
