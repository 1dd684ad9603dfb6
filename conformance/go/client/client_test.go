package client

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// captured is what the fake server saw.
type captured struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   string
	ContentLength          int64
}

// fake answers every request with the configured status/headers/body and
// records the request.
type fake struct {
	mu       sync.Mutex
	last     captured
	status   int
	body     string
	ctype    string
	noReqid  bool
	srv      *httptest.Server
	clientOf *Client
}

func newFake(t *testing.T) *fake {
	f := &fake{status: 200, ctype: "application/json"}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.last = captured{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(),
			Body: string(b), ContentLength: r.ContentLength}
		status, body, ctype, noReqid := f.status, f.body, f.ctype, f.noReqid
		f.mu.Unlock()
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		if !noReqid {
			w.Header().Set("X-Reqid", "FgAAABCbBb4s9zsV")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(f.srv.Close)
	c, err := New(f.srv.URL, vecAK, vecSK)
	if err != nil {
		t.Fatal(err)
	}
	f.clientOf = c
	return f
}

func (f *fake) reply(status int, ctype, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.ctype, f.body = status, ctype, body
}

// checkSigned verifies the Authorization header against the SDK form.
func checkSigned(t *testing.T, got captured) {
	t.Helper()
	date := got.Header.Get("Date")
	d, err := time.Parse(http.TimeFormat, date)
	if err != nil || time.Since(d) > time.Minute {
		t.Fatalf("bad Date %q: %v", date, err)
	}
	want := Authorization(vecAK, vecSK, StringToSign(got.Method, "", got.Header.Get("Content-Type"), date, nil, got.Path))
	if a := got.Header.Get("Authorization"); a != want {
		t.Fatalf("Authorization %q, want %q", a, want)
	}
}

func TestWireBodiesMatchSpec11(t *testing.T) {
	f := newFake(t)
	c := f.clientOf
	type tc struct {
		name   string
		call   func() error
		method string
		path   string
		query  string
		ctype  string // "" = header must be absent
		body   string // exact; "" = no body
	}
	cases := []tc{
		{"CreateDatasource kodo", func() error {
			return c.CreateDatasource(&CreateDatasourceInput{DatasourceName: "ds", Region: "nb",
				Spec:   KodoSourceSpec{Bucket: "bkt1", KeyPrefixes: []string{"logs/"}, FileType: "json"},
				Schema: []SchemaEntry{{Key: "f1", ValueType: "string", Required: true}}})
		}, "POST", "/v2/datasources/ds", "", "application/json",
			`{"region":"nb","type":"kodo","spec":{"bucket":"bkt1","keyPrefixes":["logs/"],"fileType":"json"},"schema":[{"key":"f1","valtype":"string","required":true,"description":null}],"noVerifySchema":false,"workflow":""}`},
		{"CreateDatasource fusion", func() error {
			return c.CreateDatasource(&CreateDatasourceInput{DatasourceName: "ds", Region: "nb",
				Spec:   FusionSourceSpec{Domains: []string{"a.example.com"}, FileFilter: "$(d5) ~ $(now)"},
				Schema: []SchemaEntry{{Key: "f1", ValueType: "long"}}, NoVerifySchema: true, Workflow: "wf"})
		}, "POST", "/v2/datasources/ds", "", "application/json",
			`{"region":"nb","type":"fusion","spec":{"domains":["a.example.com"],"fileFilter":"$(d5) ~ $(now)"},"schema":[{"key":"f1","valtype":"long","required":false,"description":null}],"noVerifySchema":true,"workflow":"wf"}`},
		{"RetrieveSchema", func() error {
			f.reply(200, "application/json", `{"schema":[]}`)
			defer f.reply(200, "application/json", "")
			_, err := c.RetrieveSchema(&RetrieveSchemaInput{Spec: KodoSourceSpec{Bucket: "bkt1", FileType: "text"}})
			return err
		}, "POST", "/v2/schemas", "", "application/json",
			`{"type":"kodo","spec":{"bucket":"bkt1","keyPrefixes":null,"fileType":"text"}}`},
		{"CreateJob loop", func() error {
			return c.CreateJob(&CreateJobInput{JobName: "j",
				Srcs:        []JobSrc{{SrcName: "ds", Type: "datasource", TableName: "tbl"}},
				Computation: Computation{Code: "select * from tbl", Type: "sql"},
				Container:   &JobContainer{Type: "1U2G", Count: 1},
				Scheduler:   &JobScheduler{Type: "loop", Spec: &JobSchedulerSpec{Loop: "10m"}},
				Params:      []Param{{Name: "p1", Default: "x"}}})
		}, "POST", "/v2/jobs/j", "", "application/json",
			`{"srcs":[{"name":"ds","fileFilter":"","type":"datasource","tableName":"tbl"}],"computation":{"code":"select * from tbl","type":"sql"},"container":{"type":"1U2G","count":1},"scheduler":{"type":"loop","spec":{"loop":"10m"}},"params":[{"name":"p1","default":"x"}]}`},
		{"CreateJob depend", func() error {
			return c.CreateJob(&CreateJobInput{JobName: "j2",
				Srcs:        []JobSrc{{SrcName: "j", Type: "job", TableName: "t2"}},
				Computation: Computation{Code: "select * from t2", Type: "sql"},
				Scheduler:   &JobScheduler{Type: "depend"}})
		}, "POST", "/v2/jobs/j2", "", "application/json",
			`{"srcs":[{"name":"j","fileFilter":"","type":"job","tableName":"t2"}],"computation":{"code":"select * from t2","type":"sql"},"scheduler":{"type":"depend"}}`},
		{"StartJob params", func() error {
			return c.StartJob(&StartJobInput{JobName: "j", Params: []Param{{Name: "p1", Value: "y"}}})
		}, "POST", "/v2/jobs/j/actions/start", "", "application/json", `{"params":[{"name":"p1","value":"y","default":""}]}`},
		{"StartJob empty", func() error { return c.StartJob(&StartJobInput{JobName: "j"}) },
			"POST", "/v2/jobs/j/actions/start", "", "application/json", `{}`},
		{"StopJob", func() error { return c.StopJob("j") }, "POST", "/v2/jobs/j/actions/stop", "", "", ""},
		{"GetJobHistory", func() error {
			f.reply(200, "application/json", `{"total":0,"history":[]}`)
			defer f.reply(200, "application/json", "")
			_, err := c.GetJobHistory("j")
			return err
		}, "GET", "/v2/jobs/j/history", "", "", ""},
		{"StopJobBatch", func() error {
			f.reply(200, "application/json", `{"preStatus":"Running","postStatus":"Canceled"}`)
			defer f.reply(200, "application/json", "")
			_, err := c.StopJobBatch(&JobBatchInput{JobName: "j", RunID: 3})
			return err
		}, "POST", "/v2/batch/actions/stop", "", "application/json", `{"jobName":"j","runId":3}`},
		{"RerunJobBatch", func() error {
			f.reply(200, "application/json", `{"preStatus":"Failed","postStatus":"Running","rerunCount":1}`)
			defer f.reply(200, "application/json", "")
			_, err := c.RerunJobBatch(&JobBatchInput{JobName: "j", RunID: 3})
			return err
		}, "POST", "/v2/batch/actions/rerun", "", "application/json", `{"jobName":"j","runId":3}`},
		{"CreateJobExport kodo", func() error {
			return c.CreateJobExport(&CreateJobExportInput{JobName: "j", ExportName: "e",
				Spec: JobExportKodoSpec{Bucket: "b", KeyPrefix: "out/", Format: "json", Retention: 1, FileCount: 1, SaveMode: "append"}})
		}, "POST", "/v2/jobs/j/exports/e", "", "application/json",
			`{"type":"kodo","spec":{"bucket":"b","keyPrefix":"out/","format":"json","retention":1,"fileCount":1,"saveMode":"append","containsHeader":false}}`},
		{"CreateJobExport hdfs", func() error {
			return c.CreateJobExport(&CreateJobExportInput{JobName: "j", ExportName: "e",
				Spec: JobExportHdfsSpec{Path: "hdfs://h:9000/out", Format: "parquet", FileCount: 1}})
		}, "POST", "/v2/jobs/j/exports/e", "", "application/json",
			`{"type":"hdfs","spec":{"path":"hdfs://h:9000/out","format":"parquet","partitionBy":null,"fileCount":1,"saveMode":""}}`},
		{"CreateJobExport logdb", func() error {
			return c.CreateJobExport(&CreateJobExportInput{JobName: "j", ExportName: "e",
				Spec: JobExportLogdbSpec{DestRepoName: "r", Doc: map[string]string{"a": "#a"}}})
		}, "POST", "/v2/jobs/j/exports/e", "", "application/json", `{"type":"logdb","spec":{"destRepoName":"r","doc":{"a":"#a"}}}`},
		{"CreateJobExport tsdb", func() error {
			return c.CreateJobExport(&CreateJobExportInput{JobName: "j", ExportName: "e",
				Spec: JobExportTsdbSpec{DestRepoName: "r", SeriesName: "s", Tags: map[string]string{"t": "#t"}, Fields: map[string]string{"f": "#f"}}})
		}, "POST", "/v2/jobs/j/exports/e", "", "application/json",
			`{"type":"tsdb","spec":{"destRepoName":"r","series":"s","tags":{"t":"#t"},"fields":{"f":"#f"}}}`},
		{"CreateJobExport http", func() error {
			return c.CreateJobExport(&CreateJobExportInput{JobName: "j", ExportName: "e",
				Spec: JobExportHttpSpec{Host: "127.0.0.1:7758", Uri: "/recv"}})
		}, "POST", "/v2/jobs/j/exports/e", "", "application/json", `{"type":"http","spec":{"host":"127.0.0.1:7758","uri":"/recv"}}`},
		{"CreateVariable time", func() error {
			return c.CreateVariable(&VariableInput{Name: "v", Type: "time", Value: "$(now)-1d", Format: "yyyy-MM-dd HH:mm:ss"})
		}, "POST", "/v2/variables/v", "", "", `{"name":"v","type":"time","value":"$(now)-1d","format":"yyyy-MM-dd HH:mm:ss"}`},
		{"UpdateVariable string", func() error {
			return c.UpdateVariable(&VariableInput{Name: "s", Type: "string", Value: "constants"})
		}, "PUT", "/v2/variables/s", "", "", `{"name":"s","type":"string","value":"constants","format":""}`},
		{"DeleteVariable", func() error { return c.DeleteVariable("v") }, "DELETE", "/v2/variables/v", "", "", `{"name":"v"}`},
		{"ListUserVariables", func() error {
			f.reply(200, "application/json", `{"variables":[]}`)
			defer f.reply(200, "application/json", "")
			_, err := c.ListUserVariables()
			return err
		}, "GET", "/v2/variables", "type=user", "", ""},
		{"CreateWorkflow", func() error {
			return c.CreateWorkflow(&CreateWorkflowInput{WorkflowName: "wf", Comment: "c"})
		}, "POST", "/v2/workflows/wf", "", "application/json", `{"name":"wf","region":"nb","comment":"c"}`},
		{"UpdateWorkflow", func() error {
			return c.UpdateWorkflow(&UpdateWorkflowInput{WorkflowName: "wf", Region: "nb"})
		}, "PUT", "/v2/workflows/wf", "", "application/json", `{"name":"wf","region":"nb","nodes":null}`},
		{"StartWorkflow", func() error { return c.StartWorkflow("wf") }, "POST", "/v2/workflows/wf/start", "", "", `{"name":"wf"}`},
		{"StopWorkflow", func() error { return c.StopWorkflow("wf") }, "POST", "/v2/workflows/wf/stop", "", "", `{"name":"wf"}`},
		{"ListJobs srcDatasource", func() error {
			f.reply(200, "application/json", `{"jobs":[]}`)
			defer f.reply(200, "application/json", "")
			_, err := c.ListJobs(&ListJobsInput{SrcDatasource: "x"})
			return err
		}, "GET", "/v2/jobs", "srcDatasource=x", "", ""},
		{"DeleteJobExport", func() error { return c.DeleteJobExport("j", "e") }, "DELETE", "/v2/jobs/j/exports/e", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.reply(200, "application/json", "")
			if err := tc.call(); err != nil {
				t.Fatalf("call: %v", err)
			}
			f.mu.Lock()
			got := f.last
			f.mu.Unlock()
			if got.Method != tc.method || got.Path != tc.path || got.RawQuery != tc.query {
				t.Fatalf("sent %s %s?%s, want %s %s?%s", got.Method, got.Path, got.RawQuery, tc.method, tc.path, tc.query)
			}
			if ct, ok := got.Header["Content-Type"]; tc.ctype == "" && ok {
				t.Fatalf("Content-Type %q sent, want none", ct)
			} else if tc.ctype != "" && got.Header.Get("Content-Type") != tc.ctype {
				t.Fatalf("Content-Type %q, want %q", got.Header.Get("Content-Type"), tc.ctype)
			}
			if got.Body != tc.body {
				t.Fatalf("body\n got %s\nwant %s", got.Body, tc.body)
			}
			if tc.method == "POST" && tc.body == "" && got.Header.Get("Content-Length") != "0" && got.ContentLength != 0 {
				t.Fatalf("empty POST sent Content-Length %d", got.ContentLength)
			}
			checkSigned(t, got)
		})
	}
}

func TestDecodeSuccessStrict(t *testing.T) {
	f := newFake(t)
	c := f.clientOf
	f.reply(200, "application/json", `{"srcs":[],"computation":{"code":"x","type":"sql"},"container":{"type":"1U2G","count":1},"workflow":""}`)
	out, err := c.GetJob("j")
	if err != nil || out.Container.Count != 1 {
		t.Fatalf("good body: %v %+v", err, out)
	}
	for _, body := range []string{
		`{"srcs":[],"container":{"type":"1U2G","count":1.5}}`,
		`{"srcs":[],"container":{"type":"1U2G","count":"1"}}`,
		``,
	} {
		f.reply(200, "application/json", body)
		_, err := c.GetJob("j")
		var de *DecodeError
		if !asDecode(err, &de) {
			t.Fatalf("body %q: want DecodeError, got %v", body, err)
		}
	}
	f.reply(200, "application/json", `{"total":1.0,"history":[]}`)
	if _, err := c.GetJobHistory("j"); err == nil {
		t.Fatal("float total accepted")
	}
	f.reply(200, "application/json", `{"datasources":[]}`)
	if _, err := c.ListWorkflows(); err == nil {
		t.Fatal("object accepted as workflow list")
	}
	f.reply(200, "application/json", `[]`)
	if l, err := c.ListWorkflows(); err != nil || l == nil {
		t.Fatalf("bare array: %v %v", l, err)
	}
	// Only exactly 200 is success.
	for _, st := range []int{201, 204} {
		f.reply(st, "application/json", "")
		if err := c.DeleteJob("j"); err == nil {
			t.Fatalf("status %d accepted", st)
		}
	}
}

func asDecode(err error, de **DecodeError) bool {
	d, ok := err.(*DecodeError)
	if ok {
		*de = d
	}
	return ok
}

func TestErrorClassification(t *testing.T) {
	f := newFake(t)
	c := f.clientOf
	type tc struct {
		status      int
		ctype, body string
		code        string
		typ         ErrorType
		msg         string
	}
	for _, x := range []tc{
		{404, "application/json", `{"error":"E18102: datasource does not exist"}`, "E18102", ErrNoSuchResource, "E18102: datasource does not exist"},
		{404, "application/json", `{"error":"E8111: x"}`, "E8111", ErrNoSuchResource, "E8111: x"},
		{409, "application/json", `{"error":"E18101: exists"}`, "E18101", ErrExist, ""},
		{409, "application/json", `{"error":"E18640: exists"}`, "E18640", ErrExist, ""},
		{409, "application/json", `{"error":"E18201: job exists"}`, "E18201", ErrOther, ""},
		{400, "application/json", `{"error":"E18643: state"}`, "E18643", ErrWorkflowStat, ""},
		{400, "application/json", `{"error":"E18650: nothing"}`, "E18650", ErrNoExecutableJob, ""},
		{401, "application/json", `{"error":"bad token"}`, "bad to", ErrUnauthorized, "bad token"},
		{401, "application/json", `{"error":"bad"}`, "", ErrDefault, "bad"},
		// Content-Type not exactly application/json: the raw body is the message.
		{404, "application/json; charset=utf-8", `{"error":"E18102: x"}`, `{"erro`, ErrOther, `{"error":"E18102: x"}`},
		{500, "text/plain", `E9000: boom`, "E9000", ErrOther, "E9000: boom"},
		{400, "application/json", ``, "", ErrDefault, ""},
		{400, "application/json", `not json`, "", ErrUndecodable, ""},
	} {
		f.reply(x.status, x.ctype, x.body)
		c.Lenient = true
		err := c.DeleteDatasource("d")
		e, ok := AsError(err)
		if !ok {
			t.Fatalf("%d %q: not *Error: %v", x.status, x.body, err)
		}
		if e.Code != x.code || e.Type != x.typ || e.StatusCode != x.status || e.RequestID != "FgAAABCbBb4s9zsV" {
			t.Fatalf("%d %q: got code %q type %v status %d reqid %q", x.status, x.body, e.Code, e.Type, e.StatusCode, e.RequestID)
		}
		if x.msg != "" && e.Message != x.msg {
			t.Fatalf("%q: message %q want %q", x.body, e.Message, x.msg)
		}
	}
	c.Lenient = false
	f.reply(409, "application/json", `{"error":"E18101: exists"}`)
	if err := c.DeleteDatasource("d"); !IsExist(err) || IsNoSuchResource(err) {
		t.Fatalf("predicates wrong for %v", err)
	}
}

func TestProtocolViolations(t *testing.T) {
	f := newFake(t)
	c := f.clientOf
	f.mu.Lock()
	f.noReqid = true
	f.mu.Unlock()
	f.reply(200, "application/json", "")
	err := c.DeleteJob("j")
	if _, ok := err.(*ProtocolError); !ok || !strings.Contains(err.Error(), "X-Reqid") {
		t.Fatalf("missing reqid: %v", err)
	}
	f.reply(409, "application/json", `{"error":"E18101: exists"}`)
	if err := c.DeleteJob("j"); IsExist(err) {
		t.Fatalf("protocol error must not satisfy predicates: %v", err)
	}
	f.mu.Lock()
	f.noReqid = false
	f.mu.Unlock()
	f.reply(200, "", "")
	if err := c.DeleteJob("j"); err == nil || !strings.Contains(err.Error(), "Content-Type") {
		t.Fatalf("missing content type on 200: %v", err)
	}
	c.Lenient = true
	if err := c.DeleteJob("j"); err != nil {
		t.Fatalf("lenient: %v", err)
	}
}

func TestNewEndpointRules(t *testing.T) {
	if _, err := New("localhost:1", "a", "b"); err == nil {
		t.Fatal("scheme-less endpoint accepted")
	}
	if _, err := New("http://localhost:1/", "a", "b"); err == nil {
		t.Fatal("trailing slash accepted")
	}
}
