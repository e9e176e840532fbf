package config

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	cfg, err := Load(nil, env(nil), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:4566", cfg.Listen)
	require.Equal(t, "./data", cfg.DataDir)
	require.Equal(t, "us-east-1", cfg.Region)
	require.Equal(t, AuthSigV4, cfg.Auth)
	require.Equal(t, 10000, cfg.StreamLimit())
	require.False(t, cfg.TLS())
}

func TestPrecedenceFlagsEnvFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kvsd.yaml")
	require.NoError(t, os.WriteFile(file, []byte("region: eu-west-1\nlisten: 127.0.0.1:1111\ndata-dir: /file\nmax-streams: 7\n"), 0o600))
	cfg, err := Load([]string{"-config", file, "-listen", "127.0.0.1:3333"},
		env(map[string]string{"KVSD_LISTEN": "127.0.0.1:2222", "KVSD_DATA_DIR": "/env"}), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:3333", cfg.Listen, "flag beats env and file")
	require.Equal(t, "/env", cfg.DataDir, "env beats file")
	require.Equal(t, "eu-west-1", cfg.Region, "file beats default")
	require.Equal(t, 7, cfg.StreamLimit())
	require.Equal(t, file, cfg.ConfigFile)

	cfg, err = Load(nil, env(map[string]string{"KVSD_CONFIG": file}), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "eu-west-1", cfg.Region, "KVSD_CONFIG names the file")
}

func TestSampleConfigLoads(t *testing.T) {
	cfg, err := Load([]string{"-config", "kvsd.sample.yaml"}, env(nil), io.Discard)
	require.NoError(t, err)
	def := Defaults()
	def.ConfigFile = "kvsd.sample.yaml"
	def.MaxStreams = 10000
	require.Equal(t, def, cfg, "the sample documents the defaults")
}

func TestRootCredentialsFromEnv(t *testing.T) {
	cfg, err := Load(nil, env(map[string]string{"KVSD_ROOT_ACCESS_KEY_ID": "AKID", "KVSD_ROOT_SECRET_ACCESS_KEY": "s3cret"}), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "AKID", cfg.RootAccessKeyID)
	require.Equal(t, "s3cret", cfg.RootSecretAccessKey)
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		file string
		want string
	}{
		{"bad listen", []string{"-listen", "nope"}, nil, "", `listen "nope"`},
		{"bad region", []string{"-region", "mars"}, nil, "", `region "mars"`},
		{"bad account", []string{"-account-id", "12"}, nil, "", "account-id"},
		{"bad auth", []string{"-auth", "maybe"}, nil, "", `auth "maybe"`},
		{"cert without key", []string{"-tls-cert", "c.pem"}, nil, "", "tls-cert and tls-key"},
		{"self-signed and cert", []string{"-tls-cert", "c", "-tls-key", "k", "-tls-self-signed"}, nil, "", "exclude"},
		{"advertise with path", []string{"-advertise-url", "http://h:1/x"}, nil, "", "advertise-url"},
		{"advertise bad scheme", []string{"-advertise-url", "ftp://h"}, nil, "", "advertise-url"},
		{"key without secret", nil, map[string]string{"KVSD_ROOT_ACCESS_KEY_ID": "A"}, "", "root-access-key-id"},
		{"bad duration env", nil, map[string]string{"KVSD_TRANSITION_DELAY": "soon"}, "", "KVSD_TRANSITION_DELAY"},
		{"negative delay", []string{"-transition-delay", "-1s"}, nil, "", "transition-delay"},
		{"bad log level", []string{"-log-level", "loud"}, nil, "", "log-level"},
		{"stray argument", []string{"serve"}, nil, "", "unexpected argument"},
		{"unknown file key", nil, nil, "colour: blue\n", `unknown setting "colour"`},
		{"nested file value", nil, nil, "listen:\n  host: x\n", "plain value"},
		{"bad file value", nil, nil, "max-streams: many\n", `setting "max-streams"`},
		{"file not yaml", nil, nil, "listen: [\n", "parse config file"},
		{"missing file", []string{"-config", "/nonexistent/kvsd.yaml"}, nil, "", "read config file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				f := filepath.Join(t.TempDir(), "kvsd.yaml")
				require.NoError(t, os.WriteFile(f, []byte(tc.file), 0o600))
				args = append(args, "-config", f)
			}
			_, err := Load(args, env(tc.env), io.Discard)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	_, err := Load([]string{"-region", "x", "-account-id", "y", "-auth", "z"}, env(nil), io.Discard)
	require.Error(t, err)
	for _, want := range []string{"region", "account-id", "auth"} {
		require.Contains(t, err.Error(), want)
	}
}

func TestHelp(t *testing.T) {
	_, err := Load([]string{"-h"}, env(nil), io.Discard)
	require.True(t, errors.Is(err, flag.ErrHelp))
}

func TestDurationsParse(t *testing.T) {
	cfg, err := Load([]string{"-transition-delay", "0s"}, env(nil), io.Discard)
	require.NoError(t, err)
	require.Equal(t, time.Duration(0), cfg.TransitionDelay)
}
