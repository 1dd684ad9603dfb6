package client

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// Spec §2.6 common inputs.
const (
	vecAK   = "ak_test_0123456789"
	vecSK   = "sk_test_abcdefghijklmnopqrstuvwxyz"
	vecDate = "Mon, 02 Jan 2006 15:04:05 GMT"
)

func TestVectorA_CreateDatasource(t *testing.T) {
	s := StringToSign("POST", "", "application/json", vecDate, nil, "/v2/datasources/my_ds")
	if want := "POST\n\napplication/json\nMon, 02 Jan 2006 15:04:05 GMT\n/v2/datasources/my_ds"; s != want {
		t.Fatalf("string to sign = %q, want %q", s, want)
	}
	if got, want := Authorization(vecAK, vecSK, s), "Pandora ak_test_0123456789:fFMotMoN5uU38v6Z5-W8zKAYFlc="; got != want {
		t.Fatalf("auth = %q, want %q", got, want)
	}
}

func TestVectorB_QueryNotSigned(t *testing.T) {
	s := StringToSign("GET", "", "", vecDate, nil, "/v2/jobs/my_job/history")
	if want := "GET\n\n\nMon, 02 Jan 2006 15:04:05 GMT\n/v2/jobs/my_job/history"; s != want {
		t.Fatalf("string to sign = %q, want %q", s, want)
	}
	if got, want := Authorization(vecAK, vecSK, s), "Pandora ak_test_0123456789:R9V3v7DSCC5Te1fR9cBdDxGOElU="; got != want {
		t.Fatalf("auth = %q, want %q", got, want)
	}
	// Doc-literal variant, candidate (c): the sorted query is signed.
	d := StringToSignDoc("GET", "", "", vecDate, nil, "/v2/jobs/my_job/history", url.Values{"size": {"20"}, "page": {"1"}})
	if want := "GET\n\n\nMon, 02 Jan 2006 15:04:05 GMT\n/v2/jobs/my_job/history?page=1&size=20"; d != want {
		t.Fatalf("doc string to sign = %q, want %q", d, want)
	}
	if got, want := Authorization(vecAK, vecSK, d), "Pandora ak_test_0123456789:13wSk428LjdKllUhQONDWxExJb8="; got != want {
		t.Fatalf("doc auth = %q, want %q", got, want)
	}
}

func TestVectorB_SignRequestIgnoresQuery(t *testing.T) {
	c := &Client{Endpoint: "http://example.invalid", AccessKey: vecAK, SecretKey: vecSK,
		Now: func() time.Time { return time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC) }}
	req, err := c.NewHTTPRequest(Request{Method: "GET", Path: "/v2/jobs/my_job/history",
		Query: url.Values{"page": {"1"}, "size": {"20"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("Date"); got != vecDate {
		t.Fatalf("Date = %q", got)
	}
	if got, want := req.Header.Get("Authorization"), "Pandora ak_test_0123456789:R9V3v7DSCC5Te1fR9cBdDxGOElU="; got != want {
		t.Fatalf("auth = %q, want %q", got, want)
	}
	if req.URL.RawQuery != "page=1&size=20" {
		t.Fatalf("query = %q", req.URL.RawQuery)
	}
}

func TestVectorC_QiniuHeadersGoForm(t *testing.T) {
	h := http.Header{}
	h.Set("X-Qiniu-Zeta", "2")
	h.Set("x-qiniu-alpha", "1")
	s := StringToSign("POST", "", "application/json", vecDate, h, "/v2/batch/actions/rerun")
	if want := "POST\n\napplication/json\nMon, 02 Jan 2006 15:04:05 GMT\n\nx-qiniu-alpha:1\nx-qiniu-zeta:2/v2/batch/actions/rerun"; s != want {
		t.Fatalf("string to sign = %q, want %q", s, want)
	}
	if got, want := Authorization(vecAK, vecSK, s), "Pandora ak_test_0123456789:qSZG9yM6JQSC0UzzO9KNWvIdxSI="; got != want {
		t.Fatalf("auth = %q, want %q", got, want)
	}
	d := StringToSignDoc("POST", "", "application/json", vecDate, h, "/v2/batch/actions/rerun", nil)
	if got, want := Authorization(vecAK, vecSK, d), "Pandora ak_test_0123456789:daMc7HQV5A-rZeR2eLUlPJfirww="; got != want {
		t.Fatalf("doc auth = %q, want %q", got, want)
	}
	// Through a real request: the header is signed as sent.
	c := &Client{Endpoint: "http://example.invalid", AccessKey: vecAK, SecretKey: vecSK,
		Now: func() time.Time { return time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC) }}
	req, err := c.NewHTTPRequest(Request{Method: "POST", Path: "/v2/batch/actions/rerun", ContentType: "application/json",
		Body: []byte(`{}`), Header: h})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := req.Header.Get("Authorization"), "Pandora ak_test_0123456789:qSZG9yM6JQSC0UzzO9KNWvIdxSI="; got != want {
		t.Fatalf("request auth = %q, want %q", got, want)
	}
}

func TestVectorD_TokenGet(t *testing.T) {
	got, err := MakeToken(vecAK, vecSK, TokenSpec{URL: "/v2/jobs/my_job/history", Method: "GET", Expires: 4102444800})
	if err != nil {
		t.Fatal(err)
	}
	want := "Pandora ak_test_0123456789:CW51AZif_tQcdlmXbMbwPgMe_0U=:eyJyZXNvdXJjZSI6Ii92Mi9qb2JzL215X2pvYi9oaXN0b3J5IiwiZXhwaXJlcyI6NDEwMjQ0NDgwMCwiY29udGVudE1ENSI6IiIsImNvbnRlbnRUeXBlIjoiIiwiaGVhZGVycyI6IiIsIm1ldGhvZCI6IkdFVCJ9"
	if got != want {
		t.Fatalf("token = %q\nwant    %q", got, want)
	}
}

func TestVectorE_TokenPostWithContentType(t *testing.T) {
	got, err := MakeToken(vecAK, vecSK, TokenSpec{URL: "/v2/datasources/my_ds", Method: "POST",
		ContentType: "application/json", Expires: 4102444800})
	if err != nil {
		t.Fatal(err)
	}
	want := "Pandora ak_test_0123456789:EfhMAM_0P9eAhgbiMhA0SXXijgU=:eyJyZXNvdXJjZSI6Ii92Mi9kYXRhc291cmNlcy9teV9kcyIsImV4cGlyZXMiOjQxMDI0NDQ4MDAsImNvbnRlbnRNRDUiOiIiLCJjb250ZW50VHlwZSI6ImFwcGxpY2F0aW9uL2pzb24iLCJoZWFkZXJzIjoiIiwibWV0aG9kIjoiUE9TVCJ9"
	if got != want {
		t.Fatalf("token = %q\nwant    %q", got, want)
	}
}

func TestMakeTokenRejects(t *testing.T) {
	if _, err := MakeToken(vecAK, vecSK, TokenSpec{URL: "/x", Method: "PATCH", Expires: 1}); err == nil {
		t.Fatal("PATCH accepted")
	}
	if _, err := MakeToken(vecAK, vecSK, TokenSpec{Method: "GET", Expires: 1}); err == nil {
		t.Fatal("empty url accepted")
	}
}
