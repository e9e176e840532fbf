// Command kvsd is the OpenKVS server: every Kinesis Video Streams API on one
// port, with an embedded catalog and media store under ./data by default.
//
//	kvsd                          # 127.0.0.1:4566, ./data, SigV4 auth
//	kvsd -h                       # every setting (also KVSD_* env, YAML)
package main
