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
	h.Data("s", 7, []byte("ab"))
	// A reader that joins mid-fragment gets the fragment so far.
	late := h.Subscribe("s")
	defer late.Close()
	h.Data("s", 7, []byte("cd"))
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
	for range subscriberQueue + 10 {
		h.Data("s", 1, []byte("x")) // never blocks
	}
	n := 0
	for range slow.C {
		n++
	}
	require.True(t, slow.Lagged())
	require.Equal(t, subscriberQueue, n)
	slow.Close() // closing again is harmless
}
