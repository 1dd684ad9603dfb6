package main

import (
	"fmt"
	"time"

	"tidemill/conformance/client"
)

// workflowSchedulingChecks: spec §10.5, §10.6, §3.6, §7.6 with real scheduling behind them.
// A workflow holding a crontab job that fires every second is started: the job's batches appear
// on their own (a job inside a workflow cannot be started by hand), each with its own
// whole-second batchTime; StopWorkflow stops the firing; a second start resumes it.
func (s *suite) workflowSchedulingChecks() {
	c := s.c
	wf, ds, j, e := s.name("swf"), s.name("swfds"), s.name("swfjob"), "e_sched"
	s.defer_(func() { _ = c.DeleteWorkflow(wf) })
	s.defer_(func() { _ = c.DeleteDatasource(ds) })
	s.defer_(func() { _ = c.DeleteJob(j) })
	s.defer_(func() { _ = c.DeleteJobExport(j, e) })
	s.defer_(func() { _ = c.StopWorkflow(wf); _ = s.waitWorkflow(wf, "Stopped") })

	s.check("workflow.scheduling_setup", func() error {
		if err := c.CreateWorkflow(&client.CreateWorkflowInput{WorkflowName: wf, Region: "nb"}); err != nil {
			return fmt.Errorf("create workflow: %v", err)
		}
		if err := c.CreateDatasource(kodoDatasource(ds, wf)); err != nil {
			return fmt.Errorf("create datasource: %v", err)
		}
		job := loopJob(j, ds)
		job.Computation = client.Computation{Code: "select count(*) as n from tbl", Type: "sql"}
		job.Scheduler = &client.JobScheduler{Type: "crontab", Spec: &client.JobSchedulerSpec{Crontab: "* * * * * *"}}
		if err := c.CreateJob(job); err != nil {
			return fmt.Errorf("create job: %v", err)
		}
		return wantOK(c.CreateJobExport(&client.CreateJobExportInput{JobName: j, ExportName: e,
			Spec: client.JobExportKodoSpec{Bucket: "conformance-out", KeyPrefix: "sched/", Format: "json", FileCount: 1}}))
	})
	s.check("workflow.scheduling_nothing_fires_before_start", func() error {
		time.Sleep(1500 * time.Millisecond)
		return s.wantBatches(j, 0, 0)
	})
	s.check("workflow.scheduling_job_start_refused_E18644", func() error {
		return wantErr(c.StartJob(&client.StartJobInput{JobName: j}), 400, "E18644", "", nil)
	})
	s.check("workflow.scheduling_start", func() error { return wantOK(c.StartWorkflow(wf)) })
	s.check("workflow.scheduling_status_Started", func() error { return s.waitWorkflow(wf, "Started") })
	s.check("workflow.scheduling_status_nodes", func() error {
		out, err := c.GetWorkflowStatus(wf)
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		d.eq("status", out.Status, "Started")
		found := false
		for _, n := range out.Nodes {
			if n.Name == j && n.Type == "job" {
				found = true
				d.eq("job node status", n.Status, "Started")
			}
		}
		if !found {
			d.add("no job node %q in %v", j, out.Nodes)
		}
		return d.err(out)
	})
	s.check("workflow.scheduling_crontab_fires", func() error { return s.waitBatches(j, 2, 20*time.Second) })
	s.check("workflow.scheduling_stop", func() error { return wantOK(c.StopWorkflow(wf)) })
	s.check("workflow.scheduling_status_Stopped", func() error { return s.waitWorkflow(wf, "Stopped") })
	s.check("workflow.scheduling_stopped_fires_nothing", func() error {
		before, err := s.settledHistory(j, 20*time.Second)
		if err != nil {
			return err
		}
		time.Sleep(2500 * time.Millisecond)
		after, err := c.GetJobHistory(j)
		if err != nil {
			return wantOK(err)
		}
		if after.Total != int64(len(before)) {
			return fmt.Errorf("%d batches when stopped, %d after 2.5 s", len(before), after.Total)
		}
		return nil
	})
	s.check("workflow.scheduling_restart_resumes", func() error {
		out, err := c.GetJobHistory(j)
		if err != nil {
			return wantOK(err)
		}
		if err := c.StartWorkflow(wf); err != nil {
			return wantOK(err)
		}
		if err := s.waitWorkflow(wf, "Started"); err != nil {
			return err
		}
		return s.waitBatches(j, int(out.Total)+1, 20*time.Second)
	})
	s.check("workflow.scheduling_stop_again", func() error {
		if err := c.StopWorkflow(wf); err != nil {
			return wantOK(err)
		}
		return s.waitWorkflow(wf, "Stopped")
	})
}

// wantBatches fails unless the job has between min and max batches.
func (s *suite) wantBatches(job string, min, max int) error {
	out, err := s.c.GetJobHistory(job)
	if err != nil {
		return wantOK(err)
	}
	if n := int(out.Total); n < min || n > max {
		return fmt.Errorf("%d batches, want %d..%d: %+v", n, min, max, out.History)
	}
	return nil
}

// waitBatches waits for at least n batches and checks that their batchTimes are distinct
// whole seconds in the RFC 3339 form of §7.1.
func (s *suite) waitBatches(job string, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		out, err := s.c.GetJobHistory(job)
		if err != nil {
			return wantOK(err)
		}
		if len(out.History) >= n {
			seen := map[string]bool{}
			for _, b := range out.History {
				t, err := time.Parse(time.RFC3339, b.BatchTime)
				if err != nil || t.Nanosecond() != 0 {
					return fmt.Errorf("batch %d batchTime %q is not a whole-second RFC 3339 time", b.RunID, b.BatchTime)
				}
				if seen[b.BatchTime] {
					return fmt.Errorf("two batches with batchTime %s: %+v", b.BatchTime, out.History)
				}
				seen[b.BatchTime] = true
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d batches after %s, want >= %d", len(out.History), timeout, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// settledHistory waits until no batch of the job is Ready, Running or Cancelling.
func (s *suite) settledHistory(job string, timeout time.Duration) ([]client.BatchHistory, error) {
	deadline := time.Now().Add(timeout)
	for {
		out, err := s.c.GetJobHistory(job)
		if err != nil {
			return nil, wantOK(err)
		}
		busy := 0
		for _, b := range out.History {
			switch b.Status {
			case "Ready", "Running", "Cancelling", "Restarting":
				busy++
			}
		}
		if busy == 0 {
			return out.History, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d batches still active %s after the stop: %+v", busy, timeout, out.History)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
