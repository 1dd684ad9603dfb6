package client

// The JSON shapes below follow spec §11: field order and omitempty are
// chosen so that json.Marshal produces the exact bytes the SDK sends, and
// numeric response fields are int64 so that a float or a string where an
// integer belongs fails to decode, as it does in the SDK.

// SchemaEntry is one datasource schema field (spec §3.2).
type SchemaEntry struct {
	Key         string        `json:"key"`
	ValueType   string        `json:"valtype"`
	Required    bool          `json:"required"`
	ElemType    string        `json:"elemtype,omitempty"`
	Schema      []SchemaEntry `json:"schema,omitempty"`
	Description *string       `json:"description"`
}

// ---- datasources (spec §4) ----

// KodoSourceSpec is a kodo datasource spec as the SDK models it.
type KodoSourceSpec struct {
	Bucket      string   `json:"bucket"`
	KeyPrefixes []string `json:"keyPrefixes"`
	FileType    string   `json:"fileType"`
}

// HdfsSourceSpec is an hdfs datasource spec.
type HdfsSourceSpec struct {
	Paths    []string `json:"paths"`
	FileType string   `json:"fileType"`
}

// FusionSourceSpec is a fusion (CDN log) datasource spec.
type FusionSourceSpec struct {
	Domains    []string `json:"domains"`
	FileFilter string   `json:"fileFilter"`
}

// CreateDatasourceInput is the body of POST /v2/datasources/{name}.
// When Type is empty it is derived from the Go type of Spec, like the SDK.
type CreateDatasourceInput struct {
	DatasourceName string        `json:"-"`
	Region         string        `json:"region"`
	Type           string        `json:"type"`
	Spec           any           `json:"spec"`
	Schema         []SchemaEntry `json:"schema"`
	NoVerifySchema bool          `json:"noVerifySchema"`
	Workflow       string        `json:"workflow"`
}

// GetDatasourceOutput is the body of GET /v2/datasources/{name}.
type GetDatasourceOutput struct {
	Region   string        `json:"region"`
	Type     string        `json:"type"`
	Spec     any           `json:"spec"`
	Schema   []SchemaEntry `json:"schema"`
	FromDag  bool          `json:"fromDag,omitempty"`
	Workflow string        `json:"workflow"`
}

// DatasourceDesc is one element of the datasource list.
type DatasourceDesc struct {
	Name     string        `json:"name"`
	Region   string        `json:"region"`
	Type     string        `json:"type"`
	Spec     any           `json:"spec"`
	Schema   []SchemaEntry `json:"schema"`
	Workflow string        `json:"workflow"`
}

// ListDatasourcesOutput is the body of GET /v2/datasources.
type ListDatasourcesOutput struct {
	Datasources []DatasourceDesc `json:"datasources"`
}

// ExistOutput is the body of every .../exists endpoint.
type ExistOutput struct {
	Exist bool `json:"exist"`
}

// RetrieveSchemaInput is the body of POST /v2/schemas.
type RetrieveSchemaInput struct {
	Type string `json:"type"`
	Spec any    `json:"spec"`
}

// RetrieveSchemaOutput is its response.
type RetrieveSchemaOutput struct {
	Schema []SchemaEntry `json:"schema"`
}

// ---- jobs (spec §6) ----

// JobSrc is one job source.
type JobSrc struct {
	SrcName    string `json:"name"`
	FileFilter string `json:"fileFilter"`
	Type       string `json:"type"`
	TableName  string `json:"tableName"`
}

// Computation is the job's SQL.
type Computation struct {
	Code string `json:"code"`
	Type string `json:"type"`
}

// JobContainer is the compute resource of a job.
type JobContainer struct {
	Type   string `json:"type"`
	Count  int64  `json:"count"`
	Status string `json:"status,omitempty"`
}

// JobSchedulerSpec is the scheduler's spec.
type JobSchedulerSpec struct {
	Crontab string `json:"crontab,omitempty"`
	Loop    string `json:"loop,omitempty"`
}

// JobScheduler says when a job runs.
type JobScheduler struct {
	Type string            `json:"type"`
	Spec *JobSchedulerSpec `json:"spec,omitempty"`
}

// Param is a job parameter: a declaration (name, default) on create, a
// runtime value (name, value) on start.
type Param struct {
	Name    string `json:"name"`
	Value   string `json:"value,omitempty"`
	Default string `json:"default"`
}

// CreateJobInput is the body of POST /v2/jobs/{name}.
type CreateJobInput struct {
	JobName     string        `json:"-"`
	Srcs        []JobSrc      `json:"srcs"`
	Computation Computation   `json:"computation"`
	Container   *JobContainer `json:"container,omitempty"`
	Scheduler   *JobScheduler `json:"scheduler,omitempty"`
	Params      []Param       `json:"params,omitempty"`
}

// GetJobOutput is the body of GET /v2/jobs/{name}.
type GetJobOutput struct {
	Srcs        []JobSrc      `json:"srcs"`
	Computation Computation   `json:"computation"`
	Container   *JobContainer `json:"container,omitempty"`
	Scheduler   *JobScheduler `json:"scheduler,omitempty"`
	Params      []Param       `json:"params,omitempty"`
	Schema      []SchemaEntry `json:"schema,omitempty"`
	Workflow    string        `json:"workflow"`
}

// JobDesc is one element of the job list.
type JobDesc struct {
	Name        string        `json:"name"`
	Srcs        []JobSrc      `json:"srcs"`
	Computation Computation   `json:"computation"`
	Container   *JobContainer `json:"container,omitempty"`
	Scheduler   *JobScheduler `json:"scheduler,omitempty"`
	Params      []Param       `json:"params,omitempty"`
	Schema      []SchemaEntry `json:"schema,omitempty"`
}

// ListJobsInput filters the job list; at most one should be set.
type ListJobsInput struct {
	SrcDatasource string
	SrcJob        string
}

// ListJobsOutput is the body of GET /v2/jobs.
type ListJobsOutput struct {
	Jobs []JobDesc `json:"jobs"`
}

// StartJobInput is the body of POST /v2/jobs/{name}/actions/start.
type StartJobInput struct {
	JobName string  `json:"-"`
	Params  []Param `json:"params,omitempty"`
}

// BatchHistory is one batch (run) of a job (spec §7.1).
type BatchHistory struct {
	RunID     int64  `json:"runId"`
	BatchTime string `json:"batchTime"`
	StartTime string `json:"startTime"`
	EndTime   string `json:"endTime"`
	Duration  int64  `json:"duration"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

// GetJobHistoryOutput is the body of GET /v2/jobs/{name}/history.
type GetJobHistoryOutput struct {
	Total   int64          `json:"total"`
	History []BatchHistory `json:"history"`
}

// JobBatchInput is the body of the batch stop and rerun actions.
type JobBatchInput struct {
	JobName string `json:"jobName"`
	RunID   int64  `json:"runId"`
}

// StopJobBatchOutput is the response of POST /v2/batch/actions/stop.
type StopJobBatchOutput struct {
	PreStatus  string `json:"preStatus"`
	PostStatus string `json:"postStatus"`
}

// RerunJobBatchOutput is the response of POST /v2/batch/actions/rerun.
type RerunJobBatchOutput struct {
	PreStatus  string `json:"preStatus"`
	PostStatus string `json:"postStatus"`
	RerunCount int64  `json:"rerunCount"`
}

// ---- job exports (spec §8) ----

// JobExportKodoSpec is a kodo export spec.
type JobExportKodoSpec struct {
	Bucket         string   `json:"bucket"`
	KeyPrefix      string   `json:"keyPrefix"`
	Format         string   `json:"format"`
	Delimiter      string   `json:"delimiter,omitempty"`
	Compression    string   `json:"compression,omitempty"`
	Retention      int64    `json:"retention"`
	PartitionBy    []string `json:"partitionBy,omitempty"`
	FileCount      int64    `json:"fileCount"`
	SaveMode       string   `json:"saveMode"`
	ContainsHeader bool     `json:"containsHeader"`
}

// JobExportHdfsSpec is an hdfs export spec.
type JobExportHdfsSpec struct {
	Path        string   `json:"path"`
	Format      string   `json:"format"`
	Compression string   `json:"compression,omitempty"`
	PartitionBy []string `json:"partitionBy"`
	FileCount   int64    `json:"fileCount"`
	SaveMode    string   `json:"saveMode"`
}

// JobExportLogdbSpec is a logdb export spec.
type JobExportLogdbSpec struct {
	DestRepoName string            `json:"destRepoName"`
	OmitInvalid  bool              `json:"omitInvalid,omitempty"`
	Doc          map[string]string `json:"doc"`
}

// JobExportTsdbSpec is a tsdb export spec.
type JobExportTsdbSpec struct {
	DestRepoName string            `json:"destRepoName"`
	OmitInvalid  bool              `json:"omitInvalid,omitempty"`
	SeriesName   string            `json:"series"`
	Tags         map[string]string `json:"tags"`
	Fields       map[string]string `json:"fields"`
	Timestamp    string            `json:"timestamp,omitempty"`
}

// JobExportHttpSpec is an http export spec.
type JobExportHttpSpec struct {
	Host   string `json:"host"`
	Uri    string `json:"uri"`
	Format string `json:"format,omitempty"`
}

// CreateJobExportInput is the body of POST /v2/jobs/{job}/exports/{export}.
// When Type is empty it is derived from the Go type of Spec, like the SDK.
type CreateJobExportInput struct {
	JobName    string `json:"-"`
	ExportName string `json:"-"`
	Type       string `json:"type"`
	Spec       any    `json:"spec"`
}

// GetJobExportOutput is the body of GET /v2/jobs/{job}/exports/{export}.
type GetJobExportOutput struct {
	Type     string `json:"type"`
	Spec     any    `json:"spec"`
	Workflow string `json:"workflow"`
}

// JobExportDesc is one element of the export list.
type JobExportDesc struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Spec any    `json:"spec"`
}

// ListJobExportsOutput is the body of GET /v2/jobs/{job}/exports.
type ListJobExportsOutput struct {
	Exports []JobExportDesc `json:"exports"`
}

// ---- variables (spec §9) ----

// VariableInput is the body of variable create and update.
type VariableInput struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Value  string `json:"value"`
	Format string `json:"format"`
}

// GetVariableOutput is one variable.
type GetVariableOutput struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Value  string `json:"value"`
	Format string `json:"format"`
}

// ListVariablesOutput is the body of GET /v2/variables.
type ListVariablesOutput struct {
	Variables []GetVariableOutput `json:"variables"`
}

// ---- workflows (spec §10) ----

// CreateWorkflowInput is the body of POST /v2/workflows/{name}.
type CreateWorkflowInput struct {
	WorkflowName string `json:"name"`
	Region       string `json:"region"`
	Comment      string `json:"comment,omitempty"`
}

// NodeMetadata names a neighbour node.
type NodeMetadata struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// WorkflowNode is one node of a workflow graph.
type WorkflowNode struct {
	Name     string         `json:"name"`
	Type     string         `json:"type"`
	Parents  []NodeMetadata `json:"parents,omitempty"`
	Children []NodeMetadata `json:"children,omitempty"`
	Data     any            `json:"data"`
}

// UpdateWorkflowInput is the body of PUT /v2/workflows/{name}.
type UpdateWorkflowInput struct {
	WorkflowName string                  `json:"name"`
	Region       string                  `json:"region"`
	Nodes        map[string]WorkflowNode `json:"nodes"`
}

// GetWorkflowOutput is the body of GET /v2/workflows/{name} and one element
// of the (bare array) workflow list.
type GetWorkflowOutput struct {
	Name             string                  `json:"name"`
	Region           string                  `json:"region"`
	Nodes            map[string]WorkflowNode `json:"nodes"`
	Comment          string                  `json:"comment"`
	CreateTime       string                  `json:"createTime"`
	UpdateTime       string                  `json:"updateTime"`
	Status           string                  `json:"status"`
	CanStart         bool                    `json:"canStart"`
	IsManualWorkflow bool                    `json:"isManualWorkflow"`
}

// WorkflowNodeStatus is one node in the status response.
type WorkflowNodeStatus struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Status string `json:"status"`
}

// GetWorkflowStatusOutput is the body of GET /v2/workflows/{name}/status.
type GetWorkflowStatusOutput struct {
	Name   string               `json:"name"`
	Region string               `json:"region"`
	Nodes  []WorkflowNodeStatus `json:"nodes"`
	Status string               `json:"status"`
}

// workflowNameBody is the body of workflow start and stop.
type workflowNameBody struct {
	WorkflowName string `json:"name"`
}

// variableNameBody is the body of variable delete.
type variableNameBody struct {
	Name string `json:"name"`
}
