package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"

	"tidemill/conformance/client"
)

// exportChecks: spec §8 against real runs. Every export type is created,
// read, listed and deleted with the SDK's bodies (§11); kodo, http and
// report exports then run with a manual batch over the seeded bucket, the
// http rows landing in a receiver served here. logdb and tsdb are refused
// with E18303 when the server has no target configured (run.sh configures
// none), as D-23 requires.
func (s *suite) exportChecks() {
	c := s.c
	ds, job := s.name("eds"), s.name("ejob")
	s.defer_(func() { _ = c.DeleteDatasource(ds) })
	s.defer_(func() { _ = c.DeleteJob(job) })

	var mu sync.Mutex
	var received []string
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.check("export.receiver", func() error { return err })
		return
	}
	server := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		received = append(received, r.Header.Get("Content-Type")+"|"+string(body))
		mu.Unlock()
		w.WriteHeader(200)
	})}
	go func() { _ = server.Serve(listener) }()
	s.defer_(func() { _ = server.Close() })

	manual := loopJob(job, ds)
	manual.Scheduler = &client.JobScheduler{Type: "manual"}
	manual.Params = nil
	s.check("export.setup", func() error {
		if err := c.CreateDatasource(kodoDatasource(ds, "")); err != nil {
			return fmt.Errorf("create datasource: %v", err)
		}
		return wantOK(c.CreateJob(manual))
	})

	bodies := map[string]*client.CreateJobExportInput{
		"kodo": {Type: "kodo", Spec: map[string]any{"bucket": "cf-export-" + s.tag, "keyPrefix": "out/rows.json",
			"format": "json", "retention": 1, "fileCount": 1, "saveMode": "overwrite", "containsHeader": false}},
		// An hdfs export is created only when its namenode answers (§8.3, E18303 otherwise).
		"hdfs": {Type: "hdfs", Spec: map[string]any{"path": hdfsOr(s.hdfs, "hdfs://h:9000") + "/cf-" + s.tag + "/out", "format": "parquet",
			"partitionBy": nil, "fileCount": 1, "saveMode": ""}},
		"http": {Type: "http", Spec: map[string]any{"host": listener.Addr().String(), "uri": "/recv", "format": "json"}},
		"report": {Type: "report", Spec: map[string]any{"dbName": "cfdb", "tableName": "t_" + s.tag,
			"columns": map[string]any{"ca": "#a", "cb": "#b"}}},
	}
	order := []string{"kodo", "hdfs", "http", "report"}
	for _, kind := range order {
		kind, in := kind, bodies[kind]
		in.JobName, in.ExportName = job, "e_"+kind
		s.check("export.create_"+kind, func() error { return wantOK(c.CreateJobExport(in)) })
		s.check("export.get_"+kind, func() error {
			out, err := c.GetJobExport(job, in.ExportName)
			if err != nil {
				return wantOK(err)
			}
			var d diffs
			d.eq("type", out.Type, kind)
			d.eq("workflow", out.Workflow, "")
			return d.err(out)
		})
	}
	for _, kind := range []string{"logdb", "tsdb"} {
		spec := map[string]any{"destRepoName": "r", "doc": map[string]any{"a": "#a"}}
		if kind == "tsdb" {
			spec = map[string]any{"destRepoName": "r", "series": "s",
				"tags": map[string]any{"b": "#b"}, "fields": map[string]any{"a": "#a"}}
		}
		in := &client.CreateJobExportInput{JobName: job, ExportName: "e_" + kind, Type: kind, Spec: spec}
		s.check("export.create_"+kind+"_unconfigured_E18303", func() error {
			return wantErr(c.CreateJobExport(in), 400, "E18303", "", nil)
		})
	}
	s.check("export.list", func() error {
		out, err := c.ListJobExports(job)
		if err != nil {
			return wantOK(err)
		}
		var names []string
		for _, e := range out.Exports {
			names = append(names, e.Name+":"+e.Type)
		}
		sort.Strings(names)
		var d diffs
		d.eq("exports", strings.Join(names, ","), "e_hdfs:hdfs,e_http:http,e_kodo:kodo,e_report:report")
		return d.err(out)
	})
	s.check("export.delete_hdfs", func() error {
		if err := c.DeleteJobExport(job, "e_hdfs"); err != nil {
			return wantOK(err)
		}
		exist, err := c.JobExportExist(job, "e_hdfs")
		if err != nil {
			return wantOK(err)
		}
		if exist {
			return fmt.Errorf("e_hdfs still exists after delete")
		}
		return nil
	})
	s.check("export.get_deleted_E18302", func() error {
		_, err := c.GetJobExport(job, "e_hdfs")
		return wantErr(err, 404, "E18302", "IsNoSuchResource", client.IsNoSuchResource)
	})
	s.checkNote("export.run_writes_every_export", func() (string, error) {
		if err := c.StartJob(&client.StartJobInput{JobName: job}); err != nil {
			return "", wantOK(err)
		}
		b, err := s.waitFinal(job, 0)
		if err != nil {
			return "", err
		}
		if b.Status != "Successful" {
			return "", fmt.Errorf("batch %+v did not succeed", b)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(received) != 1 {
			return "", fmt.Errorf("receiver got %d requests, want 1", len(received))
		}
		kind, body, _ := strings.Cut(received[0], "|")
		var d diffs
		d.eq("content type", kind, "application/json")
		lines := strings.Split(body, "\n")
		d.eq("rows", len(lines), 2)
		var first map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
			return "", fmt.Errorf("first row %q is not JSON: %v", lines[0], err)
		}
		d.eq("first row a", first["a"], 1.0)
		d.eq("first row d", first["d"], "2026-11-23T10:00:00+08:00")
		return fmt.Sprintf("runId %d", b.RunID), d.err(received)
	})
	s.checkNote("export.failing_receiver_fails_the_batch", func() (string, error) {
		_ = server.Close()
		if err := c.StartJob(&client.StartJobInput{JobName: job}); err != nil {
			return "", wantOK(err)
		}
		b, err := s.waitFinal(job, 2)
		if err != nil {
			return "", err
		}
		if b.Status != "Failed" || !strings.HasPrefix(b.Message, "export e_http failed: ") {
			return "", fmt.Errorf("batch %+v: want Failed with a message naming e_http", b)
		}
		return b.Message[:40] + "...", nil
	})
}

// hdfsOr is the namenode of TIDEMILL_HDFS_URL, or `fallback` when none is set.
func hdfsOr(hdfs, fallback string) string {
	if hdfs == "" {
		return fallback
	}
	return hdfs
}
