package session

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadOrCreateKey(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadOrCreateKey(dir)
	require.NoError(t, err)
	require.Len(t, first, keySize)
	info, err := os.Stat(filepath.Join(dir, keyFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	again, err := LoadOrCreateKey(dir)
	require.NoError(t, err)
	require.True(t, bytes.Equal(first, again), "the stored key must be reused")

	other, err := LoadOrCreateKey(t.TempDir())
	require.NoError(t, err)
	require.False(t, bytes.Equal(first, other), "each data dir gets its own key")

	require.NoError(t, os.WriteFile(filepath.Join(dir, keyFile), []byte("short"), 0o600))
	_, err = LoadOrCreateKey(dir)
	require.ErrorContains(t, err, "32-byte key")
}
