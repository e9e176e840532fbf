// Package config loads kvsd's settings from defaults, an optional YAML file,
// KVSD_* environment variables and command-line flags, in that order of
// precedence (flags win), and validates them once, at start.
//
// Every setting is declared once, as a flag; the YAML key is the flag name
// and the environment variable is KVSD_ plus the flag name in upper case with
// '-' as '_'. So the three sources can never drift apart.
package config
