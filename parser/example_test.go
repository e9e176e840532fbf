package parser_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/openkvs/openkvs/parser"
)

// Tail a stream: print every fragment and key frame as GetMedia delivers
// them, resuming transparently after dropped connections.
func ExampleConsumer() {
	c, err := parser.NewConsumer(parser.ConsumerConfig{
		Endpoint:      "https://b-1234abcd.kinesisvideo.us-west-2.amazonaws.com", // from GetDataEndpoint
		StreamName:    "my-camera",
		StartSelector: parser.StartSelector{Type: parser.StartNow},
		Region:        "us-west-2",
		Credentials:   credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a real program cancels on shutdown; here Run returns at once
	err = c.Run(ctx, parser.Handler{
		ChunkStart: func(ch *parser.Chunk) error {
			fmt.Println("fragment", ch.FragmentNumber, ch.ProducerTimestamp)
			return nil
		},
		Frame: func(ch *parser.Chunk, f *parser.Frame) error {
			if f.Keyframe {
				fmt.Println("key frame", f.Timestamp, len(f.Data))
			}
			return nil
		},
	})
	fmt.Println(err)
	// Output: context canceled
}

// Read a file written by `aws kinesis-video-media get-media`.
func ExampleReader() {
	data, err := os.ReadFile("../../shared/fixtures/kvs-real/amazon-kinesis-video-streams-parser-library/output_get_media.mkv")
	if err != nil {
		log.Fatal(err)
	}
	frames := 0
	err = parser.NewReader(bytes.NewReader(data), parser.Options{}).Walk(parser.Handler{
		Frame: func(*parser.Chunk, *parser.Frame) error { frames++; return nil },
		ChunkEnd: func(c *parser.Chunk) error {
			fmt.Printf("chunk %d: %s %s, %d frames, %v behind\n", c.Index, c.FragmentNumber[:12],
				c.ServerTimestamp.Format("15:04:05.000"), c.Frames, c.BehindNow)
			return nil
		},
	})
	fmt.Println(frames, err)
	// Output:
	// chunk 0: 913438523331 06:55:09.126, 60 frames, 15.858s behind
	// chunk 1: 913438523331 06:55:10.915, 60 frames, 14.155s behind
	// chunk 2: 913438523331 06:55:12.487, 60 frames, 12.94s behind
	// chunk 3: 913438523331 06:55:13.414, 60 frames, 12.414s behind
	// chunk 4: 913438523331 06:55:14.147, 60 frames, 12.093s behind
	// 300 <nil>
}

// Merge GetMedia output into one playable file.
func ExampleMerge() {
	in, err := os.Open("../../shared/fixtures/kvs-real/amazon-kinesis-video-streams-parser-library/output_get_media.mkv")
	if err != nil {
		log.Fatal(err)
	}
	defer in.Close()
	var out bytes.Buffer
	err = parser.Merge(&out, in, parser.MergeOptions{})
	fmt.Println(err, out.Len() > 0)
	// Output: <nil> true
}
