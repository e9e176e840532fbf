package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
)

// defaultRegion is the region used when neither a flag, the environment nor
// the profile names one. The SDK itself would fail without a region, but
// kvsd accepts any, and local use should need no setup.
const defaultRegion = "us-east-1"

// credentialsTimeout bounds the first credentials lookup. Without keys in
// the environment or a profile, the SDK asks the EC2 instance metadata
// service, which does not answer off EC2.
const credentialsTimeout = 10 * time.Second

// CLI retry policy: a person waits at the terminal, so give up quickly.
const (
	cliMaxAttempts = 3
	cliMaxBackoff  = 2 * time.Second
)

// awsSettings are the resolved endpoint, region and credentials of a
// command.
type awsSettings struct {
	// Config is what config.LoadDefaultConfig resolved; the kinesisvideo
	// client is built from it.
	Config aws.Config
	// Endpoint is the control-plane URL without a trailing slash: the
	// configured one, or the AWS endpoint of the region.
	Endpoint string
	// endpointSet reports whether Endpoint was configured (flag,
	// environment or profile) rather than derived from the region.
	endpointSet bool
	Region      string
	Credentials aws.CredentialsProvider
	// CredentialsFrom says where the credentials came from, for errors:
	// `environment variables (AWS_ACCESS_KEY_ID)` or `profile "dev" (file)`.
	CredentialsFrom string
	// AccessKeyID is the key in use, shown when the server rejects it.
	AccessKeyID string
}

// resolveAWS resolves the settings with aws-sdk-go-v2's
// config.LoadDefaultConfig, as the AWS CLI does:
//
//   - region: --region, $AWS_REGION, $AWS_DEFAULT_REGION, the profile's
//     region, else us-east-1;
//   - credentials: --profile; else $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY
//     ($AWS_SESSION_TOKEN); else the profile $AWS_PROFILE or "default" of
//     ~/.aws/credentials and ~/.aws/config ($AWS_SHARED_CREDENTIALS_FILE,
//     $AWS_CONFIG_FILE), including role, SSO and process profiles; else the
//     container or EC2 instance role;
//   - endpoint: --endpoint-url, $AWS_ENDPOINT_URL_KINESIS_VIDEO,
//     $AWS_ENDPOINT_URL, the profile's services section for kinesis_video,
//     the profile's endpoint_url, else the AWS endpoint of the region.
func (g *globalOptions) resolveAWS(ctx context.Context) (awsSettings, error) {
	if g.endpointURL != "" {
		if _, err := checkEndpoint(g.endpointURL); err != nil {
			return awsSettings{}, fmt.Errorf("--endpoint-url: %w", err)
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, g.loadOptions()...)
	if err != nil {
		return awsSettings{}, explainConfigError(g.profileName(), err)
	}
	s := awsSettings{Config: cfg, Region: cfg.Region, Credentials: cfg.Credentials}
	if err := s.resolveEndpoint(ctx, g.endpointURL); err != nil {
		return awsSettings{}, err
	}
	if err := s.retrieveCredentials(ctx, g); err != nil {
		return awsSettings{}, err
	}
	return s, nil
}

// loadOptions are the LoadDefaultConfig options the flags ask for.
func (g *globalOptions) loadOptions() []func(*config.LoadOptions) error {
	opts := []func(*config.LoadOptions) error{
		config.WithDefaultRegion(defaultRegion),
		config.WithRetryer(newCLIRetryer),
	}
	if g.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(g.profile))
	}
	if g.region != "" {
		opts = append(opts, config.WithRegion(g.region))
	}
	return opts
}

// newCLIRetryer is the SDK's standard retryer with fewer, shorter retries,
// and none at all when the endpoint cannot be reached: a refused
// connection or an unknown host does not fix itself in a second.
func newCLIRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = cliMaxAttempts
		o.MaxBackoff = cliMaxBackoff
		o.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			if unreachableReason(err) != "" {
				return aws.FalseTernary
			}
			return aws.UnknownTernary
		})}, o.Retryables...)
	})
}

// profileName is the profile the SDK reads: --profile, $AWS_PROFILE or
// "default".
func (g *globalOptions) profileName() string {
	return firstNonEmpty(g.profile, strings.TrimSpace(os.Getenv("AWS_PROFILE")), "default")
}

// explainConfigError rewrites the SDK's configuration errors that a user
// meets most: a misspelt profile.
func explainConfigError(profile string, err error) error {
	var notExist config.SharedConfigProfileNotExistError
	if errors.As(err, &notExist) {
		return &cliError{msg: fmt.Sprintf("profile %q is in neither %s", notExist.Profile, strings.Join(sharedFiles(), " nor ")), err: err}
	}
	return &cliError{msg: fmt.Sprintf("load AWS configuration (profile %q): %s", profile, oneLine(err.Error())), err: err}
}

// sharedFiles are the shared config and credentials file paths in use.
func sharedFiles() []string {
	return []string{
		firstNonEmpty(os.Getenv("AWS_CONFIG_FILE"), config.DefaultSharedConfigFilename()),
		firstNonEmpty(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), config.DefaultSharedCredentialsFilename()),
	}
}

// resolveEndpoint sets s.Endpoint from the flag, the configuration sources
// or the region.
func (s *awsSettings) resolveEndpoint(ctx context.Context, flag string) error {
	raw := flag
	if raw == "" {
		raw = configuredEndpoint(ctx, s.Config)
	}
	if raw == "" {
		s.Endpoint = "https://kinesisvideo." + s.Region + ".amazonaws.com"
		if strings.HasPrefix(s.Region, "cn-") {
			s.Endpoint += ".cn"
		}
		return nil
	}
	ep, err := checkEndpoint(raw)
	if err != nil {
		return err
	}
	s.Endpoint, s.endpointSet = ep, true
	return nil
}

// configuredEndpoint returns the Kinesis Video endpoint configured in the
// environment or the profile, in the precedence the AWS SDKs document:
// service-specific before global, environment before profile.
func configuredEndpoint(ctx context.Context, cfg aws.Config) string {
	env, shared := configSources(cfg)
	if env.IgnoreConfiguredEndpoints != nil && *env.IgnoreConfiguredEndpoints ||
		shared.IgnoreConfiguredEndpoints != nil && *shared.IgnoreConfiguredEndpoints {
		return ""
	}
	if ep, ok, _ := env.GetServiceBaseEndpoint(ctx, kinesisvideo.ServiceID); ok {
		return ep
	}
	if env.BaseEndpoint != "" {
		return env.BaseEndpoint
	}
	if ep, ok, _ := shared.GetServiceBaseEndpoint(ctx, kinesisvideo.ServiceID); ok {
		return ep
	}
	return shared.BaseEndpoint
}

// configSources picks the environment and shared-file settings out of
// what LoadDefaultConfig read.
func configSources(cfg aws.Config) (config.EnvConfig, config.SharedConfig) {
	var (
		env    config.EnvConfig
		shared config.SharedConfig
	)
	for _, src := range cfg.ConfigSources {
		switch c := src.(type) {
		case config.EnvConfig:
			env = c
		case *config.EnvConfig:
			env = *c
		case config.SharedConfig:
			shared = c
		case *config.SharedConfig:
			shared = *c
		}
	}
	return env, shared
}

// retrieveCredentials fetches the credentials once, so that missing ones
// fail before any request, and records where they came from.
func (s *awsSettings) retrieveCredentials(ctx context.Context, g *globalOptions) error {
	ctx, cancel := context.WithTimeout(ctx, credentialsTimeout)
	defer cancel()
	var creds aws.Credentials
	err := errors.New("no credential provider")
	if s.Credentials != nil {
		creds, err = s.Credentials.Retrieve(ctx)
	}
	if err != nil {
		return &cliError{err: err, msg: fmt.Sprintf(
			"no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use --profile with a profile of %s (%s)",
			strings.Join(sharedFiles(), " or "), oneLine(rootCause(err).Error()))}
	}
	s.AccessKeyID = creds.AccessKeyID
	s.CredentialsFrom = credentialsOrigin(g, s.Config)
	return nil
}

// credentialsOrigin names where LoadDefaultConfig took the credentials
// from, following its own precedence.
func credentialsOrigin(g *globalOptions, cfg aws.Config) string {
	env, shared := configSources(cfg)
	if g.profile == "" && env.Credentials.HasKeys() {
		return "environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
	}
	origin := fmt.Sprintf("profile %q", g.profileName())
	if file, ok := strings.CutPrefix(shared.Credentials.Source, "SharedConfigCredentials: "); ok && file != "" {
		origin += " in " + file
	}
	return origin
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
