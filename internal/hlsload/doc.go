// Package hlsload simulates LIVE HLS viewers for load tests: each viewer
// polls its media playlist on a fixed schedule, starts with the last few
// segments listed as hls.js does, then fetches every new segment, and
// records how long each response took. `kvsctl bench hls` and the server's
// viewer benchmark share it, so both measure the same client.
package hlsload
