package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openkvs/openkvs/internal/errkind"
)

const (
	algorithm  = "AWS4-HMAC-SHA256"
	timeFormat = "20060102T150405Z"
	dateFormat = "20060102"
	// EmptyPayloadHash is the hex SHA-256 of no bytes. Streaming PutMedia
	// bodies are signed with it.
	EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	// maxPresignExpiry is the longest X-Amz-Expires SigV4 allows (7 days).
	maxPresignExpiry = 7 * 24 * time.Hour
)

// Mode selects how strictly requests are checked.
type Mode int

const (
	// ModeSigV4 verifies every signature against the stored secret.
	ModeSigV4 Mode = iota
	// ModeNone accepts any well-formed SigV4 request with any access key,
	// for local development, as LocalStack does. It still rejects requests
	// with no or malformed credentials, so clients behave as against AWS.
	ModeNone
)

// SecretLookup returns the secret access key for an access key ID.
type SecretLookup func(accessKeyID string) (secret string, ok bool)

// Verifier checks SigV4 signatures for one region and signing service.
type Verifier struct {
	Region  string
	Service string
	Mode    Mode
	Secrets SecretLookup
	// MaxSkew is how far X-Amz-Date may be from Now; AWS allows 15 minutes.
	MaxSkew time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	keysMu sync.RWMutex
	keys   map[string]cachedKey
}

// Identity is who signed a request.
type Identity struct {
	AccessKeyID   string
	SecurityToken string
}

// signature holds the parsed SigV4 parameters, from the Authorization
// header or from presigned query parameters.
type signature struct {
	accessKey     string
	date          string // yyyymmdd from the scope
	region        string
	service       string
	terminator    string
	signedHeaders []string
	signature     string
	amzDate       string
	presigned     bool
	expires       time.Duration
}

// Verify checks r. payloadHash is the hex SHA-256 of the body that the
// caller read, or "" for a streamed body that is not hashed (PutMedia, which
// clients sign with EmptyPayloadHash).
func (v *Verifier) Verify(r *http.Request, payloadHash string) (Identity, error) {
	sig, err := parseSignature(r)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{AccessKeyID: sig.accessKey, SecurityToken: r.Header.Get("X-Amz-Security-Token")}
	if sig.presigned {
		id.SecurityToken = r.URL.Query().Get("X-Amz-Security-Token")
	}
	signedAt, err := time.Parse(timeFormat, sig.amzDate)
	if err != nil {
		return Identity{}, errkind.New(ErrIncompleteSignature, "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", sig.amzDate)
	}
	if err := v.checkScope(sig); err != nil {
		return Identity{}, err
	}
	if err := v.checkTime(sig, signedAt); err != nil {
		return Identity{}, err
	}
	payloadHash, err = signedPayloadHash(r.Header.Get("X-Amz-Content-Sha256"), payloadHash)
	if err != nil {
		return Identity{}, err
	}
	if v.Mode == ModeNone {
		return id, nil
	}
	secret, ok := v.Secrets(sig.accessKey)
	if !ok {
		return Identity{}, errkind.New(ErrUnknownKey, "The security token included in the request is invalid.")
	}
	want := computeSignature(v.signingKey(secret, sig), sig, canonicalRequest(r, sig, payloadHash))
	if !hmac.Equal([]byte(want), []byte(sig.signature)) {
		return Identity{}, errkind.New(ErrSignatureMismatch, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return id, nil
}

func (v *Verifier) checkScope(sig signature) error {
	if sig.date != sig.amzDate[:8] {
		return errkind.New(ErrSignatureMismatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", sig.date, sig.amzDate[:8], sig.amzDate)
	}
	if sig.region != v.Region {
		return errkind.New(ErrSignatureMismatch, "Credential should be scoped to a valid region, not '%s'. ", sig.region)
	}
	if sig.service != v.Service {
		return errkind.New(ErrSignatureMismatch, "Credential should be scoped to correct service: '%s'. ", v.Service)
	}
	if sig.terminator != "aws4_request" {
		return errkind.New(ErrSignatureMismatch, "Credential should be scoped with a valid terminator: 'aws4_request', not '%s'. ", sig.terminator)
	}
	return nil
}

func (v *Verifier) checkTime(sig signature, signedAt time.Time) error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	t := now().UTC()
	if sig.presigned {
		if t.After(signedAt.Add(sig.expires)) {
			return errkind.New(ErrRequestExpired, "Request has expired: signed at %s with X-Amz-Expires=%d, now %s.",
				sig.amzDate, int(sig.expires/time.Second), t.Format(timeFormat))
		}
		if signedAt.After(t.Add(v.MaxSkew)) {
			return errkind.New(ErrSignatureMismatch, "Signature not yet current: %s is still later than %s (%s + %d min.)",
				sig.amzDate, t.Add(v.MaxSkew).Format(timeFormat), t.Format(timeFormat), int(v.MaxSkew/time.Minute))
		}
		return nil
	}
	if signedAt.Before(t.Add(-v.MaxSkew)) {
		return errkind.New(ErrSignatureMismatch, "Signature expired: %s is now earlier than %s (%s - %d min.)",
			sig.amzDate, t.Add(-v.MaxSkew).Format(timeFormat), t.Format(timeFormat), int(v.MaxSkew/time.Minute))
	}
	if signedAt.After(t.Add(v.MaxSkew)) {
		return errkind.New(ErrSignatureMismatch, "Signature not yet current: %s is still later than %s (%s + %d min.)",
			sig.amzDate, t.Add(v.MaxSkew).Format(timeFormat), t.Format(timeFormat), int(v.MaxSkew/time.Minute))
	}
	return nil
}

func parseSignature(r *http.Request) (signature, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		return parseAuthorization(h, r)
	}
	q := r.URL.Query()
	if q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential") || q.Has("X-Amz-Algorithm") {
		return parsePresigned(q)
	}
	return signature{}, errkind.New(ErrMissingAuth, "Missing Authentication Token")
}

func parseAuthorization(h string, r *http.Request) (signature, error) {
	alg, rest, _ := strings.Cut(h, " ")
	if alg != algorithm {
		return signature{}, errkind.New(ErrIncompleteSignature, "Unsupported AWS 'algorithm': '%s'. Expected '%s'.", alg, algorithm)
	}
	params := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			params[k] = v
		}
	}
	var missing []string
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if params[k] == "" {
			missing = append(missing, "Authorization header requires '"+k+"' parameter.")
		}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		if d, err := http.ParseTime(r.Header.Get("Date")); err == nil {
			amzDate = d.UTC().Format(timeFormat)
		} else {
			missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
		}
	}
	if len(missing) > 0 {
		return signature{}, errkind.New(ErrIncompleteSignature, "%s Authorization=%s", strings.Join(missing, " "), h)
	}
	sig := signature{signature: params["Signature"], amzDate: amzDate}
	if err := sig.setCredential(params["Credential"]); err != nil {
		return signature{}, err
	}
	if err := sig.setSignedHeaders(params["SignedHeaders"]); err != nil {
		return signature{}, err
	}
	return sig, nil
}

func parsePresigned(q url.Values) (signature, error) {
	var missing []string
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if q.Get(k) == "" {
			missing = append(missing, "'"+k+"'")
		}
	}
	if len(missing) > 0 {
		return signature{}, errkind.New(ErrIncompleteSignature, "AWS query-string parameters must include %s. Re-examine the query-string parameters.", strings.Join(missing, ", "))
	}
	if alg := q.Get("X-Amz-Algorithm"); alg != algorithm {
		return signature{}, errkind.New(ErrIncompleteSignature, "Unsupported AWS 'algorithm': '%s'. Expected '%s'.", alg, algorithm)
	}
	secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || secs < 0 || time.Duration(secs)*time.Second > maxPresignExpiry {
		return signature{}, errkind.New(ErrIncompleteSignature, "X-Amz-Expires must be a non-negative integer of at most %d seconds.", int(maxPresignExpiry/time.Second))
	}
	sig := signature{
		signature: q.Get("X-Amz-Signature"),
		amzDate:   q.Get("X-Amz-Date"),
		presigned: true,
		expires:   time.Duration(secs) * time.Second,
	}
	if err := sig.setCredential(q.Get("X-Amz-Credential")); err != nil {
		return signature{}, err
	}
	if err := sig.setSignedHeaders(q.Get("X-Amz-SignedHeaders")); err != nil {
		return signature{}, err
	}
	return sig, nil
}

func (s *signature) setCredential(cred string) error {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 || parts[0] == "" {
		return errkind.New(ErrIncompleteSignature, "Credential should have the form <access key>/<yyyymmdd>/<region>/<service>/aws4_request, got '%s'.", cred)
	}
	s.accessKey, s.date, s.region, s.service, s.terminator = parts[0], parts[1], parts[2], parts[3], parts[4]
	return nil
}

func (s *signature) setSignedHeaders(list string) error {
	s.signedHeaders = strings.Split(list, ";")
	if !slices.Contains(s.signedHeaders, "host") {
		return errkind.New(ErrIncompleteSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	return nil
}

// signedPayloadHash returns the payload hash the client signed. A client may
// state it in x-amz-content-sha256; when the body was read, that statement
// must be true, or a tampered body would pass with a valid signature.
func signedPayloadHash(claimed, computed string) (string, error) {
	switch {
	case computed == "" && claimed != "":
		return claimed, nil
	case computed == "":
		return EmptyPayloadHash, nil
	case claimed == "" || claimed == computed:
		return computed, nil
	case claimed == "UNSIGNED-PAYLOAD":
		return claimed, nil
	}
	return "", errkind.New(ErrSignatureMismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
}

// canonicalRequest builds the SigV4 canonical request from r as received.
func canonicalRequest(r *http.Request, sig signature, payloadHash string) string {
	var b strings.Builder
	b.Grow(512)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, sig.presigned))
	b.WriteByte('\n')
	for _, name := range sig.signedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(sig.signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// headerValue returns a signed header's canonical value. Go's server moves
// Host and Transfer-Encoding out of the header map, so they are read back
// from where it put them.
func headerValue(r *http.Request, name string) string {
	var values []string
	switch name {
	case "host":
		values = []string{r.Host}
	case "transfer-encoding":
		values = r.TransferEncoding
	case "content-length":
		values = r.Header.Values("Content-Length")
		if len(values) == 0 && r.ContentLength >= 0 {
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		values = r.Header.Values(name)
	}
	for i, v := range values {
		values[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(values, ",")
}

// canonicalURI encodes the path once more, as SigV4 requires for every
// service but S3.
func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	return uriEncode(p, false)
}

func canonicalQuery(raw string, presigned bool) string {
	if raw == "" {
		return ""
	}
	type pair struct{ k, v string }
	var pairs []pair
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, pair{uriEncode(k, true), uriEncode(v, true)})
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// uriEncode percent-encodes every byte but the RFC 3986 unreserved ones (and
// '/' unless encodeSlash).
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func computeSignature(key []byte, sig signature, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	scope := sig.date + "/" + sig.region + "/" + sig.service + "/" + sig.terminator
	toSign := algorithm + "\n" + sig.amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

// deriveSigningKey is the SigV4 key for one secret, day, region and
// service.
func deriveSigningKey(secret string, sig signature) []byte {
	key := hmacSHA256([]byte("AWS4"+secret), sig.date)
	key = hmacSHA256(key, sig.region)
	key = hmacSHA256(key, sig.service)
	return hmacSHA256(key, sig.terminator)
}

// signingKey returns the derived key, cached: it changes once a day per
// access key, and deriving it is four of the five HMACs a request costs.
func (v *Verifier) signingKey(secret string, sig signature) []byte {
	id := sig.accessKey + "/" + sig.date + "/" + sig.region + "/" + sig.service + "/" + sig.terminator
	v.keysMu.RLock()
	k, ok := v.keys[id]
	v.keysMu.RUnlock()
	if ok && k.secret == secret {
		return k.key
	}
	key := deriveSigningKey(secret, sig)
	v.keysMu.Lock()
	if v.keys == nil || len(v.keys) >= maxCachedKeys {
		v.keys = make(map[string]cachedKey) // simple bound: start over
	}
	v.keys[id] = cachedKey{secret: secret, key: key}
	v.keysMu.Unlock()
	return key
}

// maxCachedKeys bounds the signing-key cache (one entry per access key and
// day in practice).
const maxCachedKeys = 1024

type cachedKey struct {
	secret string
	key    []byte
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// PayloadHash returns the hex SHA-256 of body.
func PayloadHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
