package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"tidemill/conformance/client"
)

// fusionChecks: spec §4.2.3 (fusion datasources over Qiniu CDN access logs).
// The program plays the CDN: it writes a small log corpus into
// TIDEMILL_FUSION_DIR, the local directory the server reads as its
// TIDEMILL_FUSION__URL (run.sh sets both), laid out <domain>/<yyyy-MM-dd>/<HH>/
// in the server's zone (Asia/Shanghai, the default). A fusion datasource over a
// fixed range of two of its three hours is created with the fixed schema; a
// job counting requests per status runs, and its result equals the counts
// kept while writing the lines; the batch message counts the bad line.
func (s *suite) fusionChecks() {
	c := s.c
	root := os.Getenv("TIDEMILL_FUSION_DIR")
	if root == "" {
		s.checkNote("fusion.skipped", func() (string, error) { return "TIDEMILL_FUSION_DIR not set", nil })
		return
	}
	ds, job := s.name("fds"), s.name("fjob")
	s.defer_(func() { _ = c.DeleteJob(job) })
	s.defer_(func() { _ = c.DeleteDatasource(ds) })
	domain := "cf-" + s.tag + ".example.com"
	zone := time.FixedZone("CST", 8*3600)
	first := time.Date(2026, 11, 20, 10, 0, 0, 0, zone)
	var want map[string]int
	s.check("fusion.logs_written", func() error {
		var err error
		want, err = writeCdnLogs(root, domain, first, 3)
		return err
	})
	s.check("fusion.datasource_create", func() error {
		return wantOK(c.CreateDatasource(&client.CreateDatasourceInput{DatasourceName: ds, Region: "nb", Type: "fusion",
			Spec: map[string]any{"domains": []string{domain}, "fileFilter": "2026-11-20 10:00 ~ 2026-11-20 12:00"}}))
	})
	s.check("fusion.datasource_schema", func() error {
		out, err := c.GetDatasource(ds)
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		d.eq("schema", schemaPairs(out.Schema), []string{"ip:string", "hit:string", "responseTime:long",
			"time:date", "method:string", "url:string", "protocol:string", "statusCode:long", "bytes:long",
			"referer:string", "userAgent:string"})
		return d.err(out)
	})
	s.check("fusion.datasource_read", func() error {
		b, rows, err := s.readDatasource(job, ds, "select statusCode as s, count(*) as n from t group by statusCode")
		if err != nil {
			return err
		}
		got := map[string]int{}
		for _, row := range rows {
			if len(row) != 2 {
				return fmt.Errorf("row %v: want 2 columns", row)
			}
			n, ok := row[1].(float64)
			if !ok {
				return fmt.Errorf("row %v: count is not a number", row)
			}
			got[fmt.Sprint(row[0])] += int(n)
		}
		var d diffs
		d.eq("requests per status", sortedCounts(got), sortedCounts(want))
		if !strings.Contains(b.Message, "1 of ") || !strings.Contains(b.Message, "could not be parsed") {
			d.add("message %q does not count the one bad line", b.Message)
		}
		return d.err(rows)
	})
}

// writeCdnLogs writes `hours` hourly gzip files of CDN log lines for domain
// from `first`, one bad line in the second hour, and returns the requests per
// status ("<nil>" for "-") of the first two hours: what a [first, first+2h)
// range must count.
func writeCdnLogs(root, domain string, first time.Time, hours int) (map[string]int, error) {
	statuses := []string{"200", "404", "200", "-", "304", "200", "500"}
	counted := map[string]int{}
	for h := 0; h < hours; h++ {
		hour := first.Add(time.Duration(h) * time.Hour)
		var lines []string
		for i := 0; i < 80+3*h; i++ { // enough lines that one bad one stays under the 1% allowed
			status := statuses[(i+h)%len(statuses)]
			at := hour.Add(time.Duration(i*7) * time.Second)
			ip := fmt.Sprintf("10.1.%d.%d", h, i)
			if i%4 == 1 {
				ip = fmt.Sprintf("2001:db8::%x", i)
			}
			lines = append(lines, fmt.Sprintf(`%s HIT %d [%s] "GET /v/%d.mp4?q=a b HTTP/1.1" %s %d "-" "Mozilla/5.0 (\"x\")"`,
				ip, i, at.Format("02/Jan/2006:15:04:05 -0700"), i, status, 100*i))
			if h < 2 {
				key := status
				if status == "-" {
					key = "<nil>"
				}
				counted[key]++
			}
		}
		if h == 1 {
			lines = append(lines[:3], append([]string{"not a CDN log line"}, lines[3:]...)...)
		}
		dir := filepath.Join(root, domain, hour.Format("2006-01-02"), hour.Format("15"))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write([]byte(strings.Join(lines, "\n") + "\n")); err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "part-0.gz"), buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
	}
	return counted, nil
}

func sortedCounts(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	return out
}
