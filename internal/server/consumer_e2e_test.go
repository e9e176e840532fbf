package server_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/config"
	"github.com/openkvs/openkvs/internal/kvsdtest"
	"github.com/openkvs/openkvs/parser"
)

type seenFrame struct {
	fragment string
	ts       time.Duration
}

// consume runs a parser.Consumer until it has want frames or ctx ends.
func consume(t *testing.T, ctx context.Context, endpoint string, want int) []seenFrame {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c, err := parser.NewConsumer(parser.ConsumerConfig{
		Endpoint:      endpoint,
		StreamName:    "resume",
		StartSelector: parser.StartSelector{Type: "EARLIEST"},
		Region:        kvsdtest.Region,
		Credentials:   credentials.NewStaticCredentialsProvider(kvsdtest.AccessKeyID, kvsdtest.SecretAccessKey, ""),
		MaxRetries:    50,
		MinBackoff:    20 * time.Millisecond,
		MaxBackoff:    200 * time.Millisecond,
	})
	require.NoError(t, err)
	defer c.Close()
	var seen []seenFrame
	err = c.Run(ctx, parser.Handler{Frame: func(ch *parser.Chunk, f *parser.Frame) error {
		seen = append(seen, seenFrame{ch.FragmentNumber, f.Timestamp})
		if len(seen) == want {
			cancel()
		}
		return nil
	}})
	require.True(t, err == nil || ctx.Err() != nil, "consumer: %v", err)
	return seen
}

func requireExactlyOnceInOrder(t *testing.T, seen []seenFrame, want int) {
	t.Helper()
	require.Len(t, seen, want)
	for i := 1; i < len(seen); i++ {
		a, b := seen[i-1], seen[i]
		require.True(t, b.fragment > a.fragment || b.fragment == a.fragment && b.ts > a.ts,
			"frame %d (%s %s) does not follow (%s %s)", i, b.fragment, b.ts, a.fragment, a.ts)
	}
}

// TestParserConsumerResumesThroughCutConnections reads a stream with the
// public parser's consumer through a proxy that drops the connection in the
// middle of chunks: every frame is delivered once, in order.
func TestParserConsumerResumesThroughCutConnections(t *testing.T) {
	srv := kvsdtest.Start(t)
	createStream(t, srv, "resume", 1)
	b := kvsdtest.NewBody(t)
	for i := range 20 { // 60 frames of 20 KB: the cuts land inside chunks
		b.Cluster(uint64(1_000_000+i*1000), kvsdtest.Video(3, 20_000), nil, false)
	}
	conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("resume"), b.Bytes())
	conn.Close()
	requireAllPersisted(t, conn.Until(ackWait, never), 20)
	// Each of the first 6 answers is cut after 2 to 62 KB.
	proxy := kvsdtest.NewCutProxy(t, srv.URL[len("http://"):], kvsdtest.CutOptions{Cuts: 6, MinOctets: 2000, MaxOctets: 62_000, Seed: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	seen := consume(t, ctx, proxy.URL(), 60)
	requireExactlyOnceInOrder(t, seen, 60)
	require.EqualValues(t, 6, proxy.Cut(), "every planned cut happened")
}

// TestParserConsumerSurvivesKVSDRestart restarts kvsd in the middle of a
// live read; the consumer reconnects and misses nothing.
func TestParserConsumerSurvivesKVSDRestart(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	opts := func(c *config.Config) { c.DataDir, c.Listen = dir, addr }
	srv := kvsdtest.Start(t, opts)
	createStream(t, srv, "resume", 1)
	ingestClusters(t, srv, "resume", 5) // 15 frames

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan []seenFrame, 1)
	go func() { done <- consume(t, ctx, srv.URL, 30) }()
	time.Sleep(500 * time.Millisecond)
	srv.Stop(t)
	srv = kvsdtest.Start(t, opts)
	// Five more fragments after the restart, with later timecodes.
	b := kvsdtest.NewBody(t)
	for i := range 5 {
		b.Cluster(uint64(2_000_000+i*1000), kvsdtest.Video(3, 700), nil, false)
	}
	conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("resume"), b.Bytes())
	conn.Close()
	requireAllPersisted(t, conn.Until(ackWait, never), 5)
	seen := <-done
	requireExactlyOnceInOrder(t, seen, 30)
}
