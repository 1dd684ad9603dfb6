// Command conformance drives a running Tidemill server through every Go SDK
// call of the Pandora batch API v2, using the strict client in ./client, and
// prints one line per check followed by "N passed, M failed".
//
// Environment: TIDEMILL_URL (e.g. http://127.0.0.1:9000), TIDEMILL_ACCESS_KEY,
// TIDEMILL_SECRET_KEY; TIDEMILL_HDFS_URL (hdfs://host:port) for the hdfs and
// exports groups, which need an HDFS the server can reach; TIDEMILL_FUSION_DIR
// for the fusion group: the local directory the server reads as its
// TIDEMILL_FUSION__URL (file://), where the program writes CDN logs.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"tidemill/conformance/client"
)

var (
	flagExecution    = flag.Bool("execution", true, "also drive job execution: job start/stop, history, batch stop/rerun")
	flagRunTimeout   = flag.Duration("run-timeout", 90*time.Second, "with -execution: how long to wait for a batch to reach a final status")
	flagSchemaBucket = flag.String("schema-bucket", "conformance-bkt", "kodo bucket holding logs/*.json rows of testSchema (run.sh seeds it); empty skips the schema checks")
	flagVerbose      = flag.Bool("v", false, "trace every request and response to stderr")
	flagLenient      = flag.Bool("lenient-headers", false, "do not fail on a missing X-Reqid or a Content-Type other than exactly application/json")
	flagOnly         = flag.String("only", "", "comma-separated check groups to run (default: all enabled groups)")
)

// group is one self-contained set of checks; each cleans up after itself.
type group struct {
	name    string
	enabled bool
	run     func(*suite)
}

func main() {
	flag.Parse()
	endpoint := strings.TrimRight(os.Getenv("TIDEMILL_URL"), "/")
	ak, sk := os.Getenv("TIDEMILL_ACCESS_KEY"), os.Getenv("TIDEMILL_SECRET_KEY")
	if endpoint == "" || ak == "" || sk == "" {
		fmt.Fprintln(os.Stderr, "conformance: set TIDEMILL_URL, TIDEMILL_ACCESS_KEY and TIDEMILL_SECRET_KEY")
		os.Exit(2)
	}
	c, err := client.New(endpoint, ak, sk)
	if err != nil {
		fmt.Fprintln(os.Stderr, "conformance:", err)
		os.Exit(2)
	}
	c.Lenient = *flagLenient
	if *flagVerbose {
		c.Trace = traceExchange
	}
	s := &suite{c: c, tag: strconv.FormatInt(time.Now().UnixNano()%(1<<40), 36),
		hdfs: strings.TrimRight(os.Getenv("TIDEMILL_HDFS_URL"), "/")}

	groups := []group{
		{"auth", true, (*suite).authChecks},
		{"variables", true, (*suite).variableChecks},
		{"batch", true, (*suite).batchChecks}, // datasources, jobs, job exports
		{"workflows", true, (*suite).workflowChecks},
		{"workflows", true, (*suite).workflowSchedulingChecks}, // start/stop/status with real scheduling
		{"workflow-lifecycle", true, (*suite).workflowLifecycleChecks},
		{"extensions", true, (*suite).extensionChecks}, // issue 14: extension members and backfill
		{"schema", *flagSchemaBucket != "", (*suite).schemaChecks},
		{"execution", *flagExecution, (*suite).executionChecks},
		{"exports", *flagExecution && *flagSchemaBucket != "", (*suite).exportChecks},
		{"hdfs", *flagExecution && *flagSchemaBucket != "", (*suite).hdfsChecks},
		{"retry-notify", *flagExecution, (*suite).retryNotifyChecks}, // issue 14 extension fields

		{"fusion", *flagExecution, (*suite).fusionChecks},
	}
	only := map[string]bool{}
	for _, g := range strings.Split(*flagOnly, ",") {
		if g = strings.TrimSpace(g); g != "" {
			only[g] = true
		}
	}
	for _, g := range groups {
		if len(only) > 0 && !only[g.name] || len(only) == 0 && !g.enabled {
			continue
		}
		g.run(s)
		s.cleanup()
	}
	fmt.Printf("%d passed, %d failed\n", s.passed, s.failed)
	if s.failed > 0 {
		os.Exit(1)
	}
}

func traceExchange(ex client.Exchange) {
	fmt.Fprintf(os.Stderr, ">>> %s %s\n", ex.Method, ex.URL)
	for _, k := range []string{"Content-Type", "Date", "Authorization"} {
		if v, ok := ex.ReqHeader[k]; ok {
			fmt.Fprintf(os.Stderr, "    %s: %s\n", k, strings.Join(v, ","))
		}
	}
	if ex.ReqBody != nil {
		fmt.Fprintf(os.Stderr, "    %s\n", ex.ReqBody)
	}
	if ex.TransportErr != nil {
		fmt.Fprintf(os.Stderr, "<<< transport error: %v\n", ex.TransportErr)
		return
	}
	fmt.Fprintf(os.Stderr, "<<< %d Content-Type=%q X-Reqid=%q\n    %s\n", ex.StatusCode,
		ex.RespHeader.Get("Content-Type"), ex.RespHeader.Get("X-Reqid"), ex.RespBody)
}
