// Package producer uploads media to Kinesis Video Streams, or to kvsd, with
// PutMedia: the Go counterpart of the KVS producer SDKs.
//
// An application describes a stream once (StreamDefinition), puts frames
// (Frame) as its encoder or demuxer produces them, and closes the stream
// when done. The library groups frames into fragments, writes them as
// Matroska, buffers them until the service acknowledges them as persisted,
// and reconnects and resends on errors, so that no acknowledged-durable
// fragment is sent twice and no buffered fragment is lost.
package producer
