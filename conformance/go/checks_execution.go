package main

import (
	"fmt"
	"net/http"
	"time"

	"tidemill/conformance/client"
)

// finalStatuses are the batch statuses that allow a rerun (spec §7.2).
var finalStatuses = map[string]bool{"Successful": true, "Failed": true, "Canceled": true}

// waitFinal polls the job history until the batch runID (or, with runID 0,
// the newest batch) has a final status.
func (s *suite) waitFinal(job string, runID int64) (client.BatchHistory, error) {
	deadline := time.Now().Add(*flagRunTimeout)
	var last client.BatchHistory
	for {
		out, err := s.c.GetJobHistory(job)
		if err != nil {
			return last, err
		}
		var found client.BatchHistory
		for _, b := range out.History {
			if runID == 0 && b.RunID > found.RunID || runID != 0 && b.RunID == runID {
				found = b
			}
		}
		last = found
		if last.RunID != 0 && finalStatuses[last.Status] {
			return last, nil
		}
		if time.Now().After(deadline) {
			return last, fmt.Errorf("batch %+v not final after %s", last, *flagRunTimeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// readDatasource creates a manual job running sql over datasource ds (as table t),
// starts it, waits for its batch to succeed, and returns the batch and the
// result's rows (spec §6.1, §6.5, §7.3 and Tidemill's result endpoint).
func (s *suite) readDatasource(job, ds, sql string) (client.BatchHistory, [][]any, error) {
	c := s.c
	if err := c.CreateJob(&client.CreateJobInput{JobName: job,
		Srcs:        []client.JobSrc{{SrcName: ds, Type: "datasource", TableName: "t"}},
		Computation: client.Computation{Code: sql, Type: "sql"},
		Container:   &client.JobContainer{Type: "1U2G", Count: 1},
		Scheduler:   &client.JobScheduler{Type: "manual"}}); err != nil {
		return client.BatchHistory{}, nil, fmt.Errorf("create job: %v", err)
	}
	if err := c.StartJob(&client.StartJobInput{JobName: job}); err != nil {
		return client.BatchHistory{}, nil, wantOK(err)
	}
	b, err := s.waitFinal(job, 0)
	if err != nil {
		return b, nil, err
	}
	if b.Status != "Successful" {
		return b, nil, fmt.Errorf("batch %+v did not succeed", b)
	}
	var out struct {
		Rows [][]any `json:"rows"`
	}
	path := fmt.Sprintf("/v2/jobs/%s/history/%d/result", job, b.RunID)
	if err := c.Do(client.Request{Method: http.MethodGet, Path: path}, &out); err != nil {
		return b, nil, wantOK(err)
	}
	return b, out.Rows, nil
}

// executionChecks (flag -execution): spec §6.5, §6.6 and §7. Batches read the
// bucket run.sh seeds (see -schema-bucket); with it they must succeed, without
// it "Failed" is as good a final status, and what is checked is the wire
// contract and the state machine.
func (s *suite) executionChecks() {
	c := s.c
	ds, jm, jd, jl := s.name("xds"), s.name("manual"), s.name("xdep"), s.name("xloop")
	s.defer_(func() { _ = c.DeleteDatasource(ds) })
	s.defer_(func() { _ = c.DeleteJob(jm) })
	s.defer_(func() { _ = c.DeleteJob(jl) })
	s.defer_(func() { _ = c.DeleteJob(jd) })

	manual := loopJob(jm, ds)
	manual.Scheduler = &client.JobScheduler{Type: "manual"}
	s.check("exec.setup", func() error {
		if err := c.CreateDatasource(kodoDatasource(ds, "")); err != nil {
			return fmt.Errorf("create datasource: %v", err)
		}
		if err := c.CreateJob(manual); err != nil {
			return fmt.Errorf("create manual job: %v", err)
		}
		if err := c.CreateJob(dependJob(jd, jm)); err != nil {
			return fmt.Errorf("create depend job: %v", err)
		}
		return wantOK(c.CreateJob(loopJob(jl, ds)))
	})
	s.check("exec.history_empty", func() error {
		out, err := c.GetJobHistory(jm)
		if err != nil {
			return wantOK(err)
		}
		if out.Total != 0 || len(out.History) != 0 {
			return fmt.Errorf("total %d, %d batches before any start", out.Total, len(out.History))
		}
		return nil
	})
	s.check("exec.history_missing_job_E18202", func() error {
		_, err := c.GetJobHistory(s.name("nojob"))
		return wantErr(err, 404, "E18202", "IsNoSuchResource", client.IsNoSuchResource)
	})
	s.check("exec.start_undeclared_param_E18207", func() error {
		return wantErr(c.StartJob(&client.StartJobInput{JobName: jm, Params: []client.Param{{Name: "zz", Value: "1"}}}), 400, "E18207", "", nil)
	})
	s.check("exec.start_depend_refused_E18644", func() error {
		return wantErr(c.StartJob(&client.StartJobInput{JobName: jd}), 400, "E18644", "", nil)
	})
	s.check("exec.start_manual_with_params", func() error {
		return wantOK(c.StartJob(&client.StartJobInput{JobName: jm, Params: []client.Param{{Name: "p1", Value: "y"}}}))
	})
	var run client.BatchHistory
	s.checkNote("exec.batch_reaches_final_status", func() (string, error) {
		b, err := s.waitFinal(jm, 0)
		run = b
		if err != nil {
			return "", err
		}
		if b.BatchTime == "" {
			return "", fmt.Errorf("batch %+v has empty batchTime", b)
		}
		if *flagSchemaBucket != "" && b.Status != "Successful" {
			return "", fmt.Errorf("batch %+v over the seeded bucket did not succeed", b)
		}
		return fmt.Sprintf("runId %d %s: %s", b.RunID, b.Status, b.Message), nil
	})
	s.check("exec.history_fields", func() error {
		out, err := c.GetJobHistory(jm)
		if err != nil {
			return wantOK(err)
		}
		if out.Total < 1 || len(out.History) < 1 {
			return fmt.Errorf("total %d with %d batches after a start", out.Total, len(out.History))
		}
		return nil
	})
	s.check("exec.stop_final_batch_E18645", func() error {
		_, err := c.StopJobBatch(&client.JobBatchInput{JobName: jm, RunID: run.RunID})
		return wantErr(err, 400, "E18645", "", nil)
	})
	s.checkNote("exec.rerun_batch", func() (string, error) {
		out, err := c.RerunJobBatch(&client.JobBatchInput{JobName: jm, RunID: run.RunID})
		if err != nil {
			return "", wantOK(err)
		}
		var d diffs
		d.eq("preStatus", out.PreStatus, run.Status)
		if out.RerunCount != 1 {
			d.add("rerunCount = %d, want 1", out.RerunCount)
		}
		switch out.PostStatus {
		case "Running", "Restarting", "Ready", "Successful", "Failed":
		default:
			d.add("postStatus = %q", out.PostStatus)
		}
		return fmt.Sprintf("%s -> %s", out.PreStatus, out.PostStatus), d.err(out)
	})
	s.check("exec.rerun_keeps_runId_and_batchTime", func() error {
		b, err := s.waitFinal(jm, run.RunID)
		if err != nil {
			return err
		}
		if b.BatchTime != run.BatchTime {
			return fmt.Errorf("batchTime changed from %q to %q", run.BatchTime, b.BatchTime)
		}
		return nil
	})
	s.check("exec.batch_missing_runId", func() error {
		_, err := c.RerunJobBatch(&client.JobBatchInput{JobName: jm, RunID: run.RunID + 1000})
		return wantErr(err, 404, "E18202", "IsNoSuchResource", client.IsNoSuchResource)
	})
	s.check("exec.stop_idle_manual_job_E18645", func() error {
		return wantErr(c.StopJob(jm), 400, "E18645", "", nil)
	})
	s.check("exec.start_loop_job", func() error { return wantOK(c.StartJob(&client.StartJobInput{JobName: jl})) })
	s.check("exec.start_started_loop_job_E18644", func() error {
		return wantErr(c.StartJob(&client.StartJobInput{JobName: jl}), 400, "E18644", "", nil)
	})
	s.check("exec.stop_loop_job", func() error { return wantOK(c.StopJob(jl)) })

	slow := s.name("xslow")
	s.defer_(func() { _ = c.DeleteJob(slow) })
	s.check("exec.stop_running_batch", func() error {
		in := loopJob(slow, ds)
		in.Scheduler = &client.JobScheduler{Type: "manual"}
		in.Params = nil
		in.Computation = client.Computation{Type: "sql", Code: "select sum((a.id * b.id) % 7) as n from range(1000000) a cross join range(1000000) b"}
		if err := c.CreateJob(in); err != nil {
			return fmt.Errorf("create slow job: %v", err)
		}
		if err := c.StartJob(&client.StartJobInput{JobName: slow}); err != nil {
			return fmt.Errorf("start slow job: %v", err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			out, err := c.GetJobHistory(slow)
			if err != nil {
				return wantOK(err)
			}
			if len(out.History) == 1 && out.History[0].Status == "Running" {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("slow batch never Running: %+v", out.History)
			}
			time.Sleep(100 * time.Millisecond)
		}
		stopped, err := c.StopJobBatch(&client.JobBatchInput{JobName: slow, RunID: 1})
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		d.eq("preStatus", stopped.PreStatus, "Running")
		if stopped.PostStatus != "Cancelling" && stopped.PostStatus != "Canceled" {
			d.add("postStatus = %q, want Cancelling or Canceled", stopped.PostStatus)
		}
		b, err := s.waitFinal(slow, 1)
		if err != nil {
			return err
		}
		d.eq("final status", b.Status, "Canceled")
		return d.err(stopped)
	})

}
