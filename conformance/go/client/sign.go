// Package client is a strict conformance client for the Pandora batch API v2.
//
// It is written from the Tidemill contract (spec/batch-api.md), not from the
// official Go SDK, but it reproduces the SDK's observable behaviour on the wire:
// the same request bodies and headers (spec §11), the same request signature
// (spec §2.2) and the same response decoding and error classification
// (spec §1.5). On top of that it enforces the response-header MUSTs of §12
// (a non-empty X-Reqid and an exact "application/json" Content-Type).
package client

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// qiniuHeaderPrefix is the canonical prefix of the headers that take part in
// the signature (spec §2.1, §2.2 item 3).
const qiniuHeaderPrefix = "X-Qiniu-"

// canonicalQiniuHeadersGo renders the X-Qiniu-* headers the way the Go SDK
// does: sorted canonical keys, each emitted as "\n" + lower(key) + ":" +
// first value, and nothing at all when there are none.
func canonicalQiniuHeadersGo(h http.Header) string {
	keys := qiniuHeaderKeys(h)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("\n")
		b.WriteString(strings.ToLower(k))
		b.WriteString(":")
		b.WriteString(h[k][0])
	}
	return b.String()
}

// canonicalQiniuHeadersDoc renders the X-Qiniu-* headers in the documented
// layout (spec §2.1): each "name:value" is followed by "\n".
func canonicalQiniuHeadersDoc(h http.Header) string {
	keys := qiniuHeaderKeys(h)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(strings.ToLower(k))
		b.WriteString(":")
		b.WriteString(strings.TrimSpace(h[k][0]))
		b.WriteString("\n")
	}
	return b.String()
}

func qiniuHeaderKeys(h http.Header) []string {
	var keys []string
	for k, v := range h {
		ck := http.CanonicalHeaderKey(k)
		if len(v) == 0 || !strings.HasPrefix(ck, qiniuHeaderPrefix) || len(ck) <= len(qiniuHeaderPrefix) {
			continue
		}
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return http.CanonicalHeaderKey(keys[i]) < http.CanonicalHeaderKey(keys[j])
	})
	return keys
}

// StringToSign is the Go SDK form of the string to sign (spec §2.2):
//
//	METHOD\nContent-MD5\nContent-Type\nDate\n + [\nx-qiniu-k:v ...] + path
//
// path is the decoded URL path without any query string.
func StringToSign(method, contentMD5, contentType, date string, header http.Header, path string) string {
	return method + "\n" + contentMD5 + "\n" + contentType + "\n" + date + "\n" +
		canonicalQiniuHeadersGo(header) + path
}

// StringToSignDoc is the documented ([AK-DOC], spec §2.1) form: headers are
// each followed by a newline, and sub-resources (here: the whole query,
// sorted by key) are appended after "?" when query is non-empty. A server
// must accept this form too (spec §2.4, candidates b and c).
func StringToSignDoc(method, contentMD5, contentType, date string, header http.Header, path string, query url.Values) string {
	s := method + "\n" + contentMD5 + "\n" + contentType + "\n" + date + "\n" +
		canonicalQiniuHeadersDoc(header) + path
	if len(query) > 0 {
		keys := make([]string, 0, len(query))
		for k := range query {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			for _, v := range query[k] {
				parts = append(parts, k+"="+v)
			}
		}
		s += "?" + strings.Join(parts, "&")
	}
	return s
}

// Sign returns urlsafe-base64 (with '=' padding) of HMAC-SHA1(sk, s).
func Sign(sk, s string) string {
	m := hmac.New(sha1.New, []byte(sk))
	m.Write([]byte(s))
	return base64.URLEncoding.EncodeToString(m.Sum(nil))
}

// Authorization returns the full Authorization header value
// "Pandora <ak>:<sign>" for a string to sign.
func Authorization(ak, sk, stringToSign string) string {
	return "Pandora " + ak + ":" + Sign(sk, stringToSign)
}

// SignRequest sets the Authorization header of req from its method, its
// Content-MD5, Content-Type and Date headers, its X-Qiniu-* headers and its
// URL path, exactly like the SDK's base/sign.go. The Date header must
// already be set.
func SignRequest(req *http.Request, ak, sk string) {
	s := StringToSign(req.Method, req.Header.Get("Content-MD5"), req.Header.Get("Content-Type"),
		req.Header.Get("Date"), req.Header, req.URL.Path)
	req.Header.Set("Authorization", Authorization(ak, sk, s))
}

// TokenDescription is the JSON the token is made of (spec §2.5). The field
// order is the Go SDK's.
type TokenDescription struct {
	Resource    string `json:"resource"`
	Expires     int64  `json:"expires"`
	ContentMD5  string `json:"contentMD5"`
	ContentType string `json:"contentType"`
	Headers     string `json:"headers"`
	Method      string `json:"method"`
}

// TokenSpec says what a token grants. Headers are rendered with the Go form.
type TokenSpec struct {
	URL         string
	Method      string
	ContentMD5  string
	ContentType string
	Headers     http.Header
	Expires     int64 // unix seconds
}

// MakeToken returns the full Authorization header value
// "Pandora <ak>:<sign>:<encodedTokenDescription>" (spec §2.5).
// The expiry is not checked against the clock, so that fixed test vectors
// stay reproducible; the caller chooses it.
func MakeToken(ak, sk string, t TokenSpec) (string, error) {
	switch t.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete:
	default:
		return "", errors.New("token: method must be GET, POST, PUT or DELETE")
	}
	if t.URL == "" {
		return "", errors.New("token: empty url")
	}
	desc := TokenDescription{
		Resource:    t.URL,
		Expires:     t.Expires,
		ContentMD5:  t.ContentMD5,
		ContentType: t.ContentType,
		Headers:     canonicalQiniuHeadersGo(t.Headers),
		Method:      t.Method,
	}
	raw, err := json.Marshal(desc)
	if err != nil {
		return "", err
	}
	enc := base64.URLEncoding.EncodeToString(raw)
	return "Pandora " + ak + ":" + Sign(sk, enc) + ":" + enc, nil
}
