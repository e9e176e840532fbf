package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// defaultRegion is the region used when neither a flag, the environment nor
// the profile names one.
const defaultRegion = "us-east-1"

// awsSettings are the resolved endpoint, region and credentials of a
// command.
type awsSettings struct {
	Endpoint    string // control-plane URL, without a trailing slash
	Region      string
	Credentials aws.CredentialsProvider
}

// resolveAWS resolves the settings the way the AWS CLI and
// aws-sdk-go-v2's config.LoadDefaultConfig do for static credentials:
//
//   - region: --region, $AWS_REGION, $AWS_DEFAULT_REGION, the profile's
//     region, else us-east-1;
//   - credentials: with an explicit profile (--profile or $AWS_PROFILE), that
//     profile of the shared credentials file, then of the shared config file;
//     otherwise $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY/$AWS_SESSION_TOKEN,
//     then the "default" profile. $AWS_SHARED_CREDENTIALS_FILE and
//     $AWS_CONFIG_FILE move the files.
//
// It is written here because github.com/aws/aws-sdk-go-v2/config (and its
// SSO, STS and IMDS dependencies) is not a dependency of the module yet;
// profiles that need those (role_arn, sso_*, credential_process) are
// reported as unsupported. Once config is in go.mod this becomes a call to
// config.LoadDefaultConfig with WithSharedConfigProfile and WithRegion.
func (g *globalOptions) resolveAWS(ctx context.Context, env func(string) (string, bool)) (awsSettings, error) {
	if env == nil {
		env = os.LookupEnv
	}
	getenv := func(k string) string {
		v, _ := env(k)
		return strings.TrimSpace(v)
	}
	explicitProfile := g.profile != "" || getenv("AWS_PROFILE") != ""
	profile := g.profile
	if profile == "" {
		profile = getenv("AWS_PROFILE")
	}
	if profile == "" {
		profile = "default"
	}
	home, _ := os.UserHomeDir()
	credFile := getenv("AWS_SHARED_CREDENTIALS_FILE")
	if credFile == "" && home != "" {
		credFile = filepath.Join(home, ".aws", "credentials")
	}
	cfgFile := getenv("AWS_CONFIG_FILE")
	if cfgFile == "" && home != "" {
		cfgFile = filepath.Join(home, ".aws", "config")
	}
	creds, err := loadINI(credFile)
	if err != nil {
		return awsSettings{}, err
	}
	cfg, err := loadINI(cfgFile)
	if err != nil {
		return awsSettings{}, err
	}
	// The credentials file names sections by profile; the config file uses
	// "profile <name>" except for "default".
	credSection := creds[profile]
	cfgSection := cfg["profile "+profile]
	if profile == "default" && cfgSection == nil {
		cfgSection = cfg["default"]
	}
	if explicitProfile && credSection == nil && cfgSection == nil {
		return awsSettings{}, fmt.Errorf("profile %q is in neither %s nor %s", profile, credFile, cfgFile)
	}

	var s awsSettings
	s.Region = firstNonEmpty(g.region, getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), cfgSection["region"], defaultRegion)

	var id, secret, token string
	switch {
	case !explicitProfile && getenv("AWS_ACCESS_KEY_ID") != "":
		id, secret, token = getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN")
		if secret == "" {
			return awsSettings{}, errors.New("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
		}
	default:
		for _, sec := range []map[string]string{credSection, cfgSection} {
			if sec["aws_access_key_id"] != "" {
				id, secret, token = sec["aws_access_key_id"], sec["aws_secret_access_key"], sec["aws_session_token"]
				break
			}
		}
		if id == "" {
			for _, k := range []string{"role_arn", "sso_session", "sso_start_url", "credential_process", "web_identity_token_file"} {
				if cfgSection[k] != "" || credSection[k] != "" {
					return awsSettings{}, fmt.Errorf("profile %q uses %s, which kvsctl does not support yet: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead", profile, k)
				}
			}
		}
		if id == "" && explicitProfile {
			return awsSettings{}, fmt.Errorf("profile %q has no aws_access_key_id", profile)
		}
		if id != "" && secret == "" {
			return awsSettings{}, fmt.Errorf("profile %q has aws_access_key_id but no aws_secret_access_key", profile)
		}
	}
	if id == "" {
		return awsSettings{}, errors.New("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use --profile")
	}
	s.Credentials = credentials.NewStaticCredentialsProvider(id, secret, token)

	endpoint := firstNonEmpty(g.endpointURL, getenv("AWS_ENDPOINT_URL_KINESIS_VIDEO"), getenv("AWS_ENDPOINT_URL"))
	if endpoint == "" {
		endpoint = "https://kinesisvideo." + s.Region + ".amazonaws.com"
		if strings.HasPrefix(s.Region, "cn-") {
			endpoint += ".cn"
		}
	}
	if s.Endpoint, err = checkEndpoint(endpoint); err != nil {
		return awsSettings{}, err
	}
	_ = ctx // the SDK's loader takes a context; static credentials need none
	return s, nil
}

// checkEndpoint validates an endpoint URL and returns it without a trailing
// slash.
func checkEndpoint(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("endpoint %q is not an http:// or https:// URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("endpoint %q must not have a query or fragment", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// loadINI reads an AWS shared config or credentials file: "[section]"
// headers and "key = value" lines; '#' and ';' start comments. Nested
// (indented) sub-properties, which only S3 settings use, are skipped. A
// missing file is empty.
func loadINI(path string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	if path == "" {
		return out, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read AWS config: %w", err)
	}
	defer f.Close()
	var cur map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		indented := len(line) > 0 && (line[0] == ' ' || line[0] == '\t')
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return nil, fmt.Errorf("read AWS config %s: bad section line %q", path, line)
			}
			name := strings.Join(strings.Fields(line[1:end]), " ")
			if out[name] == nil {
				out[name] = map[string]string{}
			}
			cur = out[name]
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || cur == nil || indented {
			continue
		}
		cur[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read AWS config %s: %w", path, err)
	}
	return out, nil
}
