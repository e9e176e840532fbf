package ingest

import "time"

// pacer slows a session down to a rate, the way KVS throttles a stream
// above its quota: nothing is dropped, reading just waits. One second of
// the rate may be used in a burst.
type pacer struct {
	rate   float64 // units per second; 0 means no limit
	tokens float64
	last   time.Time
}

func newPacer(rate float64) *pacer {
	return &pacer{rate: rate, tokens: rate, last: time.Now()}
}

// take consumes n units, sleeping first when the budget is spent.
func (p *pacer) take(n float64) {
	if p.rate <= 0 {
		return
	}
	now := time.Now()
	p.tokens = min(p.rate, p.tokens+now.Sub(p.last).Seconds()*p.rate)
	p.last = now
	p.tokens -= n
	if p.tokens < 0 {
		time.Sleep(time.Duration(-p.tokens / p.rate * float64(time.Second)))
	}
}
