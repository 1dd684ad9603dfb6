package main

import (
	"tidemill/conformance/client"
)

// schemaChecks (flag -schema-bucket): spec §5 and D-7, over the bucket run.sh
// seeds with logs/a.json holding rows of testSchema.
func (s *suite) schemaChecks() {
	c := s.c
	bucket := *flagSchemaBucket
	s.check("schema.retrieve_text", func() error {
		out, err := c.RetrieveSchema(&client.RetrieveSchemaInput{
			Spec: client.KodoSourceSpec{Bucket: bucket, FileType: "text"}})
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		d.eq("schema", schemaPairs(out.Schema), []string{"text:string"})
		return d.err(out)
	})
	s.check("schema.retrieve_json", func() error {
		out, err := c.RetrieveSchema(&client.RetrieveSchemaInput{
			Spec: client.KodoSourceSpec{Bucket: bucket, KeyPrefixes: []string{"logs/"}, FileType: "json"}})
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		d.eq("schema", schemaPairs(out.Schema),
			[]string{"a:long", "b:string", "c:float", "d:date", "e:boolean"})
		return d.err(out)
	})
	s.check("schema.retrieve_missing_bucket_E18109", func() error {
		_, err := c.RetrieveSchema(&client.RetrieveSchemaInput{
			Spec: client.KodoSourceSpec{Bucket: "no-such-bucket", FileType: "json"}})
		return wantErr(err, 400, "E18109", "", nil)
	})
	s.check("schema.retrieve_no_files_E18109", func() error {
		_, err := c.RetrieveSchema(&client.RetrieveSchemaInput{
			Spec: client.KodoSourceSpec{Bucket: bucket, KeyPrefixes: []string{"nothing-here/"}, FileType: "json"}})
		return wantErr(err, 400, "E18109", "", nil)
	})

	verified, mismatched := s.name("verified"), s.name("mismatched")
	s.defer_(func() { _ = c.DeleteDatasource(verified) })
	s.defer_(func() { _ = c.DeleteDatasource(mismatched) })
	s.check("schema.create_verifies_matching_schema", func() error {
		in := kodoDatasource(verified, "")
		in.Spec = client.KodoSourceSpec{Bucket: bucket, KeyPrefixes: []string{"logs/"}, FileType: "json"}
		in.NoVerifySchema = false
		return wantOK(c.CreateDatasource(in))
	})
	s.check("schema.create_refuses_mismatched_schema_E18110", func() error {
		in := kodoDatasource(mismatched, "")
		in.Spec = client.KodoSourceSpec{Bucket: bucket, KeyPrefixes: []string{"logs/"}, FileType: "json"}
		in.Schema = []client.SchemaEntry{{Key: "b", ValueType: "long"}}
		in.NoVerifySchema = false
		return wantErr(c.CreateDatasource(in), 400, "E18110", "", nil)
	})
}
