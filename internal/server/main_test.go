package server_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every kvsd a test starts must be gone, goroutines and all, when it ends.
// Idle keep-alive connections of the clients' transports are not kvsd's.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
	)
}
