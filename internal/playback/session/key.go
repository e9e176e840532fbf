package session

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/openkvs/openkvs/internal/atomicfile"
)

// keyFile is where the session-signing key is kept in the data dir.
const keyFile = "playback-session.key"

// keySize is the HMAC-SHA256 key length.
const keySize = 32

// LoadOrCreateKey returns the session-signing key stored in dataDir,
// creating one (mode 0600) on first use. Keeping it on disk lets a player
// go on with its URL across a kvsd restart, as it can with KVS for as long
// as the session's Expires allows.
func LoadOrCreateKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, keyFile)
	key, err := os.ReadFile(path)
	switch {
	case err == nil:
		if len(key) != keySize {
			return nil, fmt.Errorf("read %s: want a %d-byte key, found %d bytes", path, keySize, len(key))
		}
		return key, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read playback session key: %w", err)
	}
	key = make([]byte, keySize)
	_, _ = rand.Read(key) // crypto/rand never fails on supported platforms
	if err := atomicfile.Write(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("store playback session key: %w", err)
	}
	return key, nil
}
