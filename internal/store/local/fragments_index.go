package local

import (
	"errors"
	"fmt"
	"math"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/openkvs/openkvs/internal/store"
)

// fragmentMigrations is the schema of fragments.db, the fragment index. It
// is a database of its own, apart from catalog.db, so that the index's
// steady stream of commits never queues behind (or in front of) catalog
// writes, and so each file can be checkpointed on its own. Same rules as
// migrations: applied in order, each once; never edit a released entry.
var fragmentMigrations = []string{
	// 1: the index. Streams are interned to small integers because the ARN
	// (about 90 bytes) would otherwise repeat in every fragment row and in
	// each index over it. Timestamps and durations are nanoseconds (see
	// encodeTime). segments keeps, per segment file, how many rows point
	// into it (refs) and where the last committed record ends (end_offset),
	// so that Open neither scans the fragments table nor the files; the
	// committer updates it in the same transaction as the rows.
	`CREATE TABLE streams (
		id  INTEGER PRIMARY KEY,
		arn TEXT NOT NULL UNIQUE
	);
	CREATE TABLE headers (
		id         INTEGER PRIMARY KEY,
		stream_id  INTEGER NOT NULL,
		hash       BLOB NOT NULL,
		segment    INTEGER NOT NULL,
		seg_offset INTEGER NOT NULL,
		size       INTEGER NOT NULL
	);
	CREATE INDEX headers_stream ON headers (stream_id);
	CREATE TABLE fragments (
		number      INTEGER PRIMARY KEY,
		stream_id   INTEGER NOT NULL,
		producer_ts INTEGER NOT NULL,
		server_ts   INTEGER NOT NULL,
		duration    INTEGER NOT NULL,
		size        INTEGER NOT NULL,
		checksum    INTEGER NOT NULL,
		header_id   INTEGER NOT NULL,
		segment     INTEGER NOT NULL,
		seg_offset  INTEGER NOT NULL
	);
	CREATE INDEX fragments_stream ON fragments (stream_id, number);
	CREATE INDEX fragments_server_ts ON fragments (stream_id, server_ts);
	CREATE INDEX fragments_producer_ts ON fragments (stream_id, producer_ts);
	CREATE INDEX fragments_segment ON fragments (segment);
	CREATE INDEX fragments_header ON fragments (header_id);
	CREATE TABLE segments (
		id         INTEGER PRIMARY KEY,
		refs       INTEGER NOT NULL,
		end_offset INTEGER NOT NULL
	);
	CREATE TABLE sequences (
		name     TEXT PRIMARY KEY,
		reserved INTEGER NOT NULL
	);
	INSERT INTO sequences (name, reserved) VALUES ('fragment', 0), ('header', 0)`,
}

// zeroTime stands for time.Time{} in the index, whose UnixNano is undefined.
const zeroTime = math.MinInt64

// encodeTime stores t as Unix nanoseconds, which covers the years 1678 to
// 2262; KVS timestamps are milliseconds, well inside.
func encodeTime(t time.Time) int64 {
	if t.IsZero() {
		return zeroTime
	}
	return t.UnixNano()
}

// decodeTime is the inverse of encodeTime, in UTC.
func decodeTime(n int64) time.Time {
	if n == zeroTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// normalizeTime is what a time looks like after a trip through the index,
// so that a fragment reads the same before and after it is committed.
func normalizeTime(t time.Time) time.Time { return decodeTime(encodeTime(t)) }

// sqliteFull reports whether err is SQLite's "database or disk is full".
func sqliteFull(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL
}

// spaceErr wraps err, adding store.ErrNoSpace when it means a full disk.
func spaceErr(op string, err error) error {
	if noSpace(err) || sqliteFull(err) {
		return fmt.Errorf("%s: %w: %w", op, store.ErrNoSpace, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// fragmentColumns are the columns scanFragment reads, in order.
const fragmentColumns = `number, producer_ts, server_ts, duration, size, checksum, header_id, segment, seg_offset`

type rowScanner interface{ Scan(dest ...any) error }

// scanFragment reads one row of fragmentColumns into a store.Fragment of
// stream.
func scanFragment(r rowScanner, stream string) (store.Fragment, error) {
	var (
		number, headerID      int64
		producer, server, dur int64
		size                  int64
		checksum              int64
		segment, offset       int64
	)
	if err := r.Scan(&number, &producer, &server, &dur, &size, &checksum, &headerID, &segment, &offset); err != nil {
		return store.Fragment{}, err
	}
	return store.Fragment{
		Stream:            stream,
		Number:            uint64(number),
		ProducerTimestamp: decodeTime(producer),
		ServerTimestamp:   decodeTime(server),
		Duration:          time.Duration(dur),
		Size:              size,
		Checksum:          uint32(checksum),
		HeaderID:          uint64(headerID),
		Location:          store.Location{Segment: segment, Offset: offset, Known: true},
	}, nil
}
