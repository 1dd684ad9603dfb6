package main

import (
	"encoding/json"
	"fmt"
	"net/http"

	"tidemill/conformance/client"
)

// extensionChecks: Tidemill's extensions (issue 14) leave the Go SDK's decoding
// intact. A job carrying the extension members maxConcurrent and retry is created with a
// raw request (the SDK's CreateJobInput cannot send it), then GetJob, ListJobs
// and GetJobHistory — the last over batches a range backfill queued — must
// decode as they do for any job.
func (s *suite) extensionChecks() {
	c := s.c
	ds, j := s.name("extds"), s.name("extjob")
	s.defer_(func() { _ = c.DeleteDatasource(ds) })
	s.defer_(func() { _ = c.DeleteJob(j) })

	job := loopJob(j, ds)
	job.Scheduler = &client.JobScheduler{Type: "crontab", Spec: &client.JobSchedulerSpec{Crontab: "0 0 * * * *"}}
	body, _ := json.Marshal(job)
	var members map[string]any
	_ = json.Unmarshal(body, &members)
	members["maxConcurrent"] = 2
	members["retry"] = map[string]any{"attempts": 2, "backoff": "30s"}
	raw, _ := json.Marshal(members)
	s.check("ext.create_job_with_extension_members", func() error {
		if err := c.CreateDatasource(kodoDatasource(ds, "")); err != nil {
			return fmt.Errorf("create datasource: %v", err)
		}
		return c.Do(client.Request{Method: http.MethodPost, Path: "/v2/jobs/" + j,
			ContentType: "application/json", Body: raw}, nil)
	})
	s.check("ext.get_job_decodes", func() error {
		out, err := c.GetJob(j)
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		d.eq("srcs", out.Srcs, job.Srcs)
		d.eq("scheduler", out.Scheduler, job.Scheduler)
		d.eq("container", out.Container, job.Container)
		return d.err(out)
	})
	s.check("ext.list_jobs_decodes", func() error {
		out, err := c.ListJobs(nil)
		if err != nil {
			return wantOK(err)
		}
		if !contains(jobNames(out.Jobs), j) {
			return fmt.Errorf("list %v lacks %s", jobNames(out.Jobs), j)
		}
		return nil
	})
	s.check("ext.backfill_history_decodes", func() error {
		var made struct {
			BackfillID string `json:"backfillId"`
			Slots      int    `json:"slots"`
		}
		in := map[string]any{"from": "2026-11-01T00:00:00+08:00", "to": "2026-11-01T01:00:00+08:00"}
		b, _ := json.Marshal(in)
		err := c.Do(client.Request{Method: http.MethodPost, Path: "/v2/jobs/" + j + "/actions/backfill",
			ContentType: "application/json", Body: b}, &made)
		if err != nil {
			return fmt.Errorf("backfill: %v", err)
		}
		s.defer_(func() {
			_, _ = c.Raw(client.Request{Method: http.MethodPost, Path: "/v2/backfills/" + made.BackfillID + "/cancel"})
		})
		out, err := c.GetJobHistory(j)
		if err != nil {
			return wantOK(err)
		}
		var times []string
		for _, h := range out.History {
			times = append(times, h.BatchTime)
		}
		want := []string{"2026-11-01T00:00:00+08:00", "2026-11-01T01:00:00+08:00"}
		if made.Slots != 2 || out.Total != 2 || !equalStrings(sortedCopy(times), want) {
			return fmt.Errorf("slots %d, history total %d, batchTimes %v; want 2, 2, %v",
				made.Slots, out.Total, times, want)
		}
		return nil
	})
}
