package main

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"tidemill/conformance/client"
)

// authChecks: spec §2 (signature, Date window, tokens, doc-form signatures).
func (s *suite) authChecks() {
	c := s.c
	s.check("auth.signature_go_form", func() error {
		_, err := c.ListDatasources()
		return wantOK(err)
	})
	s.check("auth.bad_signature_401", func() error {
		bad := client.Authorization(c.AccessKey, c.SecretKey+"x", "nonsense")
		err := c.Do(client.Request{Method: http.MethodGet, Path: "/v2/datasources", Authorization: bad}, nil)
		return wantUnauthorized(err)
	})
	s.check("auth.unknown_access_key_401", func() error {
		err := c.Do(client.Request{Method: http.MethodGet, Path: "/v2/datasources", AuthFunc: func(r *http.Request) string {
			str := client.StringToSign(r.Method, "", "", r.Header.Get("Date"), nil, r.URL.Path)
			return client.Authorization("no_such_ak_"+s.tag, c.SecretKey, str)
		}}, nil)
		return wantUnauthorized(err)
	})
	s.check("auth.date_skew_401", func() error {
		stale := *c
		stale.Now = func() time.Time { return time.Now().Add(-20 * time.Minute) }
		_, err := stale.ListDatasources()
		return wantUnauthorized(err)
	})
	s.check("auth.token", func() error {
		tok, err := client.MakeToken(c.AccessKey, c.SecretKey, client.TokenSpec{
			URL: "/v2/datasources", Method: http.MethodGet, Expires: time.Now().Add(10 * time.Minute).Unix()})
		if err != nil {
			return err
		}
		var out client.ListDatasourcesOutput
		return wantOK(c.Do(client.Request{Method: http.MethodGet, Path: "/v2/datasources", Authorization: tok}, &out))
	})
	s.check("auth.expired_token_401", func() error {
		tok, err := client.MakeToken(c.AccessKey, c.SecretKey, client.TokenSpec{
			URL: "/v2/datasources", Method: http.MethodGet, Expires: time.Now().Add(-time.Minute).Unix()})
		if err != nil {
			return err
		}
		return wantUnauthorized(c.Do(client.Request{Method: http.MethodGet, Path: "/v2/datasources", Authorization: tok}, nil))
	})
	s.check("auth.doc_form_with_signed_query", func() error {
		q := url.Values{"type": {"system"}}
		var out client.ListVariablesOutput
		return wantOK(c.Do(client.Request{Method: http.MethodGet, Path: "/v2/variables", Query: q,
			AuthFunc: func(r *http.Request) string {
				return client.Authorization(c.AccessKey, c.SecretKey,
					client.StringToSignDoc(r.Method, "", "", r.Header.Get("Date"), nil, r.URL.Path, q))
			}}, &out))
	})
}

// wantUnauthorized: 401 with a message longer than 6 characters and no code,
// i.e. the SDK's UnauthorizedError (spec §2.7, "bad token").
func wantUnauthorized(err error) error {
	if err == nil {
		return fmt.Errorf("succeeded, want HTTP 401 bad token")
	}
	e, ok := client.AsError(err)
	if !ok || e.StatusCode != 401 || !client.IsUnauthorized(err) {
		return fmt.Errorf("want HTTP 401 UnauthorizedError (\"bad token\"), got %v", err)
	}
	return nil
}
