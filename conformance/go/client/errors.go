package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrorType classifies an error response the way the SDK's error builder
// does (spec §1.5). Only the classes the batch API needs are distinguished;
// every other coded error is ErrOther.
type ErrorType int

const (
	// ErrDefault: the message is at most 6 characters long, so no code was
	// extracted (the SDK's DefaultRequestError).
	ErrDefault ErrorType = iota
	// ErrOther: a code was extracted but it has no dedicated class here.
	ErrOther
	// ErrNoSuchResource: E18102, E18202, E18302, E18641, E18602, E18606, E18611, E8111.
	ErrNoSuchResource
	// ErrExist: E18101, E18301, E18640.
	ErrExist
	// ErrWorkflowStat: E18643.
	ErrWorkflowStat
	// ErrNoExecutableJob: E18650.
	ErrNoExecutableJob
	// ErrUnauthorized: status 401, message longer than 6 characters, and the
	// extracted id is not an error code.
	ErrUnauthorized
	// ErrUndecodable: Content-Type was application/json but the body is not
	// a JSON object with a string "error" member (the SDK returns the JSON
	// decoding error in this case).
	ErrUndecodable
)

func (t ErrorType) String() string {
	switch t {
	case ErrDefault:
		return "DefaultRequestError"
	case ErrOther:
		return "CodedError"
	case ErrNoSuchResource:
		return "NoSuchResourceError"
	case ErrExist:
		return "ExistError"
	case ErrWorkflowStat:
		return "WorkflowStatError"
	case ErrNoExecutableJob:
		return "NoExecutableJobError"
	case ErrUnauthorized:
		return "UnauthorizedError"
	case ErrUndecodable:
		return "UndecodableError"
	}
	return fmt.Sprintf("ErrorType(%d)", int(t))
}

var codeTypes = map[string]ErrorType{
	"E18102": ErrNoSuchResource, "E18202": ErrNoSuchResource, "E18302": ErrNoSuchResource,
	"E18641": ErrNoSuchResource, "E18602": ErrNoSuchResource, "E18606": ErrNoSuchResource,
	"E18611": ErrNoSuchResource, "E8111": ErrNoSuchResource,
	"E18101": ErrExist, "E18301": ErrExist, "E18640": ErrExist,
	"E18643": ErrWorkflowStat,
	"E18650": ErrNoExecutableJob,
}

// codeLike approximates "the id is one of the SDK's known codes": every code
// the SDK's switch knows has this shape, and "bad token" does not.
var codeLike = regexp.MustCompile(`^E[0-9]{4,5}$`)

// Error is a non-200 response, decoded like the SDK decodes it.
type Error struct {
	StatusCode  int
	Code        string // the SDK's errId: message[0:6] cut at ':'; "" when the message is <= 6 chars
	Message     string // the "error" member, or the raw body when Content-Type is not application/json
	RequestID   string // X-Reqid
	ContentType string
	Body        string // raw response body
	Type        ErrorType
	DecodeErr   error // set when Type == ErrUndecodable
}

func (e *Error) Error() string {
	if e.Type == ErrUndecodable {
		return fmt.Sprintf("HTTP %d (reqid %q): undecodable error body %q: %v", e.StatusCode, e.RequestID, e.Body, e.DecodeErr)
	}
	return fmt.Sprintf("HTTP %d %s code=%q (reqid %q): %s", e.StatusCode, e.Type, e.Code, e.RequestID, quoteBody(e.Body))
}

func quoteBody(b string) string {
	const max = 400
	if len(b) > max {
		b = b[:max] + "..."
	}
	return fmt.Sprintf("%q", b)
}

// buildError turns a non-200 response into an *Error (spec §1.5 steps 2-4).
func buildError(status int, contentType, reqID string, body []byte) *Error {
	e := &Error{StatusCode: status, RequestID: reqID, ContentType: contentType, Body: string(body)}
	if contentType != "application/json" {
		e.Message = string(body)
	} else if len(body) > 0 {
		var env struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			e.Type = ErrUndecodable
			e.DecodeErr = err
			return e
		}
		e.Message = env.Error
	}
	if len(e.Message) <= 6 {
		e.Type = ErrDefault
		return e
	}
	id := e.Message[:6]
	if i := strings.IndexByte(id, ':'); i >= 0 {
		id = id[:i]
	}
	e.Code = id
	if t, ok := codeTypes[id]; ok {
		e.Type = t
		return e
	}
	if !codeLike.MatchString(id) && status == 401 {
		e.Type = ErrUnauthorized
		return e
	}
	e.Type = ErrOther
	return e
}

// ProtocolError is a response that breaks the response-header MUSTs of
// spec §1.5/§12 (missing X-Reqid; Content-Type not exactly
// "application/json"), or an HTTP-level failure. It deliberately does not
// unwrap to the decoded *Error, so the typed predicates are false for it.
type ProtocolError struct {
	Method, Path string
	StatusCode   int
	Problems     []string
	Body         string
	Inner        error // the decoded error for non-200 responses, if any
}

func (e *ProtocolError) Error() string {
	s := fmt.Sprintf("protocol violation on %s %s (HTTP %d): %s; body %s", e.Method, e.Path, e.StatusCode,
		strings.Join(e.Problems, "; "), quoteBody(e.Body))
	if e.Inner != nil {
		s += "; decoded as: " + e.Inner.Error()
	}
	return s
}

// DecodeError is a 200 response whose body does not json.Unmarshal into the
// typed response struct (e.g. empty body, float where int64 is expected).
type DecodeError struct {
	Method, Path string
	Body         string
	Err          error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("decoding 200 response of %s %s: %v; body %s", e.Method, e.Path, e.Err, quoteBody(e.Body))
}

func (e *DecodeError) Unwrap() error { return e.Err }

// AsError returns the *Error inside err, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

func isType(err error, t ErrorType) bool {
	e, ok := AsError(err)
	return ok && e.Type == t
}

// IsNoSuchResource mirrors reqerr.IsNoSuchResourceError for the batch codes.
func IsNoSuchResource(err error) bool { return isType(err, ErrNoSuchResource) }

// IsExist mirrors reqerr.IsExistError for the batch codes.
func IsExist(err error) bool { return isType(err, ErrExist) }

// IsWorkflowStat mirrors reqerr.IsWorkflowStatError.
func IsWorkflowStat(err error) bool { return isType(err, ErrWorkflowStat) }

// IsNoExecutableJob mirrors reqerr.IsWorkflowNoExecutableJob.
func IsNoExecutableJob(err error) bool { return isType(err, ErrNoExecutableJob) }

// IsNoSuchWorkflow mirrors reqerr.IsNoSuchWorkflow (E18641).
func IsNoSuchWorkflow(err error) bool {
	e, ok := AsError(err)
	return ok && e.Code == "E18641"
}

// IsUnauthorized reports an UnauthorizedError (401 with a long, code-less message).
func IsUnauthorized(err error) bool { return isType(err, ErrUnauthorized) }

// Code returns the extracted error code of err, or "".
func Code(err error) string {
	if e, ok := AsError(err); ok {
		return e.Code
	}
	return ""
}

// StatusCode returns the HTTP status of err, or 0.
func StatusCode(err error) int {
	if e, ok := AsError(err); ok {
		return e.StatusCode
	}
	return 0
}
