package local

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/openkvs/openkvs/internal/store"
	"github.com/openkvs/openkvs/internal/store/storetest"
)

func TestCatalogConformance(t *testing.T) {
	dirs := map[store.Catalog]string{}
	open := func(t *testing.T, dir string) store.Catalog {
		c, err := OpenCatalog(context.Background(), dir, CatalogOptions{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		dirs[c] = dir
		return c
	}
	storetest.RunCatalog(t, storetest.NewCatalog{
		Open: func(t *testing.T) store.Catalog { return open(t, t.TempDir()) },
		Reopen: func(t *testing.T, c store.Catalog) store.Catalog {
			require.NoError(t, c.Close())
			return open(t, dirs[c])
		},
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	for range 2 {
		c, err := OpenCatalog(context.Background(), dir, CatalogOptions{})
		require.NoError(t, err)
		require.NoError(t, c.Close())
	}
}
