module tidemill/loadgen

go 1.26
