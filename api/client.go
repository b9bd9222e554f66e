package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Environment variables read by DefaultConfig.
const (
	EnvAddress   = "DROVER_ADDR"
	EnvToken     = "DROVER_TOKEN"
	EnvNamespace = "DROVER_NAMESPACE"
	EnvRegion    = "DROVER_REGION"
)

// DefaultAddress is the agent's HTTP address when DROVER_ADDR is unset.
const DefaultAddress = "http://127.0.0.1:8646"

// HTTP headers of the drover API.
const (
	HeaderToken       = "X-Drover-Token"
	HeaderIndex       = "X-Drover-Index"
	HeaderKnownLeader = "X-Drover-KnownLeader"
	HeaderLastContact = "X-Drover-LastContact"
)

// Config configures a Client.
type Config struct {
	// Address is the agent's base URL, e.g. http://127.0.0.1:8646.
	Address string
	// Token is sent as X-Drover-Token when not empty.
	Token string
	// Namespace and Region are the defaults for every request.
	Namespace string
	Region    string
	// HTTPClient sends the requests; nil means a client without timeout, so
	// that blocking queries can wait.
	HTTPClient *http.Client
	// TLSConfig configures HTTPS (tls.go); nil uses Go's defaults.
	TLSConfig *TLSConfig
}

// DefaultConfig returns a Config filled from the DROVER_* environment.
func DefaultConfig() *Config {
	cfg := &Config{Address: DefaultAddress}
	if v := os.Getenv(EnvAddress); v != "" {
		cfg.Address = v
	}
	cfg.Token = os.Getenv(EnvToken)
	cfg.Namespace = os.Getenv(EnvNamespace)
	cfg.Region = os.Getenv(EnvRegion)
	cfg.TLSConfig = tlsFromEnv()
	return cfg
}

// Client talks to one drover agent over HTTP. It is safe for concurrent
// use.
type Client struct {
	cfg  Config
	base *url.URL
	http *http.Client
	tls  *tls.Config // nil: Go's defaults
}

// NewClient returns a client for cfg; a nil cfg means DefaultConfig().
func NewClient(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	c := &Client{cfg: *cfg}
	if c.cfg.Address == "" {
		c.cfg.Address = DefaultAddress
	}
	base, err := url.Parse(c.cfg.Address)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, addressError(c.cfg.Address)
	}
	c.base = base
	c.http = cfg.HTTPClient
	if c.http == nil {
		c.http = &http.Client{}
	}
	if !cfg.TLSConfig.empty() {
		if c.tls, err = cfg.TLSConfig.ClientTLS(); err != nil {
			return nil, err
		}
		if c.http, err = withTLS(cfg.HTTPClient, c.tls); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// addressError explains an agent address that is not an http:// or
// https:// URL, suggesting the likely fix.
func addressError(addr string) error {
	if !strings.Contains(addr, "://") {
		return fmt.Errorf("address %q has no scheme: use a URL such as http://%s (https:// for an agent with TLS)", addr, addr)
	}
	return fmt.Errorf("address %q is not an http:// or https:// URL: use one such as %s", addr, DefaultAddress)
}

// transportError adds what to do to an error that kept a request from
// reaching the agent: nothing listening, an unknown host, or HTTPS
// spoken to a plain-HTTP agent. Other errors are returned as they are.
func (c *Client) transportError(err error) error {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w (no drover agent is listening at %s: start one, e.g. \"drover agent -dev\", or point -address or %s at a running agent)",
			err, c.cfg.Address, EnvAddress)
	case errors.As(err, &dnsErr):
		return fmt.Errorf("%w (check the host name in the agent address %s, set with -address or %s)", err, c.cfg.Address, EnvAddress)
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("%w (the agent does not use TLS: use an http:// address)", err)
	case c.refusedForNoClientCert(err):
		return fmt.Errorf("%w (the agent requires a client certificate: pass -client-cert and -client-key, or set %s and %s)",
			err, EnvClientCert, EnvClientKey)
	}
	return err
}

// refusedForNoClientCert reports whether an HTTPS request without a client
// certificate was cut off. With TLS 1.3 the server checks the certificate
// after the client's handshake has finished, so the refusal shows up as an
// alert ("certificate required") or, when the request was already being
// written, as a broken pipe or a reset.
func (c *Client) refusedForNoClientCert(err error) bool {
	if !strings.HasPrefix(c.cfg.Address, "https://") || (c.cfg.TLSConfig != nil && c.cfg.TLSConfig.ClientCert != "") {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "certificate required") || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

// Address returns the agent address the client uses.
func (c *Client) Address() string { return c.cfg.Address }

// QueryOptions tune a read.
type QueryOptions struct {
	Namespace  string
	Region     string
	AllowStale bool
	// WaitIndex makes the read block until the data's index exceeds it.
	WaitIndex uint64
	// WaitTime bounds a blocking read; zero means the server's default.
	WaitTime time.Duration
	Prefix   string
	Params   map[string]string
	// AuthToken overrides the client's token for this request.
	AuthToken string

	ctx context.Context
}

// WithContext returns a copy of q whose requests use ctx.
func (q *QueryOptions) WithContext(ctx context.Context) *QueryOptions {
	out := &QueryOptions{}
	if q != nil {
		*out = *q
	}
	out.ctx = ctx
	return out
}

// Context returns the request context, context.Background() if none.
func (q *QueryOptions) Context() context.Context {
	if q != nil && q.ctx != nil {
		return q.ctx
	}
	return context.Background()
}

// QueryMeta describes the answer to a read.
type QueryMeta struct {
	// LastIndex is the index to pass as WaitIndex to block for a change.
	LastIndex   uint64
	LastContact time.Duration
	KnownLeader bool
	RequestTime time.Duration
}

// WriteOptions tune a write.
type WriteOptions struct {
	Namespace string
	Region    string
	AuthToken string

	ctx context.Context
}

// WithContext returns a copy of w whose requests use ctx.
func (w *WriteOptions) WithContext(ctx context.Context) *WriteOptions {
	out := &WriteOptions{}
	if w != nil {
		*out = *w
	}
	out.ctx = ctx
	return out
}

// Context returns the request context, context.Background() if none.
func (w *WriteOptions) Context() context.Context {
	if w != nil && w.ctx != nil {
		return w.ctx
	}
	return context.Background()
}

// WriteMeta describes the answer to a write.
type WriteMeta struct {
	LastIndex   uint64
	RequestTime time.Duration
}

// UnexpectedResponseError is returned for any non-2xx answer.
type UnexpectedResponseError struct {
	StatusCode int
	Body       string
}

func (e *UnexpectedResponseError) Error() string {
	return fmt.Sprintf("Unexpected response code: %d (%s)", e.StatusCode, strings.TrimSpace(e.Body))
}

// IsNotFound reports whether err is a 404 answer from the agent.
func IsNotFound(err error) bool {
	var ue *UnexpectedResponseError
	return errors.As(err, &ue) && ue.StatusCode == http.StatusNotFound
}

// request is one HTTP call being built.
type request struct {
	method string
	path   string
	params url.Values
	token  string
	body   interface{}
	ctx    context.Context
}

func (c *Client) newRequest(method, path string) *request {
	r := &request{method: method, path: path, params: url.Values{}, token: c.cfg.Token, ctx: context.Background()}
	if c.cfg.Namespace != "" {
		r.params.Set("namespace", c.cfg.Namespace)
	}
	if c.cfg.Region != "" {
		r.params.Set("region", c.cfg.Region)
	}
	return r
}

func (r *request) setQuery(q *QueryOptions) {
	if q == nil {
		return
	}
	setIf(r.params, "namespace", q.Namespace)
	setIf(r.params, "region", q.Region)
	setIf(r.params, "prefix", q.Prefix)
	if q.AllowStale {
		r.params.Set("stale", "")
	}
	if q.WaitIndex != 0 {
		r.params.Set("index", strconv.FormatUint(q.WaitIndex, 10))
	}
	if q.WaitTime != 0 {
		r.params.Set("wait", durToMillis(q.WaitTime))
	}
	for k, v := range q.Params {
		r.params.Set(k, v)
	}
	if q.AuthToken != "" {
		r.token = q.AuthToken
	}
	r.ctx = q.Context()
}

func (r *request) setWrite(w *WriteOptions) {
	if w == nil {
		return
	}
	setIf(r.params, "namespace", w.Namespace)
	setIf(r.params, "region", w.Region)
	if w.AuthToken != "" {
		r.token = w.AuthToken
	}
	r.ctx = w.Context()
}

func setIf(v url.Values, key, val string) {
	if val != "" {
		v.Set(key, val)
	}
}

// durToMillis formats a wait time as Nomad does: "1500ms".
func durToMillis(d time.Duration) string {
	ms := d.Milliseconds()
	if ms == 0 && d > 0 {
		ms = 1
	}
	return strconv.FormatInt(ms, 10) + "ms"
}

// requestURL is the agent URL of r. r.path holds escaped IDs
// (escape), so it goes into RawPath: setting only Path would escape the
// '%' again and the agent would look up "we%3Fird" for the job "we?ird".
func (c *Client) requestURL(r *request) url.URL {
	u := *c.base
	raw := strings.TrimSuffix(u.EscapedPath(), "/") + r.path
	path, err := url.PathUnescape(raw)
	if err != nil { // cannot happen for paths built with escape
		path = raw
	}
	u.Path, u.RawPath = path, raw
	u.RawQuery = r.params.Encode()
	return u
}

// do sends r and returns the response when it is 2xx.
func (c *Client) do(r *request) (*http.Response, time.Duration, error) {
	u := c.requestURL(r)
	var body io.Reader
	if r.body != nil {
		buf, err := json.Marshal(r.body)
		if err != nil {
			return nil, 0, fmt.Errorf("encode request body: %w", err)
		}
		body = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(r.ctx, r.method, u.String(), body)
	if err != nil {
		return nil, 0, err
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set(HeaderToken, r.token)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	elapsed := time.Since(start)
	if err != nil {
		return nil, elapsed, c.transportError(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, elapsed, &UnexpectedResponseError{StatusCode: resp.StatusCode, Body: string(msg)}
	}
	return resp, elapsed, nil
}

// query GETs path into out and returns the query metadata.
func (c *Client) query(path string, out interface{}, q *QueryOptions) (*QueryMeta, error) {
	r := c.newRequest(http.MethodGet, path)
	r.setQuery(q)
	resp, rtt, err := c.do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	qm := parseQueryMeta(resp)
	qm.RequestTime = rtt
	if err := decodeBody(resp, out); err != nil {
		return nil, err
	}
	return qm, nil
}

// write sends method path with body in, decoding the answer into out.
func (c *Client) write(method, path string, in, out interface{}, w *WriteOptions) (*WriteMeta, error) {
	r := c.newRequest(method, path)
	r.setWrite(w)
	r.body = in
	return c.send(r, out)
}

func (c *Client) send(r *request, out interface{}) (*WriteMeta, error) {
	resp, rtt, err := c.do(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	wm := &WriteMeta{RequestTime: rtt}
	wm.LastIndex, _ = strconv.ParseUint(resp.Header.Get(HeaderIndex), 10, 64)
	if err := decodeBody(resp, out); err != nil {
		return nil, err
	}
	return wm, nil
}

func decodeBody(resp *http.Response, out interface{}) error {
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode response of %s %s: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	return nil
}

func parseQueryMeta(resp *http.Response) *QueryMeta {
	qm := &QueryMeta{}
	h := resp.Header
	qm.LastIndex, _ = strconv.ParseUint(h.Get(HeaderIndex), 10, 64)
	qm.KnownLeader = h.Get(HeaderKnownLeader) == "true"
	if ms, err := strconv.ParseUint(h.Get(HeaderLastContact), 10, 64); err == nil {
		qm.LastContact = time.Duration(ms) * time.Millisecond
	}
	return qm
}

// escape makes an ID safe to place in a URL path segment.
func escape(id string) string { return url.PathEscape(id) }
