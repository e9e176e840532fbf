// Package control implements the Kinesis Video Streams control plane:
// streams, their tags, ARNs, versions and lifecycle, and data endpoints.
//
// It validates every input field against the constraints of the KVS API
// reference (shared/spec/control-plane-api.md) and returns errkind errors
// whose kinds are the sentinels in errors.go; it knows nothing of HTTP.
//
// API reference: https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/API_Operations_Amazon_Kinesis_Video_Streams.html
package control
