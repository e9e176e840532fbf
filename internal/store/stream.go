package store

import "time"

// StreamStatus is the lifecycle state of a stream, as in the KVS StreamInfo
// Status field.
type StreamStatus string

// The stream states of the KVS API.
const (
	StatusCreating StreamStatus = "CREATING"
	StatusActive   StreamStatus = "ACTIVE"
	StatusUpdating StreamStatus = "UPDATING"
	StatusDeleting StreamStatus = "DELETING"
)

// Stream is the stored form of a KVS stream (the StreamInfo shape plus the
// tags and the bookkeeping a backend needs for optimistic writes).
type Stream struct {
	Name       string
	ARN        string
	DeviceName string
	MediaType  string
	KMSKeyID   string
	// RetentionHours is DataRetentionInHours; 0 keeps media only in the live
	// buffer.
	RetentionHours int
	// Status is the stored status. A transient status (CREATING, UPDATING,
	// DELETING) ends at StatusUntil; see EffectiveStatus.
	Status      StreamStatus
	StatusUntil time.Time
	// Version is the user-visible version string that changes whenever the
	// stream's metadata changes (UpdateStream, UpdateDataRetention).
	Version     string
	CreatedAt   time.Time
	StorageTier string
	Tags        map[string]string
	// Revision is the backend's write counter for compare-and-swap. It is not
	// part of the API: tag writes bump it but not Version.
	Revision int64
}

// EffectiveStatus returns the status a reader sees at now: a transient
// CREATING or UPDATING that has run its course reads as ACTIVE. Deriving it
// at read time keeps the state machine correct across restarts without a
// timer per stream.
func (s *Stream) EffectiveStatus(now time.Time) StreamStatus {
	switch s.Status {
	case StatusCreating, StatusUpdating:
		if !now.Before(s.StatusUntil) {
			return StatusActive
		}
	}
	return s.Status
}

// Gone reports whether a DELETING stream has finished deleting at now, so
// that it reads as absent and its name may be reused.
func (s *Stream) Gone(now time.Time) bool {
	return s.Status == StatusDeleting && !now.Before(s.StatusUntil)
}

// Clone returns a deep copy, so that callers may mutate the result without
// touching a backend's cached copy.
func (s Stream) Clone() Stream {
	if s.Tags != nil {
		tags := make(map[string]string, len(s.Tags))
		for k, v := range s.Tags {
			tags[k] = v
		}
		s.Tags = tags
	}
	return s
}
