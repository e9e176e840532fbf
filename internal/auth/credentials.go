package auth

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/openkvs/openkvs/internal/atomicfile"
)

// Credentials are an AWS-style access key pair.
type Credentials struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
}

// credentialsFile is where generated root credentials are kept.
const credentialsFile = "root-credentials.json"

// GenerateCredentials returns a fresh random key pair shaped like AWS keys:
// a 20-character ID starting "AKIA" and a 40-character secret.
func GenerateCredentials() Credentials {
	const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	const secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	return Credentials{
		AccessKeyID:     "AKIA" + randomString(16, idChars),
		SecretAccessKey: randomString(40, secretChars),
	}
}

func randomString(n int, alphabet string) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf) // crypto/rand never fails on supported platforms
	for i, b := range buf {
		buf[i] = alphabet[int(b)%len(alphabet)]
	}
	return string(buf)
}

// LoadOrCreateRoot returns the root credentials stored in dataDir, creating
// and storing a new pair (mode 0600) when there are none. created tells the
// caller to show the new pair once.
func LoadOrCreateRoot(dataDir string) (creds Credentials, created bool, err error) {
	path := filepath.Join(dataDir, credentialsFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &creds); err != nil || creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
			return Credentials{}, false, fmt.Errorf("read %s: not a valid credentials file", path)
		}
		return creds, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return Credentials{}, false, fmt.Errorf("read root credentials: %w", err)
	}
	creds = GenerateCredentials()
	b, _ = json.MarshalIndent(creds, "", "  ")
	if err := atomicfile.Write(path, append(b, '\n'), 0o600); err != nil {
		return Credentials{}, false, fmt.Errorf("store root credentials: %w", err)
	}
	return creds, true, nil
}
