package producer

import (
	"fmt"
	"strings"
)

// Fragment metadata limits (data-plane §14.5): KVS answers 4009 or 4012
// otherwise, so the library refuses such items up front.
const (
	maxMetadataItems    = 10
	maxMetadataNameLen  = 128
	maxMetadataValueLen = 256
)

type metaItem struct{ name, value string }

// metadataQueue holds the fragment metadata not written yet: persistent
// items go into every fragment, the others into the next one.
type metadataQueue struct {
	persistent []metaItem
	pending    []metaItem
}

// add queues an item; a persistent item with an empty value removes the
// persistent item of that name, and a new value replaces the old one.
func (q *metadataQueue) add(name, value string, persistent bool) error {
	switch {
	case name == "" || len(name) > maxMetadataNameLen:
		return fmt.Errorf("metadata name %q: 1 to %d octets: %w", name, maxMetadataNameLen, ErrInvalidMetadata)
	case strings.HasPrefix(name, "AWS"):
		return fmt.Errorf("metadata name %q: the AWS prefix is reserved: %w", name, ErrInvalidMetadata)
	case len(value) > maxMetadataValueLen:
		return fmt.Errorf("metadata %q: value above %d octets: %w", name, maxMetadataValueLen, ErrInvalidMetadata)
	case value == "" && !persistent:
		return fmt.Errorf("metadata %q: empty value: %w", name, ErrInvalidMetadata)
	}
	if persistent {
		for i, it := range q.persistent {
			if it.name == name {
				if value == "" {
					q.persistent = append(q.persistent[:i:i], q.persistent[i+1:]...)
				} else {
					q.persistent[i].value = value
				}
				return nil
			}
		}
		if value == "" {
			return nil
		}
	}
	if len(q.persistent)+len(q.pending) >= maxMetadataItems {
		return fmt.Errorf("metadata %q: more than %d items for one fragment: %w", name, maxMetadataItems, ErrInvalidMetadata)
	}
	if persistent {
		q.persistent = append(q.persistent, metaItem{name, value})
	} else {
		q.pending = append(q.pending, metaItem{name, value})
	}
	return nil
}

// take returns the items of the fragment being sealed.
func (q *metadataQueue) take() []metaItem {
	items := append(append([]metaItem(nil), q.persistent...), q.pending...)
	q.pending = nil
	return items
}

// PutFragmentMetadata adds a name/value pair to the fragment in progress
// (or the next one, when none is): the MKV tags that GetMedia returns with
// the fragment. A persistent item repeats in every later fragment until it
// is put again with an empty value. The KVS limits are checked: at most 10
// items per fragment, a name of 1 to 128 octets that does not start with
// "AWS", a value of at most 256 octets (ErrInvalidMetadata).
func (s *Stream) PutFragmentMetadata(name, value string, persistent bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed != nil {
		return s.failed
	}
	if s.closing {
		return ErrClosed
	}
	return s.meta.add(name, value, persistent)
}
