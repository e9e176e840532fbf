package server_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/internal/server"
	"github.com/openkvs/openkvs/internal/store"
	"github.com/openkvs/openkvs/internal/store/local"
)

// signedRequest returns the wire bytes of one signed POST. Signing once and
// replaying the bytes keeps the load generator's CPU, which shares this
// machine with kvsd, out of the measurement; the server still verifies
// every request in full.
func signedRequest(b *testing.B, baseURL, path, body string) []byte {
	req, err := http.NewRequest(http.MethodPost, baseURL+path, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: kvsdtest.AccessKeyID, SecretAccessKey: kvsdtest.SecretAccessKey},
		req, hex.EncodeToString(sum[:]), "kinesisvideo", kvsdtest.Region, time.Now()); err != nil {
		b.Fatal(err)
	}
	raw, err := httputil.DumpRequestOut(req, true)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// loadResult is what one closed-loop run measured.
type loadResult struct {
	requests  int
	elapsed   time.Duration
	latencies []time.Duration
}

func (r loadResult) report(b *testing.B, prefix string) {
	slices.Sort(r.latencies)
	q := func(p float64) float64 {
		return float64(r.latencies[int(p*float64(len(r.latencies)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(r.requests)/r.elapsed.Seconds(), prefix+"req/s")
	b.ReportMetric(q(0.50), prefix+"p50-ms")
	b.ReportMetric(q(0.99), prefix+"p99-ms")
}

// runLoad sends raw over conns keep-alive connections, each one request at
// a time, total requests in all, and checks that every status is 200. With
// rate > 0 the load is open-loop: connection i sends its k-th request at a
// fixed schedule, and latency counts from the scheduled time, so a slow
// answer that delays later requests is charged to them too (no coordinated
// omission). With rate 0 each connection sends as fast as it gets answers.
func runLoad(b *testing.B, addr string, raw []byte, conns, total int, rate float64) loadResult {
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		res = loadResult{latencies: make([]time.Duration, 0, total)}
	)
	perConn := total / conns
	interval := time.Duration(0)
	if rate > 0 {
		interval = time.Duration(float64(conns) / rate * float64(time.Second))
	}
	start := time.Now()
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Error(err)
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			local := make([]time.Duration, 0, perConn)
			// Spread the connections' schedules across one interval.
			offset := interval * time.Duration(i) / time.Duration(conns)
			for k := range perConn {
				t0 := time.Now()
				if interval > 0 {
					t0 = start.Add(offset + interval*time.Duration(k))
					time.Sleep(time.Until(t0))
				}
				if _, err := c.Write(raw); err != nil {
					b.Error(err)
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			res.latencies = append(res.latencies, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.requests = len(res.latencies)
	return res
}

func hostPort(url string) string {
	return strings.TrimPrefix(url, "http://")
}

// BenchmarkDescribeStreamSigned measures signed DescribeStream over loopback
// with 16 keep-alive connections: the latency at an offered 10,000 req/s
// (open loop) and the most the server can do (closed loop). A baseline of the
// same client against a bare net/http server that answers {} at once runs
// beside it. One b.N iteration is 30,000 requests of each kind.
func BenchmarkDescribeStreamSigned(b *testing.B) {
	const conns, total, rate = 16, 30000, 10000
	srv := kvsdtest.Start(b)
	if r := srv.Post(b, "/createStream", `{"StreamName":"bench"}`); r.Status != 200 {
		b.Fatal(r.Body)
	}
	raw := signedRequest(b, srv.URL, "/describeStream", `{"StreamName":"bench"}`)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	base := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	})}
	go func() { _ = base.Serve(ln) }()
	defer base.Close()

	runLoad(b, hostPort(srv.URL), raw, conns, 2000, 0) // warm up
	b.ResetTimer()
	for range b.N {
		runLoad(b, ln.Addr().String(), raw, conns, total, rate).report(b, "baseline-10k-")
		runLoad(b, hostPort(srv.URL), raw, conns, total, rate).report(b, "kvsd-10k-")
		runLoad(b, ln.Addr().String(), raw, conns, total, 0).report(b, "baseline-max-")
		runLoad(b, hostPort(srv.URL), raw, conns, total, 0).report(b, "kvsd-max-")
	}
}

// seedStreams writes n streams into a fresh data dir without fsync.
func seedStreams(b *testing.B, n int) string {
	dir := b.TempDir()
	cat, err := local.OpenCatalog(context.Background(), dir, local.CatalogOptions{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	created := time.Now().Add(-time.Hour)
	for i := range n {
		name := fmt.Sprintf("stream-%05d", i)
		if err := cat.CreateStream(context.Background(), store.Stream{
			Name: name, ARN: fmt.Sprintf("arn:aws:kinesisvideo:us-east-1:000000000000:stream/%s/%d", name, created.UnixMilli()),
			MediaType: "video/h264", RetentionHours: 24, Status: store.StatusActive, Version: "v" + strconv.Itoa(i),
			CreatedAt: created, StorageTier: "HOT", Tags: map[string]string{"i": strconv.Itoa(i)},
		}); err != nil {
			b.Fatal(err)
		}
	}
	if err := cat.Close(); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkListStreams10k measures one signed ListStreams request that
// returns all 10,000 streams in one page (about 3 MB of JSON).
func BenchmarkListStreams10k(b *testing.B) {
	dir := seedStreams(b, 10000)
	srv := kvsdtest.Start(b, func(c *config.Config) { c.DataDir = dir })
	raw := signedRequest(b, srv.URL, "/listStreams", `{"MaxResults":10000}`)
	conn, err := net.Dial("tcp", hostPort(srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		if _, err := conn.Write(raw); err != nil {
			b.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n < 1_000_000 {
			b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
		}
		lat = append(lat, time.Since(t0))
		b.SetBytes(n)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/float64(time.Millisecond), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/float64(time.Millisecond), "max-ms")
}

// BenchmarkStartup measures kvsd from New to serving the first request,
// with an empty catalog and with 10,000 streams.
func BenchmarkStartup(b *testing.B) {
	for _, n := range []int{0, 10000} {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) {
			dir := seedStreams(b, n)
			cfg := config.Defaults()
			cfg.Listen, cfg.DataDir = "127.0.0.1:0", dir
			cfg.RootAccessKeyID, cfg.RootSecretAccessKey = kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey
			log := slog.New(slog.DiscardHandler)
			b.ResetTimer()
			for range b.N {
				ctx, cancel := context.WithCancel(context.Background())
				srv, err := server.New(ctx, cfg, log, io.Discard)
				if err != nil {
					b.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- srv.Serve(ctx) }()
				resp, err := http.Get(srv.URL() + "/")
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				b.StopTimer()
				cancel()
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				if err := srv.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
