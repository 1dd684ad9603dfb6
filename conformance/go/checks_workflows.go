package main

import (
	"fmt"
	"time"

	"tidemill/conformance/client"
)

// workflowChecks: spec §10 (create, get, bare-array list, update with
// nodes null, status, start refused without an export, datasource
// attachment and delete rules).
func (s *suite) workflowChecks() {
	c := s.c
	wf, ds := s.name("wf"), s.name("wfds")
	const comment = "workflow_for_test"
	s.defer_(func() { _ = c.DeleteWorkflow(wf) })
	s.defer_(func() { _ = c.DeleteDatasource(ds) })

	s.check("workflow.create", func() error {
		return wantOK(c.CreateWorkflow(&client.CreateWorkflowInput{WorkflowName: wf, Region: "nb", Comment: comment}))
	})
	s.check("workflow.get", func() error {
		out, err := c.GetWorkflow(wf)
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		if out.Name != "" {
			d.eq("name", out.Name, wf)
		}
		d.eq("region", out.Region, "nb")
		d.eq("comment", out.Comment, comment)
		d.eq("status", out.Status, "Ready")
		d.eq("canStart", out.CanStart, false)
		d.eq("isManualWorkflow", out.IsManualWorkflow, false)
		if out.CreateTime == "" || out.UpdateTime == "" {
			d.add("createTime %q / updateTime %q must be non-empty", out.CreateTime, out.UpdateTime)
		}
		if len(out.Nodes) != 0 {
			d.add("new workflow has %d nodes", len(out.Nodes))
		}
		return d.err(out)
	})
	s.check("workflow.list_bare_array", func() error {
		out, err := c.ListWorkflows()
		if err != nil {
			return wantOK(err)
		}
		for _, w := range out {
			if w.Name == wf {
				if w.Region != "nb" || w.Status != "Ready" {
					return fmt.Errorf("listed as region %q status %q", w.Region, w.Status)
				}
				return nil
			}
		}
		return fmt.Errorf("%s not among %d listed workflows", wf, len(out))
	})
	s.check("workflow.create_duplicate_E18640", func() error {
		err := c.CreateWorkflow(&client.CreateWorkflowInput{WorkflowName: wf, Region: "nb"})
		return wantErr(err, 409, "E18640", "IsExist", client.IsExist)
	})
	s.check("workflow.get_missing_E18641", func() error {
		_, err := c.GetWorkflow(s.name("nowf"))
		return wantErr(err, 404, "E18641", "IsNoSuchResource", client.IsNoSuchResource)
	})
	s.check("workflow.update_nodes_null", func() error {
		if err := c.UpdateWorkflow(&client.UpdateWorkflowInput{WorkflowName: wf, Region: "nb"}); err != nil {
			return wantOK(err)
		}
		out, err := c.GetWorkflow(wf)
		if err != nil {
			return fmt.Errorf("get after update: %v", err)
		}
		var d diffs
		d.eq("status", out.Status, "Ready")
		d.eq("comment (not in the update body, so unchanged)", out.Comment, comment)
		return d.err(out)
	})
	s.check("workflow.status", func() error {
		out, err := c.GetWorkflowStatus(wf)
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		if out.Name != "" {
			d.eq("name", out.Name, wf)
		}
		d.eq("status", out.Status, "Ready")
		return d.err(out)
	})
	s.check("workflow.start_without_export_E18644", func() error {
		return wantErr(c.StartWorkflow(wf), 400, "E18644", "", nil)
	})
	s.check("workflow.stop_not_started_E18645", func() error {
		return wantErr(c.StopWorkflow(wf), 400, "E18645", "", nil)
	})
	s.check("workflow.attach_datasource", func() error { return wantOK(c.CreateDatasource(kodoDatasource(ds, wf))) })
	s.check("workflow.get_datasource_node", func() error {
		out, err := c.GetWorkflow(wf)
		if err != nil {
			return wantOK(err)
		}
		n, ok := out.Nodes[ds+"-datasource"]
		if !ok {
			return fmt.Errorf("node %q missing", ds+"-datasource")
		}
		var d diffs
		d.eq("node.name", n.Name, ds)
		d.eq("node.type", n.Type, "datasource")
		d.eq("canStart", out.CanStart, false)
		if n.Data == nil {
			d.add("node.data is null")
		}
		return d.err(out)
	})
	s.check("workflow.datasource_get_shows_workflow", func() error {
		out, err := c.GetDatasource(ds)
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		d.eq("workflow", out.Workflow, wf)
		return d.err(out)
	})
	s.check("workflow.delete_not_empty_E18112", func() error {
		return wantErr(c.DeleteWorkflow(wf), 400, "E18112", "", nil)
	})
	s.check("workflow.delete", func() error {
		if err := c.DeleteDatasource(ds); err != nil {
			return fmt.Errorf("delete member datasource: %v", err)
		}
		return wantOK(c.DeleteWorkflow(wf))
	})
	s.check("workflow.get_after_delete_E18641", func() error {
		_, err := c.GetWorkflow(wf)
		return wantErr(err, 404, "E18641", "IsNoSuchResource", client.IsNoSuchResource)
	})
}

// workflowLifecycleChecks: spec §10.6, §10.8. A workflow with a job export can start; while it
// is started, its resources cannot change (E18643); it stops again.
func (s *suite) workflowLifecycleChecks() {
	c := s.c
	wf, ds, j, e := s.name("xwf"), s.name("xwfds"), s.name("xwfjob"), "e_kodo"
	s.defer_(func() { _ = c.DeleteWorkflow(wf) })
	s.defer_(func() { _ = c.DeleteDatasource(ds) })
	s.defer_(func() { _ = c.DeleteJob(j) })
	s.defer_(func() { _ = c.DeleteJobExport(j, e) })
	s.defer_(func() { _ = c.StopWorkflow(wf); _ = s.waitWorkflow(wf, "Stopped") })

	s.check("workflow.lifecycle_setup", func() error {
		if err := c.CreateWorkflow(&client.CreateWorkflowInput{WorkflowName: wf, Region: "nb"}); err != nil {
			return fmt.Errorf("create workflow: %v", err)
		}
		if err := c.CreateDatasource(kodoDatasource(ds, wf)); err != nil {
			return fmt.Errorf("create datasource: %v", err)
		}
		if err := c.CreateJob(loopJob(j, ds)); err != nil {
			return fmt.Errorf("create job: %v", err)
		}
		return wantOK(c.CreateJobExport(&client.CreateJobExportInput{JobName: j, ExportName: e,
			Spec: client.JobExportKodoSpec{Bucket: "conformance-out", KeyPrefix: "out/", Format: "json", FileCount: 1}}))
	})
	s.check("workflow.lifecycle_can_start", func() error {
		out, err := c.GetWorkflow(wf)
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		d.eq("canStart", out.CanStart, true)
		for _, id := range []string{ds + "-datasource", j + "-job", e + "-exportBatch"} {
			if _, ok := out.Nodes[id]; !ok {
				d.add("node %q missing", id)
			}
		}
		return d.err(out)
	})
	s.check("workflow.lifecycle_start", func() error { return wantOK(c.StartWorkflow(wf)) })
	s.check("workflow.lifecycle_reaches_Started", func() error { return s.waitWorkflow(wf, "Started") })
	s.check("workflow.lifecycle_started_change_E18643", func() error {
		err := c.CreateDatasource(kodoDatasource(s.name("xwfds2"), wf))
		if err == nil {
			_ = c.DeleteDatasource(s.name("xwfds2"))
		}
		return wantErr(err, 400, "E18643", "IsWorkflowStat", client.IsWorkflowStat)
	})
	s.check("workflow.lifecycle_start_again_E18644", func() error {
		return wantErr(c.StartWorkflow(wf), 400, "E18644", "", nil)
	})
	s.check("workflow.lifecycle_stop", func() error { return wantOK(c.StopWorkflow(wf)) })
	s.check("workflow.lifecycle_reaches_Stopped", func() error { return s.waitWorkflow(wf, "Stopped") })
}

func (s *suite) waitWorkflow(wf, status string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := s.c.GetWorkflowStatus(wf)
		if err != nil {
			return err
		}
		if out.Status == status {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("workflow status %q after 30s, want %q", out.Status, status)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
