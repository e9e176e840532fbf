package producer

import (
	"time"
)

// fragment is one Cluster and the Tags after it, as sent on the wire. Its
// data only ever grows (append) until it is sealed and never changes after
// that, so a slice of it taken under the stream lock stays valid without
// the lock, and every resend is byte-identical to the first send.
type fragment struct {
	seq      uint64        // position in the stream, from 1
	timecode int64         // cluster timecode (ms) as written: the ack key
	start    time.Duration // stream time of the first frame
	end      time.Duration // latest frame time so far
	data     []byte
	frames   int
	sealed   bool

	putAt    time.Time // first frame put
	sentAt   time.Time // last octet written on a connection
	sends    int       // times written completely
	received bool
	// resendErrors counts ERROR acks with ReactionResend for this fragment,
	// so that one fragment the service rejects every time cannot stall the
	// stream forever (see maxResendErrors).
	resendErrors int
}

// FragmentInfo identifies a fragment in reports.
type FragmentInfo struct {
	// Timecode is the cluster timecode in milliseconds (absolute Unix
	// milliseconds unless the stream uses relative fragment times).
	Timecode int64
	// Start and End are the stream times (since StreamDefinition.Origin) of
	// its first and last frames.
	Start, End time.Duration
	Frames     int
	Bytes      int
	// Sent reports whether it was written completely on some connection.
	Sent bool
}

func (f *fragment) info() FragmentInfo {
	return FragmentInfo{Timecode: f.timecode, Start: f.start, End: f.end, Frames: f.frames, Bytes: len(f.data), Sent: f.sends > 0}
}

// contentStore holds the fragments of one stream that are not acknowledged
// yet, oldest first; the last one may still be open. It is the content view
// and content store of the producer SDK in one: tail = frags[0], head = the
// newest frame.
//
// Drop policy (spec §2.3): the store is bounded by duration (the SDK's
// buffer_duration: head − tail) and by size. When a new frame would exceed
// either bound, the oldest whole fragments are dropped, sent or not, as the
// SDK's view window moves forward; a fragment is never cut in part, since
// only whole fragments can be resent. The fragment in progress is never
// dropped: when it alone does not fit, the frame is refused with
// ErrStorageFull (STATUS_STORE_OUT_OF_MEMORY), as the SDK drops the frame
// being put.
type contentStore struct {
	frags    []*fragment
	byTC     map[int64]*fragment
	bytes    int64
	maxBytes int64
	maxDur   time.Duration
}

func newContentStore(maxBytes int64, maxDur time.Duration) *contentStore {
	return &contentStore{byTC: map[int64]*fragment{}, maxBytes: maxBytes, maxDur: maxDur}
}

func (c *contentStore) add(f *fragment) {
	c.frags = append(c.frags, f)
	c.byTC[f.timecode] = f
	c.bytes += int64(len(f.data))
}

// grew accounts for n octets appended to the open fragment.
func (c *contentStore) grew(n int) { c.bytes += int64(n) }

// find returns the stored fragment with the cluster timecode.
func (c *contentStore) find(timecode int64) *fragment { return c.byTC[timecode] }

// remove takes f out of the store; it reports false if f was not there.
func (c *contentStore) remove(f *fragment) bool {
	if c.byTC[f.timecode] != f {
		return false
	}
	delete(c.byTC, f.timecode)
	for i, g := range c.frags {
		if g == f {
			c.frags = append(c.frags[:i:i], c.frags[i+1:]...)
			break
		}
	}
	c.bytes -= int64(len(f.data))
	return true
}

// makeRoom drops the oldest sealed fragments until need more octets fit
// and the store spans at most maxDur up to head. It returns the dropped
// fragments and whether need octets fit now.
func (c *contentStore) makeRoom(need int64, head time.Duration) (dropped []*fragment, fits bool) {
	for len(c.frags) > 0 {
		f := c.frags[0]
		if !f.sealed || c.bytes+need <= c.maxBytes && head-f.start <= c.maxDur {
			break
		}
		c.remove(f)
		dropped = append(dropped, f)
	}
	return dropped, c.bytes+need <= c.maxBytes
}

// next returns the oldest stored fragment with seq >= seq, or nil.
func (c *contentStore) next(seq uint64) *fragment {
	for _, f := range c.frags {
		if f.seq >= seq {
			return f
		}
	}
	return nil
}

// oldest returns the first fragment's seq, or after when the store is empty.
func (c *contentStore) oldest(after uint64) uint64 {
	if len(c.frags) == 0 {
		return after
	}
	return c.frags[0].seq
}

// duration is head − tail.
func (c *contentStore) duration(head time.Duration) time.Duration {
	if len(c.frags) == 0 {
		return 0
	}
	return head - c.frags[0].start
}
