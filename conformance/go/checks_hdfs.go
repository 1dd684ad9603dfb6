package main

import (
	"fmt"

	"tidemill/conformance/client"
)

// hdfsChecks: spec §4.2.2 and §8.3 on a real HDFS (TIDEMILL_HDFS_URL, which
// run.sh starts when this group or the exports group runs). A manual job over
// the seeded bucket exports its rows as csv to HDFS; an hdfs datasource over
// that directory is created with schema verification and inferred through
// POST /v2/schemas; a job over it runs and its result is read back.
func (s *suite) hdfsChecks() {
	c := s.c
	if s.hdfs == "" {
		s.checkNote("hdfs.skipped", func() (string, error) { return "TIDEMILL_HDFS_URL not set", nil })
		return
	}
	ds, job, hds, reader := s.name("hkds"), s.name("hjob"), s.name("hds"), s.name("hread")
	s.defer_(func() { _ = c.DeleteJob(reader) })
	s.defer_(func() { _ = c.DeleteDatasource(hds) })
	s.defer_(func() { _ = c.DeleteJob(job) })
	s.defer_(func() { _ = c.DeleteDatasource(ds) })
	dir := s.hdfs + "/cf-" + s.tag + "/rows"

	writer := loopJob(job, ds)
	writer.Scheduler = &client.JobScheduler{Type: "manual"}
	writer.Params = nil
	writer.Computation.Code = "select a, b from tbl"
	s.check("hdfs.export_create", func() error {
		if err := c.CreateDatasource(kodoDatasource(ds, "")); err != nil {
			return fmt.Errorf("create datasource: %v", err)
		}
		if err := c.CreateJob(writer); err != nil {
			return fmt.Errorf("create job: %v", err)
		}
		return wantOK(c.CreateJobExport(&client.CreateJobExportInput{JobName: job, ExportName: "e_hdfs", Type: "hdfs",
			Spec: map[string]any{"path": dir, "format": "csv", "compression": "gzip", "delimiter": ",",
				"containsHeader": true, "fileCount": 2, "saveMode": "overwrite"}}))
	})
	s.checkNote("hdfs.export_runs", func() (string, error) {
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
		return fmt.Sprintf("runId %d", b.RunID), nil
	})
	spec := map[string]any{"paths": []string{dir}, "fileType": "csv", "delimiter": ",", "containsHeader": true}
	s.check("hdfs.schema_inferred", func() error {
		out, err := c.RetrieveSchema(&client.RetrieveSchemaInput{Type: "hdfs", Spec: spec})
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		d.eq("schema", schemaPairs(out.Schema), []string{"a:long", "b:string"})
		return d.err(out)
	})
	s.check("hdfs.datasource_verified", func() error {
		return wantOK(c.CreateDatasource(&client.CreateDatasourceInput{DatasourceName: hds, Region: "nb", Type: "hdfs",
			Spec: spec, Schema: []client.SchemaEntry{{Key: "a", ValueType: "long"}, {Key: "b", ValueType: "string"}}}))
	})
	s.check("hdfs.datasource_read", func() error {
		_, rows, err := s.readDatasource(reader, hds, "select count(*) as n, sum(a) as total, max(b) as m from t")
		if err != nil {
			return err
		}
		var d diffs
		d.eq("rows", fmt.Sprint(rows), "[[2 3 y]]")
		return d.err(rows)
	})
}
