package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// Ack event types of a PutMedia response
// (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_dataplane_PutMedia.html).
const (
	ackBuffering = "BUFFERING"
	ackReceived  = "RECEIVED"
	ackPersisted = "PERSISTED"
	ackError     = "ERROR"
	ackIdle      = "IDLE"
)

// putMediaHeaderTimeout bounds the wait for the PutMedia response status
// after the first body octets were sent.
const putMediaHeaderTimeout = 30 * time.Second

// ack is one PutMedia acknowledgement, as the producer SDKs parse it.
type ack struct {
	EventType        string
	FragmentTimecode *int64
	FragmentNumber   string
	ErrorID          int `json:"ErrorId"`
	ErrorCode        string
}

// putMediaConn is one open PutMedia request: the caller writes the MKV body
// while acks arrive, in order, on the callback given to openPutMedia.
//
// The connection owns one goroutine, which sends the request and reads the
// acks; wait joins it.
type putMediaConn struct {
	op      string
	pw      *io.PipeWriter
	cancel  context.CancelFunc
	started chan struct{} // closed once the response status is known
	done    chan struct{} // closed once the response ended
	// startErr is valid once started is closed, endErr once done is.
	startErr error
	endErr   error
	written  atomic.Int64
}

// openPutMedia starts POST <endpoint>/putMedia for stream with the producer
// SDK's headers, signed with the empty payload hash. The request goes out
// when the first body octets are written (kvsd answers only after the first
// body octet, as KVS does). onAck runs on the connection's goroutine for
// every ack line, with the time it was read.
func (r *requester) openPutMedia(ctx context.Context, tr http.RoundTripper, endpoint, stream string, producerStart time.Time, onAck func(ack, time.Time)) (*putMediaConn, error) {
	op := "PutMedia " + stream
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/putMedia", pr)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	req.ContentLength = -1 // chunked
	ms := producerStart.UnixMilli()
	h := req.Header
	h.Set("x-amzn-stream-name", stream)
	h.Set("x-amzn-fragment-timecode-type", "ABSOLUTE")
	// Zero-padded milliseconds read the same as a decimal fraction and as
	// the producer C SDK's integer milliseconds.
	h.Set("x-amzn-producer-start-timestamp", fmt.Sprintf("%d.%03d", ms/1000, ms%1000))
	h.Set("x-amzn-fragment-acknowledgment-required", "1")
	if err := r.sign(ctx, req, emptyPayloadHash); err != nil {
		cancel()
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	// Unsigned, as the producer SDK sends it.
	h.Set("Content-Type", "application/json")

	c := &putMediaConn{op: op, pw: pw, cancel: cancel, started: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{Transport: tr}
	go func() {
		defer close(c.done)
		timer := time.AfterFunc(putMediaHeaderTimeout, cancel)
		resp, err := client.Do(req)
		stopped := timer.Stop()
		switch {
		case err != nil && !stopped:
			c.startErr = fmt.Errorf("%s: no response within %s", op, putMediaHeaderTimeout)
		case err != nil:
			c.startErr = transportError(op, endpoint, err)
		case resp.StatusCode != http.StatusOK:
			c.startErr = readAPIError(op, resp)
			resp.Body.Close()
		}
		if c.startErr != nil {
			_ = pr.CloseWithError(c.startErr)
			c.endErr = c.startErr
			close(c.started)
			return
		}
		close(c.started)
		defer resp.Body.Close()
		dec := json.NewDecoder(resp.Body)
		for {
			var a ack
			err := dec.Decode(&a)
			if err != nil {
				if !errors.Is(err, io.EOF) && ctx.Err() == nil {
					c.endErr = fmt.Errorf("%s: read acks: %w", op, err)
				}
				// Unblock a writer whose body the server no longer reads.
				_ = pr.CloseWithError(errors.Join(errResponseEnded, c.endErr))
				return
			}
			onAck(a, time.Now())
		}
	}()
	return c, nil
}

// errResponseEnded is the write error once the PutMedia response is over.
var errResponseEnded = errors.New("the server ended the PutMedia response")

// Write sends body octets. It blocks until the HTTP client has taken them.
func (c *putMediaConn) Write(p []byte) (int, error) {
	n, err := c.pw.Write(p)
	c.written.Add(int64(n))
	if err != nil {
		return n, c.writeError(err)
	}
	return n, nil
}

// writeError explains a failed body write with the response's own error
// when there is one.
func (c *putMediaConn) writeError(err error) error {
	select {
	case <-c.done:
		if c.endErr != nil {
			return c.endErr
		}
		return fmt.Errorf("%s: %w", c.op, errResponseEnded)
	case <-time.After(2 * time.Second):
	}
	return fmt.Errorf("%s: write body: %w", c.op, err)
}

// waitStarted waits for the response status; the first body octets must
// have been written (from another goroutine) for it to come.
func (c *putMediaConn) waitStarted(ctx context.Context) error {
	select {
	case <-c.started:
		return c.startErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CloseBody ends the body with the terminating zero-length chunk.
func (c *putMediaConn) CloseBody() { _ = c.pw.Close() }

// wait waits up to timeout for the response to end (every ack read), then
// aborts the request, and returns the response's error.
func (c *putMediaConn) wait(timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
	}
	c.cancel()
	_ = c.pw.CloseWithError(context.Canceled)
	<-c.done
	return c.endErr
}
