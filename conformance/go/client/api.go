package client

import (
	"fmt"
	"net/http"
	"net/url"
)

// Each method below is one Go SDK call of the batch API (spec §1.3), with
// the SDK's method, path, Content-Type and body (spec §11).

func specType(spec any) string {
	switch spec.(type) {
	case KodoSourceSpec, *KodoSourceSpec, JobExportKodoSpec, *JobExportKodoSpec:
		return "kodo"
	case HdfsSourceSpec, *HdfsSourceSpec, JobExportHdfsSpec, *JobExportHdfsSpec:
		return "hdfs"
	case FusionSourceSpec, *FusionSourceSpec:
		return "fusion"
	case JobExportLogdbSpec, *JobExportLogdbSpec:
		return "logdb"
	case JobExportTsdbSpec, *JobExportTsdbSpec:
		return "tsdb"
	case JobExportHttpSpec, *JobExportHttpSpec:
		return "http"
	}
	return ""
}

// ---- datasources ----

// CreateDatasource: POST /v2/datasources/{name}, Content-Type application/json.
func (c *Client) CreateDatasource(in *CreateDatasourceInput) error {
	body := *in
	if body.Type == "" {
		body.Type = specType(body.Spec)
	}
	return c.doJSON(http.MethodPost, "/v2/datasources/"+in.DatasourceName, &body, true, false, nil)
}

// GetDatasource: GET /v2/datasources/{name}.
func (c *Client) GetDatasource(name string) (*GetDatasourceOutput, error) {
	out := &GetDatasourceOutput{}
	if err := c.Do(Request{Method: http.MethodGet, Path: "/v2/datasources/" + name}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListDatasources: GET /v2/datasources.
func (c *Client) ListDatasources() (*ListDatasourcesOutput, error) {
	out := &ListDatasourcesOutput{}
	if err := c.Do(Request{Method: http.MethodGet, Path: "/v2/datasources"}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DatasourceExist: GET /v2/datasources/{name}/exists.
func (c *Client) DatasourceExist(name string) (bool, error) {
	out := &ExistOutput{}
	if err := c.Do(Request{Method: http.MethodGet, Path: "/v2/datasources/" + name + "/exists"}, out); err != nil {
		return false, err
	}
	return out.Exist, nil
}

// DeleteDatasource: DELETE /v2/datasources/{name}, no body.
func (c *Client) DeleteDatasource(name string) error {
	return c.Do(Request{Method: http.MethodDelete, Path: "/v2/datasources/" + name}, nil)
}

// RetrieveSchema: POST /v2/schemas, Content-Type application/json.
func (c *Client) RetrieveSchema(in *RetrieveSchemaInput) (*RetrieveSchemaOutput, error) {
	body := *in
	if body.Type == "" {
		body.Type = specType(body.Spec)
	}
	out := &RetrieveSchemaOutput{}
	if err := c.doJSON(http.MethodPost, "/v2/schemas", &body, true, false, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ---- jobs ----

// CreateJob: POST /v2/jobs/{name}, Content-Type application/json.
func (c *Client) CreateJob(in *CreateJobInput) error {
	return c.doJSON(http.MethodPost, "/v2/jobs/"+in.JobName, in, true, false, nil)
}

// GetJob: GET /v2/jobs/{name}.
func (c *Client) GetJob(name string) (*GetJobOutput, error) {
	out := &GetJobOutput{}
	if err := c.Do(Request{Method: http.MethodGet, Path: "/v2/jobs/" + name}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListJobs: GET /v2/jobs[?srcDatasource=..][&srcJob=..].
func (c *Client) ListJobs(in *ListJobsInput) (*ListJobsOutput, error) {
	q := url.Values{}
	if in != nil && in.SrcDatasource != "" {
		q.Set("srcDatasource", in.SrcDatasource)
	}
	if in != nil && in.SrcJob != "" {
		q.Set("srcJob", in.SrcJob)
	}
	out := &ListJobsOutput{}
	if err := c.Do(Request{Method: http.MethodGet, Path: "/v2/jobs", Query: q}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// JobExist: GET /v2/jobs/{name}/exists.
func (c *Client) JobExist(name string) (bool, error) {
	out := &ExistOutput{}
	if err := c.Do(Request{Method: http.MethodGet, Path: "/v2/jobs/" + name + "/exists"}, out); err != nil {
		return false, err
	}
	return out.Exist, nil
}

// DeleteJob: DELETE /v2/jobs/{name}, no body.
func (c *Client) DeleteJob(name string) error {
	return c.Do(Request{Method: http.MethodDelete, Path: "/v2/jobs/" + name}, nil)
}

// StartJob: POST /v2/jobs/{name}/actions/start, Content-Type
// application/json, body {"params":[...]} or {}.
func (c *Client) StartJob(in *StartJobInput) error {
	return c.doJSON(http.MethodPost, "/v2/jobs/"+in.JobName+"/actions/start", in, true, false, nil)
}

// StopJob: POST /v2/jobs/{name}/actions/stop with no body and no Content-Type.
func (c *Client) StopJob(name string) error {
	return c.Do(Request{Method: http.MethodPost, Path: "/v2/jobs/" + name + "/actions/stop"}, nil)
}

// GetJobHistory: GET /v2/jobs/{name}/history with no query parameters.
func (c *Client) GetJobHistory(name string) (*GetJobHistoryOutput, error) {
	out := &GetJobHistoryOutput{}
	if err := c.Do(Request{Method: http.MethodGet, Path: "/v2/jobs/" + name + "/history", Owner: true}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// StopJobBatch: POST /v2/batch/actions/stop, body {"jobName":..,"runId":<int>}.
func (c *Client) StopJobBatch(in *JobBatchInput) (*StopJobBatchOutput, error) {
	out := &StopJobBatchOutput{}
	if err := c.doJSON(http.MethodPost, "/v2/batch/actions/stop", in, true, true, out); err != nil {
		return nil, err
	}
	return out, nil
}

// RerunJobBatch: POST /v2/batch/actions/rerun, body {"jobName":..,"runId":<int>}.
func (c *Client) RerunJobBatch(in *JobBatchInput) (*RerunJobBatchOutput, error) {
	out := &RerunJobBatchOutput{}
	if err := c.doJSON(http.MethodPost, "/v2/batch/actions/rerun", in, true, true, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ---- job exports ----

func exportPath(job, export string) string {
	return "/v2/jobs/" + job + "/exports/" + export
}

// CreateJobExport: POST /v2/jobs/{job}/exports/{export}, Content-Type application/json.
func (c *Client) CreateJobExport(in *CreateJobExportInput) error {
	body := *in
	if body.Type == "" {
		body.Type = specType(body.Spec)
	}
	if body.Type == "" {
		return fmt.Errorf("CreateJobExport: cannot derive type from spec %T", in.Spec)
	}
	return c.doJSON(http.MethodPost, exportPath(in.JobName, in.ExportName), &body, true, false, nil)
}

// GetJobExport: GET /v2/jobs/{job}/exports/{export}.
func (c *Client) GetJobExport(job, export string) (*GetJobExportOutput, error) {
	out := &GetJobExportOutput{}
	if err := c.Do(Request{Method: http.MethodGet, Path: exportPath(job, export)}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListJobExports: GET /v2/jobs/{job}/exports.
func (c *Client) ListJobExports(job string) (*ListJobExportsOutput, error) {
	out := &ListJobExportsOutput{}
	if err := c.Do(Request{Method: http.MethodGet, Path: "/v2/jobs/" + job + "/exports"}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// JobExportExist: GET /v2/jobs/{job}/exports/{export}/exists.
func (c *Client) JobExportExist(job, export string) (bool, error) {
	out := &ExistOutput{}
	if err := c.Do(Request{Method: http.MethodGet, Path: exportPath(job, export) + "/exists"}, out); err != nil {
		return false, err
	}
	return out.Exist, nil
}

// DeleteJobExport: DELETE /v2/jobs/{job}/exports/{export}, no body.
func (c *Client) DeleteJobExport(job, export string) error {
	return c.Do(Request{Method: http.MethodDelete, Path: exportPath(job, export)}, nil)
}

// ---- variables ----

// CreateVariable: POST /v2/variables/{name}, JSON body WITHOUT Content-Type.
func (c *Client) CreateVariable(in *VariableInput) error {
	return c.doJSON(http.MethodPost, "/v2/variables/"+in.Name, in, false, true, nil)
}

// UpdateVariable: PUT /v2/variables/{name}, JSON body WITHOUT Content-Type.
func (c *Client) UpdateVariable(in *VariableInput) error {
	return c.doJSON(http.MethodPut, "/v2/variables/"+in.Name, in, false, true, nil)
}

// DeleteVariable: DELETE /v2/variables/{name} with body {"name":..} and no Content-Type.
func (c *Client) DeleteVariable(name string) error {
	return c.doJSON(http.MethodDelete, "/v2/variables/"+name, &variableNameBody{Name: name}, false, true, nil)
}

// GetVariable: GET /v2/variables/{name}.
func (c *Client) GetVariable(name string) (*GetVariableOutput, error) {
	out := &GetVariableOutput{}
	if err := c.Do(Request{Method: http.MethodGet, Path: "/v2/variables/" + name, Owner: true}, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Client) listVariables(typ string) (*ListVariablesOutput, error) {
	out := &ListVariablesOutput{}
	q := url.Values{"type": {typ}}
	if err := c.Do(Request{Method: http.MethodGet, Path: "/v2/variables", Query: q, Owner: true}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListUserVariables: GET /v2/variables?type=user.
func (c *Client) ListUserVariables() (*ListVariablesOutput, error) { return c.listVariables("user") }

// ListSystemVariables: GET /v2/variables?type=system.
func (c *Client) ListSystemVariables() (*ListVariablesOutput, error) {
	return c.listVariables("system")
}

// ---- workflows ----

// CreateWorkflow: POST /v2/workflows/{name}, Content-Type application/json.
func (c *Client) CreateWorkflow(in *CreateWorkflowInput) error {
	body := *in
	if body.Region == "" {
		body.Region = DefaultRegion
	}
	return c.doJSON(http.MethodPost, "/v2/workflows/"+in.WorkflowName, &body, true, true, nil)
}

// UpdateWorkflow: PUT /v2/workflows/{name}, Content-Type application/json.
func (c *Client) UpdateWorkflow(in *UpdateWorkflowInput) error {
	body := *in
	if body.Region == "" {
		body.Region = DefaultRegion
	}
	return c.doJSON(http.MethodPut, "/v2/workflows/"+in.WorkflowName, &body, true, true, nil)
}

// GetWorkflow: GET /v2/workflows/{name}.
func (c *Client) GetWorkflow(name string) (*GetWorkflowOutput, error) {
	out := &GetWorkflowOutput{}
	if err := c.Do(Request{Method: http.MethodGet, Path: "/v2/workflows/" + name, Owner: true}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListWorkflows: GET /v2/workflows; the response is a bare JSON array.
func (c *Client) ListWorkflows() ([]GetWorkflowOutput, error) {
	var out []GetWorkflowOutput
	if err := c.Do(Request{Method: http.MethodGet, Path: "/v2/workflows", Owner: true}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetWorkflowStatus: GET /v2/workflows/{name}/status.
func (c *Client) GetWorkflowStatus(name string) (*GetWorkflowStatusOutput, error) {
	out := &GetWorkflowStatusOutput{}
	if err := c.Do(Request{Method: http.MethodGet, Path: "/v2/workflows/" + name + "/status", Owner: true}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// StartWorkflow: POST /v2/workflows/{name}/start, body {"name":..}, no Content-Type.
func (c *Client) StartWorkflow(name string) error {
	return c.doJSON(http.MethodPost, "/v2/workflows/"+name+"/start", &workflowNameBody{WorkflowName: name}, false, true, nil)
}

// StopWorkflow: POST /v2/workflows/{name}/stop, body {"name":..}, no Content-Type.
func (c *Client) StopWorkflow(name string) error {
	return c.doJSON(http.MethodPost, "/v2/workflows/"+name+"/stop", &workflowNameBody{WorkflowName: name}, false, true, nil)
}

// DeleteWorkflow: DELETE /v2/workflows/{name}, no body.
func (c *Client) DeleteWorkflow(name string) error {
	return c.Do(Request{Method: http.MethodDelete, Path: "/v2/workflows/" + name, Owner: true}, nil)
}
