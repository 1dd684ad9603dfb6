package main

import (
	"tidemill/conformance/client"
)

// schemaChecks (flag -schema-bucket): spec §5. For fileType text the
// inferred schema is exactly one string column named "text".
func (s *suite) schemaChecks() {
	s.check("schema.retrieve_text", func() error {
		out, err := s.c.RetrieveSchema(&client.RetrieveSchemaInput{
			Spec: client.KodoSourceSpec{Bucket: *flagSchemaBucket, FileType: "text"}})
		if err != nil {
			return wantOK(err)
		}
		var d diffs
		d.eq("schema", schemaPairs(out.Schema), []string{"text:string"})
		return d.err(out)
	})
}
