// Command kvsctl is the OpenKVS command-line client. It talks to kvsd (or to
// Amazon Kinesis Video Streams) only over the public HTTP APIs, signed with
// AWS Signature Version 4, so it works against any KVS-compatible endpoint.
//
// Global flags follow the AWS CLI: --endpoint-url, --region and --profile;
// credentials come from the environment or the shared AWS files.
//
// Commands:
//
//	kvsctl bench ingest   create N streams and drive PutMedia at a given
//	                      bitrate, then report ack latencies and throughput
package main
