package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"time"
)

// Sizes of the baseline measurements.
const (
	tcpWriteSize      = 64 << 10  // per write on the loopback connection
	tcpReadSize       = 256 << 10 // per read on the discarding side
	diskChunkSize     = 1 << 20   // per write of the throughput test
	fsyncWriteSize    = 256 << 10 // per write+fsync of the latency test
	fsyncLatencyCount = 20        // samples of the latency test
)

// baselineReport is what this machine can do without kvsd in the way.
type baselineReport struct {
	TCPMBps          float64 `json:"tcp_loopback_mbytes_per_s"`
	TCPWriteSize     int     `json:"tcp_write_bytes"`
	DiskDir          string  `json:"disk_dir"`
	DiskBytes        int64   `json:"disk_write_bytes"`
	DiskMBps         float64 `json:"disk_write_fsync_mbytes_per_s"`
	Fsync256KP50Ms   float64 `json:"disk_256k_write_fsync_p50_ms"`
	Fsync256KSamples int     `json:"disk_256k_write_fsync_samples"`
	// RatioToTCP is the run's throughput over TCPMBps, with --unthrottled.
	RatioToTCP *float64 `json:"throughput_ratio_to_tcp,omitempty"`
}

// runBaselines measures loopback TCP and fsync'd disk writes.
func runBaselines(ctx context.Context, tcpTime time.Duration, diskBytes int64) (*baselineReport, error) {
	b := &baselineReport{TCPWriteSize: tcpWriteSize, DiskDir: os.TempDir(), DiskBytes: diskBytes, Fsync256KSamples: fsyncLatencyCount}
	var err error
	if b.TCPMBps, err = tcpBaseline(ctx, tcpTime); err != nil {
		return nil, fmt.Errorf("TCP baseline: %w", err)
	}
	if b.DiskMBps, b.Fsync256KP50Ms, err = diskBaseline(ctx, b.DiskDir, diskBytes); err != nil {
		return nil, fmt.Errorf("disk baseline: %w", err)
	}
	return b, nil
}

// tcpBaseline sends to a local listener that discards, on one connection,
// for d, and returns MB/s (10^6 octets per second).
func tcpBaseline(ctx context.Context, d time.Duration) (float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		buf := make([]byte, tcpReadSize)
		for {
			if _, err := c.Read(buf); err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				served <- err
				return
			}
		}
	}()
	var dialer net.Dialer
	c, err := dialer.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		_ = ln.Close()
		<-served
		return 0, err
	}
	buf := make([]byte, tcpWriteSize)
	fillRandom(buf)
	var sent int64
	start := time.Now()
	deadline := start.Add(d)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		n, err := c.Write(buf)
		sent += int64(n)
		if err != nil {
			_ = c.Close()
			<-served
			return 0, err
		}
	}
	elapsed := time.Since(start)
	_ = c.Close()
	if err := <-served; err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return float64(sent) / elapsed.Seconds() / 1e6, nil
}

// diskBaseline writes size octets in 1 MiB writes to a new file in dir with
// one fsync at the end (MB/s), then measures the median of
// fsyncLatencyCount 256 KiB write+fsync rounds (ms). The file is removed.
func diskBaseline(ctx context.Context, dir string, size int64) (mbps, fsyncP50 float64, err error) {
	f, err := os.CreateTemp(dir, "kvsctl-baseline-*")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, diskChunkSize)
	fillRandom(buf)
	start := time.Now()
	for written := int64(0); written < size; {
		n := int(min(int64(len(buf)), size-written))
		if _, err := f.Write(buf[:n]); err != nil {
			return 0, 0, err
		}
		written += int64(n)
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
	}
	if err := f.Sync(); err != nil {
		return 0, 0, err
	}
	mbps = float64(size) / time.Since(start).Seconds() / 1e6

	lat := make([]time.Duration, 0, fsyncLatencyCount)
	for range fsyncLatencyCount {
		t := time.Now()
		if _, err := f.Write(buf[:fsyncWriteSize]); err != nil {
			return 0, 0, err
		}
		if err := f.Sync(); err != nil {
			return 0, 0, err
		}
		lat = append(lat, time.Since(t))
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
	}
	return mbps, summarize(lat).P50, nil
}

// fillRandom fills b with pseudo-random octets, so that no layer can
// compress them away.
func fillRandom(b []byte) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i+8 <= len(b); i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
}
