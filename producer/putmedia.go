package producer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// emptyPayloadHash is the SHA-256 of the empty string. PutMedia bodies are
// streamed and not signed: the producer SDKs sign the request with this
// hash, and KVS and kvsd verify it so.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// wireAck is one ack line: a flat JSON object per line.
type wireAck struct {
	EventType        string
	FragmentTimecode *int64
	FragmentNumber   string
	ErrorID          int `json:"ErrorId"`
	ErrorCode        string
}

// putMediaConn is one PutMedia request: the body is written through a pipe
// while one goroutine sends the request and reads the ack lines.
type putMediaConn struct {
	pw      *io.PipeWriter
	cancel  context.CancelFunc
	started chan struct{} // closed when the status is known
	done    chan struct{} // closed when the response ended
	// startErr is valid once started is closed, endErr once done is.
	startErr error
	endErr   error
}

// errResponseEnded is the write error once the server ended the response.
var errResponseEnded = errors.New("producer: the service ended the PutMedia response")

// APIError is a PutMedia request the service answered with an HTTP error.
type APIError struct {
	StatusCode int
	// Type is the x-amzn-ErrorType name, e.g. "ResourceNotFoundException".
	Type    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("putmedia: HTTP %d %s: %s", e.StatusCode, e.Type, e.Message)
}

// fatal reports errors that no retry fixes: the stream is gone or the
// request is not allowed.
func (e *APIError) fatal() bool {
	switch e.Type {
	case "ResourceNotFoundException", "NotAuthorizedException", "InvalidArgumentException":
		return true
	}
	return false
}

// dialPutMedia starts POST <endpoint>/putMedia for the stream. The request
// goes out when the first body octets are written; onAck is called on the
// connection's goroutine for every ack line.
func (u *uploader) dialPutMedia(ctx context.Context, endpoint string, onAck func(wireAck)) (*putMediaConn, error) {
	ctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	ctx = context.WithValue(ctx, readErrHookKey{}, func(err error) {
		_ = pw.CloseWithError(fmt.Errorf("putmedia: connection: %w", err))
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+"/putMedia", pr)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("putmedia: %w", err)
	}
	req.ContentLength = -1 // chunked
	def := &u.s.def
	h := req.Header
	h.Set("x-amzn-stream-name", def.Name)
	if def.RelativeFragmentTimes {
		h.Set("x-amzn-fragment-timecode-type", "RELATIVE")
	} else {
		h.Set("x-amzn-fragment-timecode-type", "ABSOLUTE")
	}
	// Zero-padded milliseconds read the same as a decimal fraction and as
	// the producer C SDK's integer milliseconds.
	ms := def.Origin.UnixMilli()
	h.Set("x-amzn-producer-start-timestamp", fmt.Sprintf("%d.%03d", ms/1000, ms%1000))
	h.Set("x-amzn-fragment-acknowledgment-required", "1")
	creds, err := u.p.creds.Retrieve(ctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("putmedia: credentials: %w", err)
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, emptyPayloadHash, "kinesisvideo", u.p.region, time.Now()); err != nil {
		cancel()
		return nil, fmt.Errorf("putmedia: sign: %w", err)
	}
	c := &putMediaConn{pw: pw, cancel: cancel, started: make(chan struct{}), done: make(chan struct{})}
	go c.run(u.p.httpClient, req, pr, onAck)
	return c, nil
}

func (c *putMediaConn) run(client *http.Client, req *http.Request, pr *io.PipeReader, onAck func(wireAck)) {
	defer close(c.done)
	resp, err := client.Do(req)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = readAPIError(resp)
		resp.Body.Close()
	}
	if err != nil {
		c.startErr, c.endErr = err, err
		_ = pr.CloseWithError(err)
		close(c.started)
		return
	}
	close(c.started)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for {
		line, err := br.ReadBytes('\n')
		if line = bytes.TrimSpace(line); len(line) > 0 {
			var a wireAck
			// A malformed line is skipped, as the SDK treats it as a
			// warning; the fragment's next ack corrects it.
			if json.Unmarshal(line, &a) == nil {
				onAck(a)
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && req.Context().Err() == nil {
				c.endErr = fmt.Errorf("putmedia: read acks: %w", err)
			}
			// Unblock a writer whose body the server no longer reads.
			_ = pr.CloseWithError(errors.Join(errResponseEnded, c.endErr))
			return
		}
	}
}

func readAPIError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	e := &APIError{StatusCode: resp.StatusCode, Type: resp.Header.Get("x-amzn-ErrorType")}
	if i := strings.IndexByte(e.Type, ':'); i >= 0 {
		e.Type = e.Type[:i]
	}
	var body struct{ Message string }
	if json.Unmarshal(b, &body) == nil && body.Message != "" {
		e.Message = body.Message
	} else {
		e.Message = strings.TrimSpace(string(b))
	}
	return e
}

// write sends body octets; it blocks until the transport took them.
func (c *putMediaConn) write(p []byte) error {
	if _, err := c.pw.Write(p); err != nil {
		select {
		case <-c.done:
			if c.endErr != nil {
				return c.endErr
			}
		default:
		}
		return fmt.Errorf("putmedia: write body: %w", err)
	}
	return nil
}

// closeBody ends the body with the terminating zero-length chunk.
func (c *putMediaConn) closeBody() { _ = c.pw.Close() }

// abort cancels the request and waits for its goroutine.
func (c *putMediaConn) abort() {
	c.cancel()
	_ = c.pw.CloseWithError(context.Canceled)
	<-c.done
}
