package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/internal/prefault"
)

// openIdlePutMedia opens a PutMedia request on a bare TCP connection, sends
// body as one chunk, reads the response head and leaves the connection
// open and idle. A bare connection keeps the client's own memory out of
// the measurement.
func openIdlePutMedia(b *testing.B, srv *kvsdtest.Server, stream string, body []byte) net.Conn {
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/putMedia", nil)
	if err != nil {
		b.Fatal(err)
	}
	for k, v := range kvsdtest.PutMediaHeaders(stream) {
		req.Header.Set(k, v)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: kvsdtest.AccessKeyID, SecretAccessKey: kvsdtest.SecretAccessKey},
		req, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "kinesisvideo", kvsdtest.Region, time.Now()); err != nil {
		b.Fatal(err)
	}
	var head strings.Builder
	fmt.Fprintf(&head, "POST /putMedia HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n", req.Host)
	for k, vs := range req.Header {
		fmt.Fprintf(&head, "%s: %s\r\n", k, vs[0])
	}
	fmt.Fprintf(&head, "\r\n%x\r\n", len(body))
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Write(append(append([]byte(head.String()), body...), "\r\n"...)); err != nil {
		b.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("PutMedia: %v %v", err, resp)
	}
	return c
}

// BenchmarkIdlePutMediaMemory measures kvsd's memory per connected PutMedia
// stream that has sent its header and a fragment and then idles: the heap
// and goroutine stacks in use, after a GC, and the buffers it holds from
// the prefault pool outside the heap, divided by the connection count.
// The server runs in the benchmark's process; the bare client connections
// add almost nothing.
func BenchmarkIdlePutMediaMemory(b *testing.B) {
	const conns = 200
	srv := kvsdtest.Start(b)
	body := kvsdtest.NewBody(b).Cluster(1000, kvsdtest.Video(3, 20_000), nil, false).Bytes()
	for i := range conns {
		if r := srv.Post(b, "/createStream", fmt.Sprintf(`{"StreamName":"idle-%d","DataRetentionInHours":1}`, i)); r.Status != 200 {
			b.Fatal(r.Body)
		}
	}
	measure := func() (heap, stack, pooled uint64) {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse, m.StackInuse, uint64(prefault.ReadStats().InUse)
	}
	for range b.N {
		heap0, stack0, pool0 := measure()
		var open []net.Conn
		for i := range conns {
			open = append(open, openIdlePutMedia(b, srv, fmt.Sprintf("idle-%d", i), body))
		}
		time.Sleep(500 * time.Millisecond) // fragments persisted, sessions idle
		heap1, stack1, pool1 := measure()
		b.ReportMetric(float64(heap1-heap0)/conns/1024, "heap-KiB/conn")
		b.ReportMetric(float64(stack1-stack0)/conns/1024, "stack-KiB/conn")
		b.ReportMetric(float64(pool1-pool0)/conns/1024, "pool-KiB/conn")
		for _, c := range open {
			c.Close()
		}
		time.Sleep(200 * time.Millisecond)
	}
}
