package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestResolveAWS(t *testing.T) {
	dir := t.TempDir()
	credFile := filepath.Join(dir, "credentials")
	cfgFile := filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(credFile, []byte(`
# comment
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = default-secret

[dev]
aws_access_key_id=AKIDDEV
aws_secret_access_key=dev-secret
aws_session_token = dev-token
`), 0o600))
	require.NoError(t, os.WriteFile(cfgFile, []byte(`
[default]
region = eu-west-1

[profile dev]
region = us-west-2
s3 =
    max_concurrent_requests = 20

[profile cfgonly]
aws_access_key_id = AKIDCFG
aws_secret_access_key = cfg-secret

[profile role]
role_arn = arn:aws:iam::123456789012:role/x
source_profile = default
`), 0o600))
	files := map[string]string{"AWS_SHARED_CREDENTIALS_FILE": credFile, "AWS_CONFIG_FILE": cfgFile}
	noFiles := map[string]string{"AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_CONFIG_FILE": os.DevNull}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	envKeys := []string{"AWS_ACCESS_KEY_ID", "AKIDENV", "AWS_SECRET_ACCESS_KEY", "env-secret"}

	tests := []struct {
		name       string
		g          globalOptions
		env        map[string]string
		wantID     string
		wantToken  string
		wantRegion string
		wantEP     string
		wantErr    string
	}{
		{name: "environment", env: with(noFiles, append(envKeys, "AWS_REGION", "ap-south-1")...),
			wantID: "AKIDENV", wantRegion: "ap-south-1", wantEP: "https://kinesisvideo.ap-south-1.amazonaws.com"},
		{name: "AWS_DEFAULT_REGION", env: with(noFiles, append(envKeys, "AWS_DEFAULT_REGION", "eu-central-1")...),
			wantID: "AKIDENV", wantRegion: "eu-central-1", wantEP: "https://kinesisvideo.eu-central-1.amazonaws.com"},
		{name: "AWS_REGION wins", env: with(noFiles, append(envKeys, "AWS_REGION", "a-1", "AWS_DEFAULT_REGION", "b-2")...),
			wantID: "AKIDENV", wantRegion: "a-1", wantEP: "https://kinesisvideo.a-1.amazonaws.com"},
		{name: "default region", env: with(noFiles, envKeys...), wantID: "AKIDENV", wantRegion: "us-east-1",
			wantEP: "https://kinesisvideo.us-east-1.amazonaws.com"},
		{name: "flags win", g: globalOptions{region: "us-west-1", endpointURL: "http://127.0.0.1:4566/"},
			env:    with(files, append(envKeys, "AWS_REGION", "ap-south-1", "AWS_ENDPOINT_URL", "http://x")...),
			wantID: "AKIDENV", wantRegion: "us-west-1", wantEP: "http://127.0.0.1:4566"},
		{name: "endpoint from the environment", env: with(noFiles, append(envKeys, "AWS_ENDPOINT_URL_KINESIS_VIDEO", "https://kvs.example:4443")...),
			wantID: "AKIDENV", wantRegion: "us-east-1", wantEP: "https://kvs.example:4443"},
		{name: "default profile", env: files, wantID: "AKIDDEFAULT", wantRegion: "eu-west-1",
			wantEP: "https://kinesisvideo.eu-west-1.amazonaws.com"},
		{name: "environment keys beat the default profile", env: with(files, envKeys...), wantID: "AKIDENV", wantRegion: "eu-west-1",
			wantEP: "https://kinesisvideo.eu-west-1.amazonaws.com"},
		{name: "--profile beats environment keys", g: globalOptions{profile: "dev"}, env: with(files, envKeys...),
			wantID: "AKIDDEV", wantToken: "dev-token", wantRegion: "us-west-2", wantEP: "https://kinesisvideo.us-west-2.amazonaws.com"},
		{name: "AWS_PROFILE", env: with(files, "AWS_PROFILE", "dev"), wantID: "AKIDDEV", wantToken: "dev-token", wantRegion: "us-west-2",
			wantEP: "https://kinesisvideo.us-west-2.amazonaws.com"},
		{name: "keys in the config file", g: globalOptions{profile: "cfgonly"}, env: files, wantID: "AKIDCFG", wantRegion: "us-east-1",
			wantEP: "https://kinesisvideo.us-east-1.amazonaws.com"},
		{name: "China", env: with(noFiles, append(envKeys, "AWS_REGION", "cn-north-1")...), wantID: "AKIDENV", wantRegion: "cn-north-1",
			wantEP: "https://kinesisvideo.cn-north-1.amazonaws.com.cn"},
		{name: "unknown profile", g: globalOptions{profile: "nope"}, env: files, wantErr: `profile "nope" is in neither`},
		{name: "role profile", g: globalOptions{profile: "role"}, env: files, wantErr: "role_arn, which kvsctl does not support"},
		{name: "no credentials", env: noFiles, wantErr: "no AWS credentials"},
		{name: "key without secret", env: with(noFiles, "AWS_ACCESS_KEY_ID", "AKID"), wantErr: "AWS_SECRET_ACCESS_KEY is not"},
		{name: "endpoint without scheme", g: globalOptions{endpointURL: "127.0.0.1:4566"}, env: with(noFiles, envKeys...),
			wantErr: "not an http:// or https:// URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			got, err := tc.g.resolveAWS(t.Context(), env)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			creds, err := got.Credentials.Retrieve(t.Context())
			require.NoError(t, err)
			require.Equal(t, tc.wantID, creds.AccessKeyID)
			require.Equal(t, tc.wantToken, creds.SessionToken)
			require.NotEmpty(t, creds.SecretAccessKey)
			require.Equal(t, tc.wantRegion, got.Region)
			require.Equal(t, tc.wantEP, got.Endpoint)
		})
	}
}
