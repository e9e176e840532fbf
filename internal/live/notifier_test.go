package live

import (
	"sync"
	"testing"
	"time"
)

func TestNotifier(t *testing.T) {
	n := NewNotifier()
	n.Notify("a") // nobody waits: nothing to do
	ch := n.Changed("a")
	other := n.Changed("b")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Error("not woken")
		}
	}()
	n.Notify("a")
	wg.Wait()
	select {
	case <-other:
		t.Fatal("another stream was woken")
	default:
	}
	if n.Changed("a") == ch {
		t.Fatal("a fresh channel is needed after a notification")
	}
}
