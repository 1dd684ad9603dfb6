package main

import (
	"fmt"
	"strings"

	"tidemill/conformance/client"
)

// testSchema is the declared schema of the conformance datasource: one
// field per batch valtype (spec §3.2).
func testSchema() []client.SchemaEntry {
	return []client.SchemaEntry{
		{Key: "a", ValueType: "long", Required: true},
		{Key: "b", ValueType: "string"},
		{Key: "c", ValueType: "float"},
		{Key: "d", ValueType: "date"},
		{Key: "e", ValueType: "boolean"},
	}
}

func kodoDatasource(name, workflow string) *client.CreateDatasourceInput {
	return &client.CreateDatasourceInput{
		DatasourceName: name,
		Region:         "nb",
		Spec:           client.KodoSourceSpec{Bucket: "conformance-bkt", KeyPrefixes: []string{"logs/"}, FileType: "json"},
		Schema:         testSchema(),
		NoVerifySchema: true,
		Workflow:       workflow,
	}
}

func loopJob(name, ds string) *client.CreateJobInput {
	return &client.CreateJobInput{
		JobName:     name,
		Srcs:        []client.JobSrc{{SrcName: ds, Type: "datasource", TableName: "tbl"}},
		Computation: client.Computation{Code: "select * from tbl", Type: "sql"},
		Container:   &client.JobContainer{Type: "1U2G", Count: 1},
		Scheduler:   &client.JobScheduler{Type: "loop", Spec: &client.JobSchedulerSpec{Loop: "10m"}},
		Params:      []client.Param{{Name: "p1", Default: "x"}},
	}
}

func dependJob(name, upstream string) *client.CreateJobInput {
	return &client.CreateJobInput{
		JobName:     name,
		Srcs:        []client.JobSrc{{SrcName: upstream, Type: "job", TableName: "t2"}},
		Computation: client.Computation{Code: "select * from t2", Type: "sql"},
		Scheduler:   &client.JobScheduler{Type: "depend"},
	}
}

func jobNames(jobs []client.JobDesc) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.Name)
	}
	return out
}

// exportCase is one export type the suite creates.
type exportCase struct {
	kind     string
	spec     any
	optional bool // may be refused with exactly E18303 when the server has no target configured
}

// batchChecks: spec §4 (datasources), §6 (jobs) and §8 (job exports),
// including the cascading-delete rules.
func (s *suite) batchChecks() {
	c := s.c
	ds, j, j2 := s.name("ds"), s.name("job"), s.name("dep")
	dsIn := kodoDatasource(ds, "")
	s.defer_(func() { _ = c.DeleteDatasource(ds) })
	s.defer_(func() { _ = c.DeleteJob(j) })
	s.defer_(func() { _ = c.DeleteJob(j2) })

	// ---- datasources ----
	s.check("datasource.create_kodo_noVerifySchema", func() error { return wantOK(c.CreateDatasource(dsIn)) })
	s.check("datasource.get", func() error {
		out, err := c.GetDatasource(ds)
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		d.eq("region", out.Region, "nb")
		d.eq("type", out.Type, "kodo")
		d.eq("workflow", out.Workflow, "")
		if msg := echoEqual(dsIn.Spec, out.Spec); msg != "" {
			d.add("%s", msg)
		}
		d.eq("schema", schemaTriples(out.Schema), schemaTriples(dsIn.Schema))
		return d.err(out)
	})
	s.check("datasource.list", func() error {
		out, err := c.ListDatasources()
		if err != nil {
			return wantOK(err)
		}
		for _, x := range out.Datasources {
			if x.Name == ds {
				var d diffs
				d.eq("region", x.Region, "nb")
				d.eq("type", x.Type, "kodo")
				d.eq("workflow", x.Workflow, "")
				d.eq("schema", schemaTriples(x.Schema), schemaTriples(dsIn.Schema))
				return d.err(x)
			}
		}
		return fmt.Errorf("%s not in list of %d datasources", ds, len(out.Datasources))
	})
	s.check("datasource.exists_true", func() error { return wantExist(c.DatasourceExist(ds)) })
	s.check("datasource.exists_false", func() error { return wantNotExist(c.DatasourceExist(s.name("nods"))) })
	s.check("datasource.create_duplicate_E18101", func() error {
		return wantErr(c.CreateDatasource(dsIn), 409, "E18101", "IsExist", client.IsExist)
	})
	s.check("datasource.get_missing_E18102", func() error {
		_, err := c.GetDatasource(s.name("nods"))
		return wantErr(err, 404, "E18102", "IsNoSuchResource", client.IsNoSuchResource)
	})
	s.check("datasource.create_invalid_name_E18103", func() error {
		return wantErr(c.CreateDatasource(kodoDatasource("1"+ds, "")), 400, "E18103", "", nil)
	})

	// ---- jobs ----
	jIn, j2In := loopJob(j, ds), dependJob(j2, j)
	s.check("job.create_loop", func() error { return wantOK(c.CreateJob(jIn)) })
	s.check("job.create_depend", func() error { return wantOK(c.CreateJob(j2In)) })
	s.check("job.get_loop", func() error {
		out, err := c.GetJob(j)
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		d.eq("srcs", out.Srcs, jIn.Srcs)
		d.eq("computation.code", out.Computation.Code, jIn.Computation.Code)
		d.eq("computation.type(lower)", strings.ToLower(out.Computation.Type), "sql")
		d.eq("container", out.Container, &client.JobContainer{Type: "1U2G", Count: 1})
		d.eq("scheduler", out.Scheduler, jIn.Scheduler)
		d.eq("params", out.Params, jIn.Params)
		d.eq("workflow", out.Workflow, "")
		if len(out.Schema) > 0 {
			d.eq("schema", schemaPairs(out.Schema), schemaPairs(testSchema()))
		}
		return d.err(out)
	})
	s.check("job.get_depend", func() error {
		out, err := c.GetJob(j2)
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		d.eq("srcs", out.Srcs, j2In.Srcs)
		if out.Scheduler == nil || out.Scheduler.Type != "depend" {
			d.add("scheduler = %+v, want type depend", out.Scheduler)
		}
		if out.Container != nil {
			d.add("container = %+v, want absent for a depend job", out.Container)
		}
		if len(out.Params) != 0 {
			d.add("params = %+v, want absent for a depend job", out.Params)
		}
		d.eq("workflow", out.Workflow, "")
		return d.err(out)
	})
	s.check("job.list_all", func() error {
		out, err := c.ListJobs(nil)
		if err != nil {
			return wantOK(err)
		}
		names := jobNames(out.Jobs)
		if !contains(names, j) || !contains(names, j2) {
			return fmt.Errorf("list %v lacks %s or %s", names, j, j2)
		}
		for _, x := range out.Jobs {
			if x.Name == j && (x.Container == nil || x.Container.Count != 1) {
				return fmt.Errorf("%s container = %+v", j, x.Container)
			}
		}
		return nil
	})
	s.check("job.list_srcDatasource", func() error {
		out, err := c.ListJobs(&client.ListJobsInput{SrcDatasource: ds})
		if err != nil {
			return wantOK(err)
		}
		if got := sortedCopy(jobNames(out.Jobs)); !equalStrings(got, []string{j}) {
			return fmt.Errorf("jobs = %v, want [%s]", got, j)
		}
		return nil
	})
	s.check("job.list_srcJob", func() error {
		out, err := c.ListJobs(&client.ListJobsInput{SrcJob: j})
		if err != nil {
			return wantOK(err)
		}
		if got := sortedCopy(jobNames(out.Jobs)); !equalStrings(got, []string{j2}) {
			return fmt.Errorf("jobs = %v, want [%s]", got, j2)
		}
		return nil
	})
	s.check("job.exists_true", func() error { return wantExist(c.JobExist(j)) })
	s.check("job.exists_false", func() error { return wantNotExist(c.JobExist(s.name("nojob"))) })
	s.check("job.create_duplicate_E18201", func() error {
		return wantErr(c.CreateJob(jIn), 409, "E18201", "", nil)
	})
	s.check("job.get_missing_E18202", func() error {
		_, err := c.GetJob(s.name("nojob"))
		return wantErr(err, 404, "E18202", "IsNoSuchResource", client.IsNoSuchResource)
	})
	s.check("datasource.delete_used_by_job_E18112", func() error {
		return wantErr(c.DeleteDatasource(ds), 400, "E18112", "", nil)
	})

	// ---- job exports ----
	exports := []exportCase{
		{"kodo", client.JobExportKodoSpec{Bucket: "conformance-out", KeyPrefix: "out/", Format: "json", Retention: 1, FileCount: 1, SaveMode: "append"}, false},
		{"http", client.JobExportHttpSpec{Host: "127.0.0.1:7758", Uri: "/recv"}, false},
		{"hdfs", client.JobExportHdfsSpec{Path: "hdfs://127.0.0.1:9000/out", Format: "parquet", FileCount: 1}, true},
		{"logdb", client.JobExportLogdbSpec{DestRepoName: "r", Doc: map[string]string{"a": "#a"}}, true},
		{"tsdb", client.JobExportTsdbSpec{DestRepoName: "r", SeriesName: "s", Tags: map[string]string{"b": "#b"}, Fields: map[string]string{"a": "#a"}}, true},
	}
	var created []string
	exportName := func(kind string) string { return "e_" + kind }
	for _, ec := range exports {
		ec := ec
		en := exportName(ec.kind)
		s.defer_(func() { _ = c.DeleteJobExport(j, en) })
		s.checkNote("export.create_"+ec.kind, func() (string, error) {
			err := c.CreateJobExport(&client.CreateJobExportInput{JobName: j, ExportName: en, Spec: ec.spec})
			if err == nil {
				created = append(created, en)
				return "accepted", nil
			}
			if ec.optional && client.Code(err) == "E18303" && client.StatusCode(err) == 400 {
				e, _ := client.AsError(err)
				return "refused as allowed: " + e.Message, nil
			}
			if ec.optional {
				return "", fmt.Errorf("want success or HTTP 400 E18303, got %v", err)
			}
			return "", wantOK(err)
		})
	}
	for _, ec := range exports {
		ec := ec
		en := exportName(ec.kind)
		if !contains(created, en) {
			continue
		}
		s.check("export.get_"+ec.kind, func() error {
			out, err := c.GetJobExport(j, en)
			if err != nil {
				return wantOK(err)
			}
			var d diffs
			d.eq("type", out.Type, ec.kind)
			d.eq("workflow", out.Workflow, "")
			if msg := echoEqual(ec.spec, out.Spec); msg != "" {
				d.add("%s", msg)
			}
			return d.err(out)
		})
	}
	s.check("export.list", func() error {
		out, err := c.ListJobExports(j)
		if err != nil {
			return wantOK(err)
		}
		var names []string
		for _, e := range out.Exports {
			names = append(names, e.Name)
			if e.Type == "" || e.Spec == nil {
				return fmt.Errorf("export %q has empty type or spec", e.Name)
			}
		}
		if got, want := sortedCopy(names), sortedCopy(created); !equalStrings(got, want) {
			return fmt.Errorf("exports = %v, want %v", got, want)
		}
		return nil
	})
	s.check("export.exists_true", func() error { return wantExist(c.JobExportExist(j, exportName("kodo"))) })
	s.check("export.exists_false", func() error { return wantNotExist(c.JobExportExist(j, "e_none")) })
	s.check("export.create_duplicate_E18301", func() error {
		err := c.CreateJobExport(&client.CreateJobExportInput{JobName: j, ExportName: exportName("kodo"), Spec: exports[0].spec})
		return wantErr(err, 409, "E18301", "IsExist", client.IsExist)
	})
	s.check("export.get_missing_E18302", func() error {
		_, err := c.GetJobExport(j, "e_none")
		return wantErr(err, 404, "E18302", "IsNoSuchResource", client.IsNoSuchResource)
	})
	s.check("job.delete_with_exports_E18112", func() error {
		return wantErr(c.DeleteJob(j), 400, "E18112", "", nil)
	})
	s.check("export.delete_all", func() error {
		for _, en := range created {
			if err := c.DeleteJobExport(j, en); err != nil {
				return fmt.Errorf("delete %s: %v", en, err)
			}
		}
		return nil
	})
	s.check("export.get_after_delete_E18302", func() error {
		_, err := c.GetJobExport(j, exportName("kodo"))
		return wantErr(err, 404, "E18302", "IsNoSuchResource", client.IsNoSuchResource)
	})

	// ---- delete order: downstream job, upstream job, datasource ----
	s.check("job.delete_with_downstream_E18112", func() error {
		return wantErr(c.DeleteJob(j), 400, "E18112", "", nil)
	})
	s.check("job.delete_downstream", func() error { return wantOK(c.DeleteJob(j2)) })
	s.check("job.delete_upstream", func() error { return wantOK(c.DeleteJob(j)) })
	s.check("job.get_after_delete_E18202", func() error {
		_, err := c.GetJob(j)
		return wantErr(err, 404, "E18202", "IsNoSuchResource", client.IsNoSuchResource)
	})
	s.check("datasource.delete", func() error { return wantOK(c.DeleteDatasource(ds)) })
	s.check("datasource.get_after_delete_E18102", func() error {
		_, err := c.GetDatasource(ds)
		return wantErr(err, 404, "E18102", "IsNoSuchResource", client.IsNoSuchResource)
	})
	s.check("datasource.delete_missing_E18102", func() error {
		return wantErr(c.DeleteDatasource(ds), 404, "E18102", "IsNoSuchResource", client.IsNoSuchResource)
	})
}

func wantExist(exist bool, err error) error {
	if err != nil {
		return wantOK(err)
	}
	if !exist {
		return fmt.Errorf(`{"exist": false}, want true`)
	}
	return nil
}

func wantNotExist(exist bool, err error) error {
	if err != nil {
		return wantOK(err)
	}
	if exist {
		return fmt.Errorf(`{"exist": true}, want false`)
	}
	return nil
}

// schemaTriples renders key:valtype:required, the part of a schema entry a
// server must echo.
func schemaTriples(s []client.SchemaEntry) []string {
	out := []string{}
	for _, e := range s {
		out = append(out, fmt.Sprintf("%s:%s:%v", e.Key, e.ValueType, e.Required))
	}
	return out
}

// schemaPairs renders key:valtype.
func schemaPairs(s []client.SchemaEntry) []string {
	out := []string{}
	for _, e := range s {
		out = append(out, e.Key+":"+e.ValueType)
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
