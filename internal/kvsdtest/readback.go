package kvsdtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"

	"github.com/openkvs/openkvs/parser"
)

// StoredFrame is one frame read back from a stream.
type StoredFrame struct {
	Fragment string
	Track    uint64
	// Timestamp is the frame's absolute time (cluster plus block timecode).
	Timestamp time.Duration
	Key       bool
	Data      []byte
}

// Stored is everything a stream holds, as its clients see it.
type Stored struct {
	// Fragments are the ListFragments answers, in producer-timestamp
	// order.
	Fragments []amtypes.Fragment
	// Frames are the frames of those fragments, read with
	// GetMediaForFragmentList, in the same order.
	Frames []StoredFrame
	// Chunks are the chunks the frames came in.
	Chunks []*parser.Chunk
}

// ReadBack lists every fragment of the stream (ListFragments, all pages)
// and reads them with GetMediaForFragmentList through the public parser.
func (s *Server) ReadBack(t testing.TB, stream string) Stored {
	t.Helper()
	ctx := context.Background()
	am := s.ArchivedMedia()
	var st Stored
	in := &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String(stream), MaxResults: aws.Int64(1000)}
	for {
		out, err := am.ListFragments(ctx, in)
		if err != nil {
			t.Fatalf("ListFragments %s: %v", stream, err)
		}
		st.Fragments = append(st.Fragments, out.Fragments...)
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	slices.SortFunc(st.Fragments, func(a, b amtypes.Fragment) int {
		return aws.ToTime(a.ProducerTimestamp).Compare(aws.ToTime(b.ProducerTimestamp))
	})
	// GetMediaForFragmentList takes at most 1000 fragments a call.
	for batch := range slices.Chunk(st.Fragments, 1000) {
		numbers := make([]string, len(batch))
		for i, f := range batch {
			numbers[i] = aws.ToString(f.FragmentNumber)
		}
		for attempt := 1; ; attempt++ {
			frames, chunks, err := readFragments(ctx, am, stream, numbers)
			// Go's transport can close a connection under a body being
			// read (net.ErrClosed, the race closedConnRetryer retries
			// for whole requests): read the batch again from the start.
			if errors.Is(err, net.ErrClosed) && attempt < 3 {
				t.Logf("reading %s again after the client closed the connection: %v", stream, err)
				continue
			}
			if err != nil {
				t.Fatalf("read GetMediaForFragmentList of %s: %v", stream, err)
			}
			st.Frames = append(st.Frames, frames...)
			st.Chunks = append(st.Chunks, chunks...)
			break
		}
	}
	return st
}

// readFragments reads the fragments with one GetMediaForFragmentList call.
func readFragments(ctx context.Context, am *kinesisvideoarchivedmedia.Client, stream string, numbers []string) ([]StoredFrame, []*parser.Chunk, error) {
	out, err := am.GetMediaForFragmentList(ctx, &kinesisvideoarchivedmedia.GetMediaForFragmentListInput{
		StreamName: aws.String(stream), Fragments: numbers})
	if err != nil {
		return nil, nil, fmt.Errorf("GetMediaForFragmentList: %w", err)
	}
	defer out.Payload.Close()
	var frames []StoredFrame
	var chunks []*parser.Chunk
	err = parser.NewReader(out.Payload, parser.Options{AcceptMissingToken: true}).Walk(parser.Handler{
		Frame: func(c *parser.Chunk, f *parser.Frame) error {
			frames = append(frames, StoredFrame{Fragment: c.FragmentNumber, Track: f.Track, Timestamp: f.Timestamp,
				Key: f.Keyframe, Data: bytes.Clone(f.Data)})
			return nil
		},
		ChunkEnd: func(c *parser.Chunk) error {
			cc := *c
			chunks = append(chunks, &cc)
			return nil
		},
	})
	return frames, chunks, err
}
