module tidemill/conformance

go 1.26
