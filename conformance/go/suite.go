package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"tidemill/conformance/client"
)

// suite runs checks and counts results.
type suite struct {
	c              *client.Client
	tag            string // makes resource names unique per run
	hdfs           string // TIDEMILL_HDFS_URL: a namenode (hdfs://host:port), "" for none
	passed, failed int
	cleanups       []func()
}

// name returns a resource name unique to this run.
func (s *suite) name(kind string) string { return "cf_" + kind + "_" + s.tag }

// check runs fn and prints one result line.
func (s *suite) check(name string, fn func() error) bool {
	return s.checkNote(name, func() (string, error) { return "", fn() })
}

// checkNote is check for checks that report an outcome note on success.
func (s *suite) checkNote(name string, fn func() (string, error)) bool {
	note, err := fn()
	if err != nil {
		s.failed++
		fmt.Printf("FAIL  %s: %v\n", name, err)
		return false
	}
	s.passed++
	if note != "" {
		fmt.Printf("PASS  %s (%s)\n", name, note)
	} else {
		fmt.Printf("PASS  %s\n", name)
	}
	return true
}

// defer_ registers a best-effort cleanup, run (last first) after the group.
func (s *suite) defer_(f func()) { s.cleanups = append(s.cleanups, f) }

func (s *suite) cleanup() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
	s.cleanups = nil
}

// ---- assertions ----

// wantOK fails unless err is nil.
func wantOK(err error) error {
	if err != nil {
		return fmt.Errorf("want success, got %v", err)
	}
	return nil
}

// wantErr fails unless err is an *client.Error with this status and code and,
// when pred is non-nil, the SDK predicate holds.
func wantErr(err error, status int, code, predName string, pred func(error) bool) error {
	want := fmt.Sprintf("HTTP %d %s", status, code)
	if predName != "" {
		want += " (" + predName + ")"
	}
	if err == nil {
		return fmt.Errorf("succeeded, want %s", want)
	}
	e, ok := client.AsError(err)
	if !ok {
		return fmt.Errorf("want %s, got %v", want, err)
	}
	if e.StatusCode != status || e.Code != code {
		return fmt.Errorf("want %s, got %v", want, e)
	}
	if pred != nil && !pred(err) {
		return fmt.Errorf("want %s, but %s is false for %v", want, predName, e)
	}
	return nil
}

// diffs collects field mismatches of one response.
type diffs []string

func (d *diffs) eq(field string, got, want any) {
	if !reflect.DeepEqual(got, want) {
		*d = append(*d, fmt.Sprintf("%s = %#v, want %#v", field, got, want))
	}
}

func (d *diffs) add(format string, args ...any) { *d = append(*d, fmt.Sprintf(format, args...)) }

func (d diffs) err(resp any) error {
	if len(d) == 0 {
		return nil
	}
	b, _ := json.Marshal(resp)
	return fmt.Errorf("%s; decoded response %s", strings.Join(d, "; "), b)
}

// echoEqual reports how a spec the server returned differs from the spec
// the client sent, once both are normalised the way spec §4.5/[D-9] says
// the server stores specs (JSON, null members dropped, nothing injected).
func echoEqual(sent, got any) string {
	norm := func(v any) any {
		b, _ := json.Marshal(v)
		var out any
		_ = json.Unmarshal(b, &out)
		return dropNulls(out)
	}
	a, b := norm(sent), norm(got)
	if reflect.DeepEqual(a, b) {
		return ""
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return fmt.Sprintf("spec echoed as %s, sent %s", jb, ja)
}

func dropNulls(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			if x != nil {
				out[k] = dropNulls(x)
			}
		}
		return out
	case []any:
		for i := range t {
			t[i] = dropNulls(t[i])
		}
	}
	return v
}

func sortedCopy(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
