package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/openkvs/openkvs/internal/store"
)

// CatalogOptions tune the embedded catalog.
type CatalogOptions struct {
	// NoSync turns off fsync on commit. Only for seeding benchmarks: a
	// catalog opened with it can lose committed writes on power loss.
	NoSync bool
}

// Catalog is the embedded store.Catalog.
type Catalog struct {
	db *sql.DB

	mu      sync.RWMutex
	streams map[string]store.Stream
	// names is streams' keys in sorted order, kept so that ListStreams is a
	// binary search plus a scan rather than a sort per call.
	names []string
}

var _ store.Catalog = (*Catalog)(nil)

// OpenCatalog opens (creating if needed) the catalog database in dir,
// applies pending migrations and loads every stream into memory.
func OpenCatalog(ctx context.Context, dir string, opts CatalogOptions) (*Catalog, error) {
	sync := "FULL"
	if opts.NoSync {
		sync = "OFF"
	}
	dsn := "file:" + filepath.Join(dir, "catalog.db") +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")&_pragma=busy_timeout(5000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	// One connection serialises writers; reads are served from memory.
	db.SetMaxOpenConns(1)
	if err := migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, err
	}
	c := &Catalog{db: db, streams: make(map[string]store.Stream)}
	if err := c.load(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return c, nil
}

const streamColumns = `name, arn, device_name, media_type, kms_key_id, retention_hours, status,
	status_until_ms, version, created_ms, storage_tier, tags, revision`

func (c *Catalog) load(ctx context.Context) error {
	rows, err := c.db.QueryContext(ctx, `SELECT `+streamColumns+` FROM streams ORDER BY name`)
	if err != nil {
		return fmt.Errorf("load streams: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			s                  store.Stream
			status, tags       string
			untilMS, createdMS int64
		)
		if err := rows.Scan(&s.Name, &s.ARN, &s.DeviceName, &s.MediaType, &s.KMSKeyID, &s.RetentionHours,
			&status, &untilMS, &s.Version, &createdMS, &s.StorageTier, &tags, &s.Revision); err != nil {
			return fmt.Errorf("scan stream: %w", err)
		}
		s.Status = store.StreamStatus(status)
		s.StatusUntil = time.UnixMilli(untilMS)
		s.CreatedAt = time.UnixMilli(createdMS)
		if err := json.Unmarshal([]byte(tags), &s.Tags); err != nil {
			return fmt.Errorf("decode tags of stream %q: %w", s.Name, err)
		}
		c.streams[s.Name] = s
		c.names = append(c.names, s.Name) // rows arrive sorted
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load streams: %w", err)
	}
	return nil
}

func streamArgs(s store.Stream) ([]any, error) {
	tags := s.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	tagJSON, err := json.Marshal(tags)
	if err != nil {
		return nil, fmt.Errorf("encode tags: %w", err)
	}
	return []any{s.Name, s.ARN, s.DeviceName, s.MediaType, s.KMSKeyID, s.RetentionHours, string(s.Status),
		s.StatusUntil.UnixMilli(), s.Version, s.CreatedAt.UnixMilli(), s.StorageTier, string(tagJSON), s.Revision}, nil
}

// CreateStream implements store.Catalog.
func (c *Catalog) CreateStream(ctx context.Context, s store.Stream) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.streams[s.Name]; ok {
		return store.ErrAlreadyExists
	}
	s = s.Clone()
	s.Revision = 1
	args, err := streamArgs(s)
	if err != nil {
		return err
	}
	if _, err := c.db.ExecContext(ctx, `INSERT INTO streams (`+streamColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`, args...); err != nil {
		return fmt.Errorf("insert stream: %w", err)
	}
	c.streams[s.Name] = s
	i, _ := slices.BinarySearch(c.names, s.Name)
	c.names = slices.Insert(c.names, i, s.Name)
	return nil
}

// GetStream implements store.Catalog.
func (c *Catalog) GetStream(_ context.Context, name string) (store.Stream, error) {
	c.mu.RLock()
	s, ok := c.streams[name]
	c.mu.RUnlock()
	if !ok {
		return store.Stream{}, store.ErrNotFound
	}
	return s.Clone(), nil
}

// ListStreams implements store.Catalog.
func (c *Catalog) ListStreams(_ context.Context, page store.StreamPage) ([]store.Stream, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	start := page.Prefix
	if page.After >= start {
		start = page.After
	}
	i, found := slices.BinarySearch(c.names, start)
	if found && start == page.After {
		i++
	}
	out := make([]store.Stream, 0, min(page.Limit+1, len(c.names)-i))
	for ; i < len(c.names) && len(out) <= page.Limit; i++ {
		name := c.names[i]
		if !strings.HasPrefix(name, page.Prefix) {
			break
		}
		st := c.streams[name]
		st.Tags = nil
		out = append(out, st)
	}
	return out, nil
}

// CountStreams implements store.Catalog.
func (c *Catalog) CountStreams(context.Context) (int, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.streams), nil
}

// UpdateStream implements store.Catalog.
func (c *Catalog) UpdateStream(ctx context.Context, s store.Stream) (store.Stream, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.streams[s.Name]
	if !ok {
		return store.Stream{}, store.ErrNotFound
	}
	if old.Revision != s.Revision {
		return store.Stream{}, store.ErrConflict
	}
	s = s.Clone()
	s.Revision++
	args, err := streamArgs(s)
	if err != nil {
		return store.Stream{}, err
	}
	// The name is the key: move it to the end for the WHERE clause.
	args = append(args[1:], s.Name)
	if _, err := c.db.ExecContext(ctx, `UPDATE streams SET arn=?, device_name=?, media_type=?, kms_key_id=?,
		retention_hours=?, status=?, status_until_ms=?, version=?, created_ms=?, storage_tier=?, tags=?, revision=?
		WHERE name=?`, args...); err != nil {
		return store.Stream{}, fmt.Errorf("update stream: %w", err)
	}
	c.streams[s.Name] = s
	return s.Clone(), nil
}

// DeleteStream implements store.Catalog.
func (c *Catalog) DeleteStream(ctx context.Context, name string, revision int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.streams[name]
	if !ok {
		return store.ErrNotFound
	}
	if old.Revision != revision {
		return store.ErrConflict
	}
	if _, err := c.db.ExecContext(ctx, `DELETE FROM streams WHERE name=?`, name); err != nil {
		return fmt.Errorf("delete stream: %w", err)
	}
	delete(c.streams, name)
	if i, found := slices.BinarySearch(c.names, name); found {
		c.names = slices.Delete(c.names, i, i+1)
	}
	return nil
}

// Close implements store.Catalog.
func (c *Catalog) Close() error {
	if err := c.db.Close(); err != nil {
		return fmt.Errorf("close catalog: %w", err)
	}
	return nil
}
