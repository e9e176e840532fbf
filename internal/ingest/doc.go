// Package ingest runs PutMedia sessions: it reads the producer's Matroska
// stream one element at a time, assembles each Cluster (with the metadata
// Tags that follow it) into a fragment, validates it, appends it to the
// fragment store and reports BUFFERING, RECEIVED, PERSISTED, ERROR and IDLE
// acknowledgements as they happen.
//
// It knows nothing of HTTP: the api layer validates the request headers,
// sends the 200, and hands Serve the body and an AckWriter that encodes and
// flushes each Ack.
//
// PutMedia: https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_dataplane_PutMedia.html
package ingest
