package producer_test

import (
	"context"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/openkvs/openkvs/producer"
)

// A camera uploader: frames come from an H.264 encoder (Annex B, with SPS
// and PPS before each key frame); the library builds the codec private
// data, fragments at key frames, buffers and resends.
func Example() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx) // region and the credential chain
	if err != nil {
		log.Fatal(err)
	}
	p, err := producer.New(cfg, producer.Options{Endpoint: "http://127.0.0.1:4566"}) // kvsd; "" for AWS
	if err != nil {
		log.Fatal(err)
	}
	s, err := p.NewStream(ctx, producer.StreamDefinition{Name: "front-door",
		Callbacks: producer.Callbacks{Error: func(err error) { log.Print(err) }}})
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	for au := range encoder() {
		f := producer.Frame{TrackID: 1, Data: au.data, DTS: au.t.Sub(start), PTS: au.t.Sub(start)}
		if au.key {
			f.Flags = producer.FrameKey
		}
		if err := s.PutFrame(ctx, f); err != nil {
			log.Print(err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		log.Print(err)
	}
}

type accessUnit struct {
	data []byte
	key  bool
	t    time.Time
}

// encoder stands for the camera's encoder.
func encoder() <-chan accessUnit {
	ch := make(chan accessUnit)
	close(ch)
	return ch
}
