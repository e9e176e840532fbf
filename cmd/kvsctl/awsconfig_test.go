package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// awsEnvVars are the environment variables that steer the AWS settings;
// tests start with all of them unset.
var awsEnvVars = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KINESIS_VIDEO",
	"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_ROLE_ARN", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE",
}

// clearAWSEnv unsets every AWS variable for the test (t.Setenv restores
// them afterwards), points the shared files at nothing and turns the EC2
// metadata lookup off, so that no credentials are found by accident.
func clearAWSEnv(t *testing.T) {
	t.Helper()
	for _, k := range awsEnvVars {
		t.Setenv(k, "")
		require.NoError(t, os.Unsetenv(k))
	}
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// writeAWSFiles writes a shared credentials and config file with the
// profiles default, dev (with a session token), cfgonly (keys in the
// config file) and svc (endpoints in the config file) and returns their
// paths.
func writeAWSFiles(t *testing.T, dir string) (credFile, cfgFile string) {
	t.Helper()
	credFile = filepath.Join(dir, "credentials")
	cfgFile = filepath.Join(dir, "config")
	require.NoError(t, os.WriteFile(credFile, []byte(`
# comment
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = default-secret

[dev]
aws_access_key_id=AKIDDEV
aws_secret_access_key=dev-secret
aws_session_token = dev-token

[svc]
aws_access_key_id = AKIDSVC
aws_secret_access_key = svc-secret
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

[profile svc]
endpoint_url = http://global.example:1
services = local

[profile global]
aws_access_key_id = AKIDGLOBAL
aws_secret_access_key = global-secret
endpoint_url = http://global.example:2/

[services local]
kinesis_video =
    endpoint_url = http://kvs.example:3
`), 0o600))
	return credFile, cfgFile
}

func TestResolveAWS(t *testing.T) {
	credFile, cfgFile := writeAWSFiles(t, t.TempDir())
	files := []string{"AWS_SHARED_CREDENTIALS_FILE", credFile, "AWS_CONFIG_FILE", cfgFile}
	envKeys := []string{"AWS_ACCESS_KEY_ID", "AKIDENV", "AWS_SECRET_ACCESS_KEY", "env-secret"}
	join := func(kvs ...[]string) []string {
		var out []string
		for _, kv := range kvs {
			out = append(out, kv...)
		}
		return out
	}
	const fromEnv = "environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"

	tests := []struct {
		name       string
		g          globalOptions
		env        []string // name, value, ...
		wantID     string
		wantToken  string
		wantFrom   string
		wantRegion string
		wantEP     string
		wantErr    string
	}{
		{name: "environment", env: join(envKeys, []string{"AWS_REGION", "ap-south-1"}),
			wantID: "AKIDENV", wantFrom: fromEnv, wantRegion: "ap-south-1", wantEP: "https://kinesisvideo.ap-south-1.amazonaws.com"},
		{name: "AWS_DEFAULT_REGION", env: join(envKeys, []string{"AWS_DEFAULT_REGION", "eu-central-1"}),
			wantID: "AKIDENV", wantFrom: fromEnv, wantRegion: "eu-central-1", wantEP: "https://kinesisvideo.eu-central-1.amazonaws.com"},
		{name: "AWS_REGION wins", env: join(envKeys, []string{"AWS_REGION", "a-1", "AWS_DEFAULT_REGION", "b-2"}),
			wantID: "AKIDENV", wantFrom: fromEnv, wantRegion: "a-1", wantEP: "https://kinesisvideo.a-1.amazonaws.com"},
		{name: "default region", env: envKeys, wantID: "AKIDENV", wantFrom: fromEnv, wantRegion: "us-east-1",
			wantEP: "https://kinesisvideo.us-east-1.amazonaws.com"},
		{name: "flags win", g: globalOptions{region: "us-west-1", endpointURL: "http://127.0.0.1:4566/"},
			env:    join(files, envKeys, []string{"AWS_REGION", "ap-south-1", "AWS_ENDPOINT_URL_KINESIS_VIDEO", "http://x"}),
			wantID: "AKIDENV", wantFrom: fromEnv, wantRegion: "us-west-1", wantEP: "http://127.0.0.1:4566"},
		{name: "service endpoint variable beats the global one",
			env:    join(envKeys, []string{"AWS_ENDPOINT_URL_KINESIS_VIDEO", "https://kvs.example:4443", "AWS_ENDPOINT_URL", "http://other"}),
			wantID: "AKIDENV", wantFrom: fromEnv, wantRegion: "us-east-1", wantEP: "https://kvs.example:4443"},
		{name: "AWS_ENDPOINT_URL", env: join(envKeys, []string{"AWS_ENDPOINT_URL", "http://127.0.0.1:4566"}),
			wantID: "AKIDENV", wantFrom: fromEnv, wantRegion: "us-east-1", wantEP: "http://127.0.0.1:4566"},
		{name: "profile services section", g: globalOptions{profile: "svc"}, env: files,
			wantID: "AKIDSVC", wantFrom: `profile "svc" in ` + credFile, wantRegion: "us-east-1", wantEP: "http://kvs.example:3"},
		{name: "profile endpoint_url", g: globalOptions{profile: "global"}, env: files,
			wantID: "AKIDGLOBAL", wantFrom: `profile "global" in ` + cfgFile, wantRegion: "us-east-1", wantEP: "http://global.example:2"},
		{name: "environment endpoint beats the profile's", g: globalOptions{profile: "svc"},
			env: join(files, []string{"AWS_ENDPOINT_URL", "http://env.example:4"}), wantID: "AKIDSVC",
			wantFrom: `profile "svc" in ` + credFile, wantRegion: "us-east-1", wantEP: "http://env.example:4"},
		{name: "default profile", env: files, wantID: "AKIDDEFAULT", wantFrom: `profile "default" in ` + credFile,
			wantRegion: "eu-west-1", wantEP: "https://kinesisvideo.eu-west-1.amazonaws.com"},
		{name: "environment keys beat the default profile", env: join(files, envKeys), wantID: "AKIDENV", wantFrom: fromEnv,
			wantRegion: "eu-west-1", wantEP: "https://kinesisvideo.eu-west-1.amazonaws.com"},
		{name: "environment keys beat AWS_PROFILE", env: join(files, envKeys, []string{"AWS_PROFILE", "dev"}),
			wantID: "AKIDENV", wantFrom: fromEnv, wantRegion: "us-west-2", wantEP: "https://kinesisvideo.us-west-2.amazonaws.com"},
		{name: "--profile beats environment keys", g: globalOptions{profile: "dev"}, env: join(files, envKeys),
			wantID: "AKIDDEV", wantToken: "dev-token", wantFrom: `profile "dev" in ` + credFile, wantRegion: "us-west-2",
			wantEP: "https://kinesisvideo.us-west-2.amazonaws.com"},
		{name: "AWS_PROFILE", env: join(files, []string{"AWS_PROFILE", "dev"}), wantID: "AKIDDEV", wantToken: "dev-token",
			wantFrom: `profile "dev" in ` + credFile, wantRegion: "us-west-2", wantEP: "https://kinesisvideo.us-west-2.amazonaws.com"},
		{name: "keys in the config file", g: globalOptions{profile: "cfgonly"}, env: files, wantID: "AKIDCFG",
			wantFrom: `profile "cfgonly" in ` + cfgFile, wantRegion: "us-east-1", wantEP: "https://kinesisvideo.us-east-1.amazonaws.com"},
		{name: "China", env: join(envKeys, []string{"AWS_REGION", "cn-north-1"}), wantID: "AKIDENV", wantFrom: fromEnv,
			wantRegion: "cn-north-1", wantEP: "https://kinesisvideo.cn-north-1.amazonaws.com.cn"},
		{name: "unknown profile", g: globalOptions{profile: "nope"}, env: files,
			wantErr: `profile "nope" is in neither ` + cfgFile + " nor " + credFile},
		{name: "unknown AWS_PROFILE", env: join(files, []string{"AWS_PROFILE", "nope"}), wantErr: `profile "nope" is in neither`},
		{name: "no credentials", wantErr: "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use --profile"},
		{name: "key without secret", env: []string{"AWS_ACCESS_KEY_ID", "AKID"}, wantErr: "no AWS credentials"},
		{name: "endpoint without scheme", g: globalOptions{endpointURL: "127.0.0.1:4566"}, env: envKeys,
			wantErr: `--endpoint-url: endpoint "127.0.0.1:4566" is not an http:// or https:// URL`},
		{name: "bad endpoint variable", env: join(envKeys, []string{"AWS_ENDPOINT_URL", "localhost"}),
			wantErr: `endpoint "localhost" is not an http:// or https:// URL`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clearAWSEnv(t)
			for i := 0; i < len(tc.env); i += 2 {
				t.Setenv(tc.env[i], tc.env[i+1])
			}
			got, err := tc.g.resolveAWS(t.Context())
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.NotContains(t, err.Error(), "\n")
				return
			}
			require.NoError(t, err)
			creds, err := got.Credentials.Retrieve(t.Context())
			require.NoError(t, err)
			require.Equal(t, tc.wantID, creds.AccessKeyID)
			require.Equal(t, tc.wantID, got.AccessKeyID)
			require.Equal(t, tc.wantToken, creds.SessionToken)
			require.NotEmpty(t, creds.SecretAccessKey)
			require.Equal(t, tc.wantFrom, got.CredentialsFrom)
			require.Equal(t, tc.wantRegion, got.Region)
			require.Equal(t, tc.wantEP, got.Endpoint)
		})
	}
}
