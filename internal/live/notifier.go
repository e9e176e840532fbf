package live

import "sync"

// Notifier broadcasts "something new" per stream.
type Notifier struct {
	mu      sync.Mutex
	streams map[string]chan struct{}
}

// NewNotifier returns an empty Notifier.
func NewNotifier() *Notifier {
	return &Notifier{streams: make(map[string]chan struct{})}
}

// Changed returns a channel that is closed at the next Notify for the
// stream. Take it before looking for new data, then wait on it, and no
// notification is missed.
func (n *Notifier) Changed(stream string) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch, ok := n.streams[stream]
	if !ok {
		ch = make(chan struct{})
		n.streams[stream] = ch
	}
	return ch
}

// Notify wakes every reader waiting on the stream.
func (n *Notifier) Notify(stream string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ch, ok := n.streams[stream]; ok {
		close(ch)
		// The next waiter makes a new channel; streams nobody waits on
		// leave no entry behind.
		delete(n.streams, stream)
	}
}
