package live

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func next(t *testing.T, s *Subscription) Event {
	t.Helper()
	select {
	case ev, ok := <-s.C:
		require.True(t, ok, "subscription closed")
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
		return Event{}
	}
}

func TestHubDeliversFragmentsAsTheyArrive(t *testing.T) {
	h := NewHub()
	early := h.Subscribe("s")
	defer early.Close()
	h.Begin("s", FragmentInfo{Number: 7, Header: []byte("hdr")})
	frag := []byte("ab")
	h.Data("s", 7, frag)
	// A reader that joins mid-fragment gets the fragment so far.
	late := h.Subscribe("s")
	defer late.Close()
	frag = append(frag, "cd"...)
	h.Data("s", 7, frag)
	h.Data("s", 6, []byte("stale"))
	h.End("s", 6, true)
	h.End("s", 7, true)

	ev := next(t, early)
	require.Equal(t, FragmentBegin, ev.Kind)
	require.Equal(t, uint64(7), ev.Info.Number)
	require.Equal(t, "ab", string(next(t, early).Data))
	require.Equal(t, "cd", string(next(t, early).Data))
	require.Equal(t, Event{Kind: FragmentEnd, OK: true}, next(t, early))

	require.Equal(t, uint64(7), next(t, late).Info.Number)
	require.Equal(t, "ab", string(next(t, late).Data))
	require.Equal(t, "cd", string(next(t, late).Data))
	require.True(t, next(t, late).OK)

	other := h.Subscribe("other")
	defer other.Close()
	select {
	case <-other.C:
		t.Fatal("events of another stream")
	default:
	}
}

func TestHubCutsOffSlowReaders(t *testing.T) {
	h := NewHub()
	slow := h.Subscribe("s")
	h.Begin("s", FragmentInfo{Number: 1})
	var frag []byte
	for range subscriberQueue + 10 {
		frag = append(frag, 'x')
		h.Data("s", 1, frag) // never blocks
	}
	n := 0
	for range slow.C {
		n++
	}
	require.True(t, slow.Lagged())
	require.Equal(t, subscriberQueue, n)
	slow.Close() // closing again is harmless
}

// TestHubDropsTheFragmentAtEnd checks that the hub lets go of the caller's
// buffer at End, so ingest may reuse it for the next fragment, and that a
// reader who joins mid-fragment gets a copy that later writes to the
// buffer do not change.
func TestHubDropsTheFragmentAtEnd(t *testing.T) {
	h := NewHub()
	buf := make([]byte, 0, 16)
	buf = append(buf, "abc"...)
	h.Begin("s", FragmentInfo{Number: 1})
	h.Data("s", 1, buf)
	late := h.Subscribe("s")
	defer late.Close()
	h.End("s", 1, true)
	buf = append(buf[:0], "xyz"...) // ingest reuses the buffer
	h.Begin("s", FragmentInfo{Number: 2})
	h.Data("s", 2, buf)

	require.Equal(t, FragmentBegin, next(t, late).Kind)
	require.Equal(t, "abc", string(next(t, late).Data))
	require.Equal(t, FragmentEnd, next(t, late).Kind)
	require.Equal(t, uint64(2), next(t, late).Info.Number)
	require.Equal(t, "xyz", string(next(t, late).Data))
	// A reader joining fragment 2 sees fragment 2's bytes only.
	again := h.Subscribe("s")
	defer again.Close()
	require.Equal(t, uint64(2), next(t, again).Info.Number)
	require.Equal(t, "xyz", string(next(t, again).Data))
}
