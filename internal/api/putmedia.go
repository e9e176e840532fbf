package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openkvs/openkvs/internal/control"
	"github.com/openkvs/openkvs/internal/errkind"
	"github.com/openkvs/openkvs/internal/ingest"
	"github.com/openkvs/openkvs/internal/media"
)

// firstByteTimeout bounds the wait for a PutMedia body to start; afterwards
// the session's own idle handling takes over.
const firstByteTimeout = 30 * time.Second

// ackWriteTimeout bounds one ack write to a producer that does not read.
const ackWriteTimeout = 10 * time.Second

// putMedia is POST /putMedia: validate the headers, wait for the first body
// byte (which makes Go send the 100 Continue that libcurl waits for), send
// the 200, then stream acks while ingest reads the body.
func (h *Handler) putMedia(w http.ResponseWriter, r *http.Request, _ *request) error {
	if h.ingest == nil {
		return errkind.New(errNotImplemented, "PutMedia is not enabled on this kvsd.")
	}
	p, ref, err := putMediaParams(r.Header)
	if err != nil {
		return err
	}
	st, err := h.ctl.DataStream(r.Context(), ref)
	if err != nil {
		return err
	}
	p.StreamARN = st.ARN
	if err := h.ingest.Admit(st.ARN); err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	// Go's HTTP/1 server would otherwise drain the request body before the
	// first response write; acks and media must flow at the same time.
	if err := rc.EnableFullDuplex(); err != nil {
		return err
	}
	_ = rc.SetReadDeadline(time.Now().Add(firstByteTimeout))
	// The first octet is read here and put back in front of the body; the
	// Matroska reader that parses the rest buffers on its own.
	var first [1]byte
	n, err := io.ReadFull(r.Body, first[:])
	if err != nil && !errors.Is(err, io.EOF) {
		return errkind.New(control.ErrInvalidArgument, "The PutMedia body did not start within %s.", firstByteTimeout)
	}
	_ = rc.SetReadDeadline(time.Time{})
	body := io.MultiReader(bytes.NewReader(first[:n]), r.Body)

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil // the producer is gone
	}
	abort := func() { _ = rc.SetReadDeadline(time.Unix(1, 0)) }
	aw := &ackWriter{w: w, rc: rc}
	if err := h.ingest.Serve(r.Context(), p, body, abort, aw); err != nil && !errors.Is(err, context.Canceled) {
		h.log.Warn("PutMedia session ended with an error", "stream", st.Name, "err", err)
	}
	return nil
}

// putMediaParams reads the PutMedia request headers.
func putMediaParams(hdr http.Header) (ingest.Params, control.StreamRef, error) {
	var ref control.StreamRef
	if v, ok := header(hdr, "x-amzn-stream-name"); ok {
		ref.Name = &v
	}
	if v, ok := header(hdr, "x-amzn-stream-arn"); ok {
		ref.ARN = &v
	}
	if ref.Name != nil && ref.ARN != nil {
		return ingest.Params{}, ref, errkind.New(control.ErrInvalidArgument, "Specify either x-amzn-stream-name or x-amzn-stream-arn, not both.")
	}
	p := ingest.Params{AcksRequired: true}
	switch tc, _ := header(hdr, "x-amzn-fragment-timecode-type"); tc {
	case "ABSOLUTE":
		p.Absolute = true
	case "RELATIVE":
	default:
		return p, ref, errkind.New(control.ErrInvalidArgument, "x-amzn-fragment-timecode-type must be ABSOLUTE or RELATIVE, not %q.", tc)
	}
	p.ProducerStart = time.Now()
	if v, ok := header(hdr, "x-amzn-producer-start-timestamp"); ok {
		t, err := parseProducerStart(v)
		if err != nil {
			return p, ref, errkind.New(control.ErrInvalidArgument, "x-amzn-producer-start-timestamp %q is not <seconds>.<milliseconds>.", v)
		}
		p.ProducerStart = t
	}
	switch v, _ := header(hdr, "x-amzn-fragment-acknowledgment-required"); v {
	case "", "1", "true":
	case "0", "false":
		p.AcksRequired = false
	default:
		return p, ref, errkind.New(control.ErrInvalidArgument, "x-amzn-fragment-acknowledgment-required must be 1 or 0, not %q.", v)
	}
	return p, ref, nil
}

func header(h http.Header, name string) (string, bool) {
	vs := h.Values(name)
	if len(vs) == 0 {
		return "", false
	}
	return strings.TrimSpace(vs[0]), true
}

// parseProducerStart parses "<seconds>.<milliseconds>". The producer C SDK
// prints the milliseconds without zero padding ("1795620750.94" is 94 ms),
// so the part after the dot is an integer count of milliseconds.
func parseProducerStart(v string) (time.Time, error) {
	secStr, msStr, hasMS := strings.Cut(v, ".")
	sec, err := strconv.ParseInt(secStr, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, errors.New("bad seconds")
	}
	var ms int64
	if hasMS {
		if ms, err = strconv.ParseInt(msStr, 10, 64); err != nil || ms < 0 || ms > 999 {
			return time.Time{}, errors.New("bad milliseconds")
		}
	}
	return time.UnixMilli(sec*1000 + ms), nil
}

// ackWriter encodes each ack as one flat JSON object on its own line, the
// form the producer SDKs' streaming ack parsers read, and flushes it at once.
type ackWriter struct {
	w   io.Writer
	rc  *http.ResponseController
	buf []byte
}

// WriteAck implements ingest.AckWriter.
func (a *ackWriter) WriteAck(ack ingest.Ack) error {
	b := append(a.buf[:0], `{"EventType":"`...)
	b = append(b, ack.Event...)
	b = append(b, '"')
	if ack.HasTimecode {
		b = append(b, `,"FragmentTimecode":`...)
		b = strconv.AppendInt(b, ack.Timecode, 10)
	}
	if ack.Number != 0 {
		b = append(b, `,"FragmentNumber":"`...)
		b = append(b, media.FormatFragmentNumber(ack.Number)...)
		b = append(b, '"')
	}
	if ack.Event == ingest.EventError {
		b = append(b, `,"ErrorId":`...)
		b = strconv.AppendInt(b, int64(ack.Error.ID), 10)
		b = append(b, `,"ErrorCode":"`...)
		b = append(b, ack.Error.Name...)
		b = append(b, '"')
	}
	b = append(b, "}\n"...)
	a.buf = b
	// A producer that stops reading must not hold the session forever.
	_ = a.rc.SetWriteDeadline(time.Now().Add(ackWriteTimeout))
	if _, err := a.w.Write(b); err != nil {
		return err
	}
	return a.rc.Flush()
}
