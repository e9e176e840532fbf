package media

import (
	"sync"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
)

// quota is a per-stream budget of points per second, refilled continuously,
// as the KVS fragment-metadata and fragment-media quotas are. A request
// that would overdraw it is refused, not delayed.
type quota struct {
	name string
	rate float64 // points per second; 0 turns the quota off

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	points float64
	last   time.Time
}

func newQuota(name string, rate float64) *quota {
	return &quota{name: name, rate: rate, buckets: map[string]*bucket{}}
}

// spend takes cost points from the stream's budget or returns a
// ClientLimitExceeded error.
func (q *quota) spend(stream string, cost int, now time.Time) error {
	if q.rate <= 0 {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	b, ok := q.buckets[stream]
	if !ok {
		b = &bucket{points: q.rate, last: now}
		q.buckets[stream] = b
	}
	b.points = min(q.rate, b.points+now.Sub(b.last).Seconds()*q.rate)
	b.last = now
	if float64(cost) > b.points {
		return errkind.New(ErrClientLimit, "The stream's %s quota of %.0f points per second is used up; retry later.", q.name, q.rate)
	}
	b.points -= float64(cost)
	if len(q.buckets) > 100_000 { // bound memory: forget full buckets
		for k, v := range q.buckets {
			if now.Sub(v.last) > time.Second {
				delete(q.buckets, k)
			}
		}
	}
	return nil
}
