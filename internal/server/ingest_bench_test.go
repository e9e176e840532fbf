package server_test

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/mkv"
)

// BenchmarkPutMediaThroughput sends one unthrottled PutMedia stream of 256
// KB frames in 25-frame fragments over loopback and waits for every
// PERSISTED ack; b.SetBytes makes the MB/s figure the stream's throughput.
func BenchmarkPutMediaThroughput(b *testing.B) {
	srv := kvsdtest.Start(b)
	if r := srv.Post(b, "/createStream", `{"StreamName":"fast","DataRetentionInHours":1}`); r.Status != 200 {
		b.Fatal(r.Body)
	}
	header := kvsdtest.NewBody(b).Bytes()
	endTags := kvsdtest.NewBody(b).Tags(mkv.TagEndOfFragment, "").Bytes()[len(header):]
	frame := make([]byte, 256<<10)
	fw := newFrameWriter()
	const frames = 25
	for k := range frames {
		_ = fw.w.WriteSimpleBlock(1, int16(k*40), 0, frame)
	}
	blocks := append(fw.take(), endTags...)
	conn := srv.PutMedia(b, kvsdtest.PutMediaHeaders("fast"), header)
	b.SetBytes(int64(len(blocks)))
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		// Each fragment needs its own later timecode (4004).
		_ = fw.w.StartCluster(uint64(1_000_000+i*1000), true)
		conn.Write(fw.take())
		conn.Write(blocks)
	}
	conn.Close()
	persisted := 0
	for a := range conn.Acks {
		if a.EventType == "PERSISTED" {
			persisted++
		}
		if a.EventType == "ERROR" {
			b.Fatalf("ERROR ack %d", a.ErrorID)
		}
	}
	b.StopTimer()
	if persisted != b.N {
		b.Fatalf("%d of %d fragments persisted", persisted, b.N)
	}
	b.ReportMetric(float64(b.N)*float64(len(blocks))/time.Since(start).Seconds()/1e6, "MB/s-acked")
	b.ReportMetric(baselineTCP(b, blocks, b.N), "baseline-tcp-MB/s")
	b.ReportMetric(baselineDisk(b, blocks, b.N, 1), "baseline-disk-MB/s")
	b.ReportMetric(baselineDisk(b, blocks, b.N, b.N), "baseline-disk-1sync-MB/s")
}

// baselineTCP copies n times data over one loopback TCP connection to a
// reader that discards it, and returns MB/s.
func baselineTCP(b *testing.B, data []byte, n int) float64 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, c)
		c.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for range n {
		if _, err := c.Write(data); err != nil {
			b.Fatal(err)
		}
	}
	c.Close()
	<-done
	return float64(n*len(data)) / time.Since(start).Seconds() / 1e6
}

// baselineDisk writes n times data to a new file in the test's temp dir
// (the filesystem kvsd stores on) with an fsync after every perSync
// writes and at the end, and returns MB/s. With perSync 1 it syncs per
// fragment, as the store does at worst; with perSync n, once, which is the
// most this disk takes in new data, whatever batching the store does.
func baselineDisk(b *testing.B, data []byte, n, perSync int) float64 {
	f, err := os.Create(filepath.Join(b.TempDir(), "baseline"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	for i := range n {
		if _, err := f.Write(data); err != nil {
			b.Fatal(err)
		}
		if (i+1)%perSync == 0 || i == n-1 {
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
		}
	}
	return float64(n*len(data)) / time.Since(start).Seconds() / 1e6
}
