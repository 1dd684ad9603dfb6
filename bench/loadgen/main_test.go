package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestAuthorizationMatchesSpecVectorB(t *testing.T) {
	// spec §2.6 vector B: the query is not signed.
	got := authorization("ak_test_0123456789", "sk_test_abcdefghijklmnopqrstuvwxyz", "GET",
		"/v2/jobs/my_job/history", "Mon, 02 Jan 2006 15:04:05 GMT")
	if want := "Pandora ak_test_0123456789:R9V3v7DSCC5Te1fR9cBdDxGOElU="; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

func TestPercentile(t *testing.T) {
	var xs []time.Duration
	for i := 1; i <= 100; i++ {
		xs = append(xs, time.Duration(i)*time.Millisecond)
	}
	s := summarize(xs, 3, 2*time.Second)
	if s.P50 != 50 || s.P90 != 90 || s.P99 != 99 || s.Max != 100 || s.Requests != 100 || s.Errors != 3 || s.RPS != 50 {
		t.Fatalf("%+v", s)
	}
	if e := summarize(nil, 0, time.Second); e.Requests != 0 || e.P99 != 0 {
		t.Fatalf("%+v", e)
	}
}

func TestRunSignsEveryRequestAndCountsErrors(t *testing.T) {
	var n, bad, conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != authorization("ak", "sk", "GET", r.URL.Path, r.Header.Get("Date")) || r.URL.RawQuery != "type=user" {
			bad.Add(1)
		}
		if n.Add(1)%2 == 0 {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	s, err := Run(Config{BaseURL: srv.URL, AccessKey: "ak", SecretKey: "sk", Path: "/v2/variables?type=user",
		Connections: 4, Duration: 300 * time.Millisecond, Warmup: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if bad.Load() != 0 {
		t.Fatalf("%d badly signed requests", bad.Load())
	}
	if s.Requests == 0 || s.Errors == 0 || s.Errors >= s.Requests || s.P50 <= 0 || s.Max < s.P99 || s.P99 < s.P50 {
		t.Fatalf("summary %+v", s)
	}
	if c := conns.Load(); c > 4 {
		t.Fatalf("%d connections opened, want at most 4 (keep-alive)", c)
	}
}
