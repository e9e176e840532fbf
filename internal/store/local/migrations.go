package local

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are applied in order, each once, in its own transaction. The
// schema_migrations table records the highest applied index. Never edit a
// released entry: append a new one.
var migrations = []string{
	// 1: streams, with tags as a JSON object column (at most 50 per stream,
	// always read and written whole).
	`CREATE TABLE streams (
		name            TEXT PRIMARY KEY,
		arn             TEXT NOT NULL UNIQUE,
		device_name     TEXT NOT NULL DEFAULT '',
		media_type      TEXT NOT NULL DEFAULT '',
		kms_key_id      TEXT NOT NULL DEFAULT '',
		retention_hours INTEGER NOT NULL,
		status          TEXT NOT NULL,
		status_until_ms INTEGER NOT NULL,
		version         TEXT NOT NULL,
		created_ms      INTEGER NOT NULL,
		storage_tier    TEXT NOT NULL DEFAULT 'HOT',
		tags            TEXT NOT NULL DEFAULT '{}',
		revision        INTEGER NOT NULL
	)`,
}

// migrate brings the catalog database to the newest schema in migrations.
func migrate(ctx context.Context, db *sql.DB) error {
	return migrateWith(ctx, db, migrations)
}

// migrateWith applies the entries of list that db has not applied yet. Each
// database file has its own list (the catalog's migrations, the fragment
// index's fragmentMigrations) and its own schema_migrations table.
func migrateWith(ctx context.Context, db *sql.DB, list []string) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(list) {
		return fmt.Errorf("database schema version %d is newer than this kvsd (%d)", current, len(list))
	}
	for i := current; i < len(list); i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, list[i]); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("apply migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, i+1); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("record migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit migration %d: %w", i+1, err)
		}
	}
	return nil
}
