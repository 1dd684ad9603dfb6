package main

import (
	"encoding/json"
	"fmt"
	"net/http"

	"tidemill/conformance/client"
)

// retryNotifyChecks: issue 14's job extension fields `retry` and `notify` (and the GetJob
// extension `notifyStatus`) leave the SDK's decoding alone. A job carrying them is created
// with a raw request (the SDK has no such fields), run once, and read back through GetJob,
// ListJobs and GetJobHistory, each of which must decode and show the Pandora fields unchanged.
func (s *suite) retryNotifyChecks() {
	c := s.c
	ds, j := s.name("rnds"), s.name("rnjob")
	s.defer_(func() { _ = c.DeleteDatasource(ds) })
	s.defer_(func() { _ = c.DeleteJob(j) })

	s.check("retry_notify.setup", func() error {
		if err := c.CreateDatasource(kodoDatasource(ds, "")); err != nil {
			return fmt.Errorf("create datasource: %v", err)
		}
		job := loopJob(j, ds)
		job.Scheduler = &client.JobScheduler{Type: "manual"}
		body, err := json.Marshal(job)
		if err != nil {
			return err
		}
		var raw map[string]any
		if err := json.Unmarshal(body, &raw); err != nil {
			return err
		}
		raw["retry"] = map[string]any{"attempts": 3, "backoff": "30s", "maxBackoff": "10m"}
		raw["notify"] = []any{map[string]any{"url": "http://127.0.0.1:9/hook", "on": []string{"failed", "late"},
			"lateAfter": "15m", "secret": "conformance-secret-0123"}}
		body, _ = json.Marshal(raw)
		resp, err := c.Raw(client.Request{Method: http.MethodPost, Path: "/v2/jobs/" + j, Body: body,
			ContentType: "application/json", Owner: true})
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("create job with retry and notify: HTTP %d %s", resp.StatusCode, resp.Body)
		}
		if err := c.StartJob(&client.StartJobInput{JobName: j}); err != nil {
			return fmt.Errorf("start: %v", err)
		}
		_, err = s.waitFinal(j, 1)
		return err
	})
	s.check("retry_notify.GetJob_decodes", func() error {
		out, err := c.GetJob(j)
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		d.eq("computation.code", out.Computation.Code, "select * from tbl")
		d.eq("scheduler.type", out.Scheduler.Type, "manual")
		d.eq("srcs", len(out.Srcs), 1)
		return d.err(out)
	})
	s.check("retry_notify.ListJobs_decodes", func() error {
		out, err := c.ListJobs(nil)
		if err != nil {
			return wantOK(err)
		}
		for _, got := range out.Jobs {
			if got.Name == j {
				return nil
			}
		}
		return fmt.Errorf("job %q not listed in %v", j, jobNames(out.Jobs))
	})
	s.check("retry_notify.GetJobHistory_decodes", func() error {
		out, err := c.GetJobHistory(j)
		if err != nil {
			return wantOK(err)
		}
		if out.Total != 1 || len(out.History) != 1 || out.History[0].RunID != 1 {
			return fmt.Errorf("history %+v, want the one batch", out)
		}
		return nil
	})
}
