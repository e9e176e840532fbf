package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/kvsdtest"
)

// TestListFragmentsSameProducerTimestamp pins what ListFragments does with
// different fragments that share a producer timestamp (a producer that
// restarted and re-sent different media, or two producers): it lists every
// one. The spec de-duplicates producer timestamps only for GetClip and
// HLS/DASH sessions (shared/spec/data-plane-api.md §13.2, §13.4/13.5), not
// for ListFragments, which returns "Fragment objects matching the selector"
// (§9, §13.8). A byte-identical re-sent fragment is stored once by ingest,
// so it is listed once.
func TestListFragmentsSameProducerTimestamp(t *testing.T) {
	ctx := context.Background()
	srv := kvsdtest.Start(t)
	createStream(t, srv, "dup", 1)
	send := func(body []byte) []kvsdtest.Ack {
		// A new connection each time: the 4004 order check restarts with
		// each connection, as a restarted producer's would.
		conn := srv.PutMedia(t, kvsdtest.PutMediaHeaders("dup"), body)
		require.Equal(t, 200, conn.Status, conn.ErrorBody)
		conn.Close()
		acks := conn.Until(ackWait, never)
		requireAllPersisted(t, acks, 1)
		return acks
	}
	first := kvsdtest.NewBody(t).Cluster(5000, kvsdtest.Video(3, 700), nil, false).Bytes()
	a := send(first)
	b := send(kvsdtest.NewBody(t).Cluster(5000, kvsdtest.Video(3, 900), nil, false).Bytes())
	again := send(first)
	require.NotEqual(t, a[0].FragmentNumber, b[0].FragmentNumber)
	require.Equal(t, a[0].FragmentNumber, again[2].FragmentNumber, "the identical re-send is the stored fragment")

	out, err := srv.ArchivedMedia().ListFragments(ctx, &kinesisvideoarchivedmedia.ListFragmentsInput{
		StreamName: aws.String("dup"),
		FragmentSelector: &types.FragmentSelector{FragmentSelectorType: types.FragmentSelectorTypeProducerTimestamp,
			TimestampRange: &types.TimestampRange{StartTimestamp: aws.Time(time.UnixMilli(5000)), EndTimestamp: aws.Time(time.UnixMilli(5000))}},
	})
	require.NoError(t, err)
	var numbers []string
	for _, f := range out.Fragments {
		require.Equal(t, int64(5000), aws.ToTime(f.ProducerTimestamp).UnixMilli())
		numbers = append(numbers, aws.ToString(f.FragmentNumber))
	}
	require.ElementsMatch(t, []string{a[0].FragmentNumber, b[0].FragmentNumber}, numbers)
}
