package kvsdtest

import (
	"context"
	"errors"
	"net/url"
	"testing"
)

// Restart stops the server and starts it again on the same address with
// the same data dir and configuration, so that clients keep their
// endpoint: a kvsd restart in the middle of a test. Requests still in
// flight, such as a PutMedia body a producer holds open, are cut after
// Config.ShutdownTimeout (set it short), as a kill would cut them; that is
// not an error here. With an AdvertiseURL, Config.Listen must name a fixed
// port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if s.stop != nil {
		s.stop()
		s.stop = nil
		if err := <-s.done; err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("kvsd stopped with error: %v", err)
		}
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.Config
	if cfg.AdvertiseURL == "" {
		cfg.Listen = u.Host
	}
	n := StartConfig(t, cfg, s.opts...)
	s.URL, s.stop, s.done = n.URL, n.stop, n.done
}
