package kvsdtest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Ack is one PutMedia acknowledgement as a producer parses it.
type Ack struct {
	EventType        string
	FragmentTimecode *int64
	FragmentNumber   string
	ErrorID          int    `json:"ErrorId"`
	ErrorCode        string `json:"ErrorCode"`
}

// PutMediaConn is an open PutMedia request: the test writes the body while
// acks arrive on Acks, as with the producer SDK.
type PutMediaConn struct {
	t    testing.TB
	body *io.PipeWriter
	// firstDone is closed once the bytes given to PutMedia are written;
	// later writes and Close wait for it so the body stays in order.
	firstDone chan struct{}
	Status    int
	Header    http.Header
	// ErrorBody is the response body of a non-200 answer.
	ErrorBody string
	// Acks yields each ack line; it is closed when the response ends.
	Acks chan Ack
}

// PutMediaHeaders are the producer C SDK's headers for a stream.
func PutMediaHeaders(stream string) map[string]string {
	return map[string]string{
		"x-amzn-stream-name":                      stream,
		"x-amzn-fragment-timecode-type":           "ABSOLUTE",
		"x-amzn-producer-start-timestamp":         "1795620729.825",
		"x-amzn-fragment-acknowledgment-required": "1",
	}
}

// PutMedia opens POST /putMedia with a chunked body, signed like the
// producer SDK (empty payload hash), with Expect: 100-continue as libcurl
// sends it. It returns once the response headers arrived, which kvsd sends
// only after the first body byte, so first (if not nil) is written before.
func (s *Server) PutMedia(t testing.TB, headers map[string]string, first []byte) *PutMediaConn {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/putMedia", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey},
		req, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "kinesisvideo", Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Expect", "100-continue")
	c := &PutMediaConn{t: t, body: pw, Acks: make(chan Ack, 1024), firstDone: make(chan struct{})}
	// A test that leaves the body open still ends the request.
	t.Cleanup(func() { _ = pw.CloseWithError(io.ErrClosedPipe) })
	go func() {
		defer close(c.firstDone)
		if first != nil {
			_, _ = pw.Write(first)
		}
	}()
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	c.Status, c.Header = resp.StatusCode, resp.Header
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		c.ErrorBody = string(b)
		close(c.Acks)
		_ = pw.CloseWithError(io.ErrClosedPipe)
		return c
	}
	go func() {
		defer close(c.Acks)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var a Ack
			if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
				t.Errorf("ack %q: %v", sc.Text(), err)
				return
			}
			c.Acks <- a
		}
	}()
	return c
}

func (c *PutMediaConn) waitFirst() {
	select {
	case <-c.firstDone:
	case <-time.After(10 * time.Second):
		c.t.Error("the first body bytes were not consumed")
	}
}

// Write sends more body bytes.
func (c *PutMediaConn) Write(p []byte) {
	c.t.Helper()
	c.waitFirst()
	if _, err := c.body.Write(p); err != nil {
		c.t.Fatal(err)
	}
}

// TryWrite sends more body bytes and reports a failure instead of failing
// the test, for tests that expect the server to go away.
func (c *PutMediaConn) TryWrite(p []byte) error {
	c.waitFirst()
	_, err := c.body.Write(p)
	return err
}

// Close ends the body (the terminating zero-length chunk).
func (c *PutMediaConn) Close() {
	c.waitFirst()
	_ = c.body.Close()
}

// Abort drops the connection's body with an error.
func (c *PutMediaConn) Abort() { _ = c.body.CloseWithError(io.ErrUnexpectedEOF) }

// Next returns the next ack, failing the test after timeout.
func (c *PutMediaConn) Next(timeout time.Duration) (Ack, bool) {
	c.t.Helper()
	select {
	case a, ok := <-c.Acks:
		return a, ok
	case <-time.After(timeout):
		c.t.Fatalf("no ack within %s", timeout)
		return Ack{}, false
	}
}

// Until collects acks until one matches stop (included) or the response
// ends; IDLE acks are skipped.
func (c *PutMediaConn) Until(timeout time.Duration, stop func(Ack) bool) []Ack {
	c.t.Helper()
	var out []Ack
	for {
		a, ok := c.Next(timeout)
		if !ok {
			return out
		}
		if a.EventType == "IDLE" {
			continue
		}
		out = append(out, a)
		if stop(a) {
			return out
		}
	}
}
