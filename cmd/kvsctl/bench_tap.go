package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/openkvs/openkvs/mkv"
)

// The producer library reports acks but not when a fragment's octets left
// the process, and the bench's latencies are measured from its first and
// last octet on the wire. tapTransport therefore wraps the PutMedia request
// bodies the library sends and finds the fragment boundaries in them: a
// Cluster with the producer's unknown size (its Timestamp is the fragment
// timecode the acks carry) and the END_OF_FRAGMENT tag the library writes
// after each Cluster.
var (
	// clusterMark is the Cluster ID, the 1-octet unknown size and the
	// Timestamp ID that starts every Cluster the library writes.
	clusterMark = []byte{0x1f, 0x43, 0xb6, 0x75, 0xff, 0xe7}
	// endMark is the TagName of the END_OF_FRAGMENT tag.
	endMark = []byte(mkv.TagEndOfFragment)
)

// tapKeep is how many octets of a read are kept for the next one, so that
// a mark split over two reads is still found: more than the longest mark
// plus the Timestamp's size and value.
const tapKeep = 64

// tapTransport passes requests to base and wraps the body of every PutMedia
// request for a known stream.
type tapTransport struct {
	base    http.RoundTripper
	streams map[string]*streamRun // read-only once requests flow
}

func (t *tapTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	s := t.streams[req.Header.Get("x-amzn-stream-name")]
	if s == nil || req.Body == nil || !strings.HasSuffix(req.URL.Path, "/putMedia") {
		return t.base.RoundTrip(req)
	}
	// A RoundTripper must not change the caller's request; a shallow
	// clone with another Body is enough.
	r2 := req.Clone(req.Context())
	r2.Body = &tapBody{rc: req.Body, s: s}
	return t.base.RoundTrip(r2)
}

func (t *tapTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// tapBody reads one PutMedia body and reports the fragment boundaries it
// passes, with the time of the read that passed them: the transport writes
// (and flushes) each read as one chunk, so that is when the octets went out.
type tapBody struct {
	rc  io.ReadCloser
	s   *streamRun
	win []byte // the kept end of the previous reads (then joined with the start of this one)
	off int64  // body offset of win[0]
	// done is the body offset up to which marks were handled.
	done int64
	// cur is the timecode of the Cluster being sent, while hasCur.
	cur    int64
	hasCur bool
}

func (b *tapBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.scan(p[:n], time.Now())
	}
	return n, err
}

func (b *tapBody) Close() error { return b.rc.Close() }

// scan finds the marks in p, in order, and reports them to the stream.
// Only the octets around the read boundaries are copied: the kept end of
// the previous read joined with the start of this one, for marks split
// between them, and this read's end for the next. Copying every octet
// into one window doubled the load generator's copying, and 500 windows of
// fresh memory were part of its cost in the first second of a run.
func (b *tapBody) scan(p []byte, now time.Time) {
	b.s.bodyOctets(len(p), now)
	pOff := b.off + int64(len(b.win)) // body offset of p[0]
	k := min(len(p), tapKeep)
	b.win = append(b.win, p[:k]...)
	b.find(b.win, b.off, now)
	if k < len(p) {
		// done keeps marks found above from being reported again.
		b.find(p, pOff, now)
	}
	// Keep the end for a mark that straddles the next read. An unfinished
	// Cluster mark (where done stopped) is always within it.
	if k == tapKeep {
		b.win = append(b.win[:0], p[len(p)-tapKeep:]...)
		b.off = pOff + int64(len(p)-tapKeep)
		return
	}
	keepFrom := max(len(b.win)-tapKeep, 0)
	b.off += int64(keepFrom)
	b.win = append(b.win[:0], b.win[keepFrom:]...)
}

// find reports the marks in win, whose first octet is at body offset off,
// from done on, and moves done past them.
func (b *tapBody) find(win []byte, off int64, now time.Time) {
	pos := int(max(b.done-off, 0))
	for pos < len(win) {
		rest := win[pos:]
		ci, ei := bytes.Index(rest, clusterMark), bytes.Index(rest, endMark)
		if ci < 0 && ei < 0 {
			break
		}
		if ci >= 0 && (ei < 0 || ci < ei) {
			tc, n, ok := readClusterTimecode(rest[ci+len(clusterMark):])
			if !ok {
				// The Timestamp continues after win.
				pos += ci
				break
			}
			// A timecode of no fragment of the stream is frame data that
			// looks like a Cluster start.
			if tc >= 0 && b.s.fragmentStarted(tc, now) {
				b.cur, b.hasCur = tc, true
			}
			pos += ci + len(clusterMark) + n
			continue
		}
		if b.hasCur {
			b.s.fragmentSent(b.cur, now)
			b.hasCur = false
		}
		pos += ei + len(endMark)
	}
	b.done = max(b.done, off+int64(pos))
}

// readClusterTimecode reads the size and value of a Timestamp element (an
// EBML variable-size integer, then a big-endian unsigned integer) and
// returns the value and the octets read. ok is false when b ends before
// the value does; tc is -1 when the octets cannot be a Timestamp (frame
// data that happens to look like a Cluster start).
func readClusterTimecode(b []byte) (tc int64, n int, ok bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	if b[0] == 0 {
		return -1, 1, true
	}
	width := 1
	for mask := byte(0x80); b[0]&mask == 0; mask >>= 1 {
		width++
	}
	if len(b) < width {
		return 0, 0, false
	}
	size := uint64(b[0] & (0xff >> width))
	for _, c := range b[1:width] {
		size = size<<8 | uint64(c)
	}
	if size == 0 || size > 8 {
		return -1, width, true
	}
	if len(b) < width+int(size) {
		return 0, 0, false
	}
	var v uint64
	for _, c := range b[width : width+int(size)] {
		v = v<<8 | uint64(c)
	}
	return int64(v), width + int(size), true
}
