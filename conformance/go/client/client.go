package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultRegion is what the SDK fills in for an empty workflow region.
const DefaultRegion = "nb"

// Client talks to one endpoint with one AK/SK pair.
type Client struct {
	// Endpoint is "http(s)://host[:port]" with no trailing slash (the SDK's
	// CheckEndPoint rule); request paths are appended to it verbatim.
	Endpoint  string
	AccessKey string
	SecretKey string

	// HTTP is the transport; nil means a client with a 30 s timeout.
	HTTP *http.Client
	// Now is the clock used for the Date header; nil means time.Now.
	Now func() time.Time
	// UserAgent is sent when non-empty.
	UserAgent string
	// ResourceOwner, when non-empty, is sent as X-Resource-Owner on the calls
	// where the SDK sends it (history, batch stop/rerun, workflows, variables).
	ResourceOwner string
	// Lenient disables the response-header checks (X-Reqid, exact
	// Content-Type); the SDK itself does not make them.
	Lenient bool
	// Trace, when set, sees every exchange.
	Trace func(Exchange)
}

// Exchange is one request/response pair, for tracing.
type Exchange struct {
	Method, URL  string
	ReqHeader    http.Header
	ReqBody      []byte
	StatusCode   int
	RespHeader   http.Header
	RespBody     []byte
	TransportErr error
}

// New returns a client; endpoint must not end with "/".
func New(endpoint, ak, sk string) (*Client, error) {
	if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
		return nil, fmt.Errorf("endpoint %q must start with http:// or https://", endpoint)
	}
	if strings.HasSuffix(endpoint, "/") {
		return nil, fmt.Errorf("endpoint %q must not end with /", endpoint)
	}
	return &Client{Endpoint: endpoint, AccessKey: ak, SecretKey: sk}, nil
}

// Request is one API call before signing.
type Request struct {
	Method string
	Path   string     // "/v2/..."; the signed resource
	Query  url.Values // appended after "?"; never signed
	// ContentType is sent only when non-empty (the SDK sets it only on some calls).
	ContentType string
	// Body is sent when non-nil; a nil body on POST/PUT goes out with Content-Length: 0.
	Body []byte
	// Owner adds X-Resource-Owner when the client has one.
	Owner bool
	// Header holds extra request headers (e.g. X-Qiniu-*), signed per §2.2.
	Header http.Header
	// Authorization, when non-empty, replaces the computed signature (tokens,
	// deliberately bad signatures, doc-form signatures).
	Authorization string
	// AuthFunc, when set, computes the Authorization header from the
	// finished request (used to sign in the documented form).
	AuthFunc func(*http.Request) string
}

// Response is a raw response.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// NewHTTPRequest builds and signs the *http.Request for r.
func (c *Client) NewHTTPRequest(r Request) (*http.Request, error) {
	u := c.Endpoint + r.Path
	if len(r.Query) > 0 {
		u += "?" + r.Query.Encode()
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequest(r.Method, u, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Date", c.now().UTC().Format(http.TimeFormat))
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if r.Owner && c.ResourceOwner != "" {
		req.Header.Set("X-Resource-Owner", c.ResourceOwner)
	}
	switch {
	case r.Authorization != "":
		req.Header.Set("Authorization", r.Authorization)
	case r.AuthFunc != nil:
		req.Header.Set("Authorization", r.AuthFunc(req))
	default:
		SignRequest(req, c.AccessKey, c.SecretKey)
	}
	return req, nil
}

// Raw sends r and returns the response without interpreting it.
func (c *Client) Raw(r Request) (*Response, error) {
	req, err := c.NewHTTPRequest(r)
	if err != nil {
		return nil, err
	}
	ex := Exchange{Method: req.Method, URL: req.URL.String(), ReqHeader: req.Header.Clone(), ReqBody: r.Body}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		ex.TransportErr = err
		c.trace(ex)
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	ex.StatusCode, ex.RespHeader, ex.RespBody, ex.TransportErr = resp.StatusCode, resp.Header, b, err
	c.trace(ex)
	if err != nil {
		return nil, err
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

func (c *Client) trace(ex Exchange) {
	if c.Trace != nil {
		c.Trace(ex)
	}
}

// Do sends r and decodes the response like the SDK: exactly 200 is success
// and, when out is non-nil, the body is json.Unmarshal-ed into out; any
// other status becomes an *Error. Response-header violations become a
// *ProtocolError unless the client is Lenient.
func (c *Client) Do(r Request, out any) error {
	resp, err := c.Raw(r)
	if err != nil {
		return err
	}
	return c.interpret(r, resp, out)
}

func (c *Client) interpret(r Request, resp *Response, out any) error {
	ct := resp.Header.Get("Content-Type")
	reqID := resp.Header.Get("X-Reqid")
	var problems []string
	if !c.Lenient {
		if reqID == "" {
			problems = append(problems, "missing or empty X-Reqid header")
		}
		if ct != "application/json" {
			problems = append(problems, fmt.Sprintf("Content-Type is %q, want exactly \"application/json\"", ct))
		}
	}
	if resp.StatusCode == http.StatusOK {
		if len(problems) > 0 {
			return &ProtocolError{Method: r.Method, Path: r.Path, StatusCode: resp.StatusCode, Problems: problems, Body: string(resp.Body)}
		}
		if out != nil {
			if err := json.Unmarshal(resp.Body, out); err != nil {
				return &DecodeError{Method: r.Method, Path: r.Path, Body: string(resp.Body), Err: err}
			}
		}
		return nil
	}
	e := buildError(resp.StatusCode, ct, reqID, resp.Body)
	if len(problems) > 0 {
		return &ProtocolError{Method: r.Method, Path: r.Path, StatusCode: resp.StatusCode, Problems: problems, Body: string(resp.Body), Inner: e}
	}
	return e
}

// jsonRequest builds a request whose body is json.Marshal(v).
func jsonRequest(method, path string, v any, contentType bool) (Request, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Request{}, err
	}
	r := Request{Method: method, Path: path, Body: b}
	if contentType {
		r.ContentType = "application/json"
	}
	return r, nil
}

func (c *Client) doJSON(method, path string, in any, contentType, owner bool, out any) error {
	r, err := jsonRequest(method, path, in, contentType)
	if err != nil {
		return err
	}
	r.Owner = owner
	return c.Do(r, out)
}
