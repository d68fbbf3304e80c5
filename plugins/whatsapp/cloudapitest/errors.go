package cloudapitest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Graph API error codes the fake answers with.
const (
	CodeUnknown          = 1      // 500 "An unknown error occurred"
	CodeUnavailable      = 2      // 503 "Service temporarily unavailable"
	CodeAppRateLimit     = 4      // application request limit reached
	CodeInvalidParameter = 100    // bad or missing parameter
	CodeAccessToken      = 190    // access token invalid or expired
	CodeWABARateLimit    = 80007  // WhatsApp Business Account rate limit
	CodeThroughput       = 130429 // message throughput reached
	CodeGeneric          = 131000 // "Something went wrong"
	CodeParameterValue   = 131009 // a parameter value is not valid
	CodeServiceDown      = 131016 // service unavailable
	CodeUndeliverable    = 131026 // message undeliverable
	CodeReEngagement     = 131047 // more than 24 hours since the customer last wrote
	CodeMediaUpload      = 131053 // the media could not be downloaded from its link, or is not what the type says
	CodePairRateLimit    = 131056 // too many messages to one recipient
	CodeTemplateParams   = 132000 // template parameter count mismatch
	CodeTemplateMissing  = 132001 // template does not exist in the language
	CodeTemplateFormat   = 132012 // parameter format does not match the template
	SubcodeNoSuchObject  = 33     // with code 100: object does not exist or no permission
	SubcodeTokenExpired  = 463    // with code 190
)

// Error is a Graph API error response:
// HTTP Status with {"error":{message, type, code, error_subcode, error_data, fbtrace_id}}.
type Error struct {
	Status     int    // HTTP status; 400 when 0
	Code       int    // error.code
	Subcode    int    // error.error_subcode, omitted when 0
	Type       string // error.type; "OAuthException" when empty
	Message    string // error.message
	Details    string // error.error_data.details
	RetryAfter time.Duration
}

// known is what Failure fills in for a code.
var known = map[int]Error{
	CodeUnknown:          {Status: 500, Message: "An unknown error occurred"},
	CodeUnavailable:      {Status: 503, Message: "Service temporarily unavailable"},
	CodeAppRateLimit:     {Status: 400, Message: "(#4) Application request limit reached"},
	CodeInvalidParameter: {Status: 400, Message: "(#100) Invalid parameter"},
	CodeAccessToken:      {Status: 401, Message: "Invalid OAuth access token - Cannot parse access token"},
	CodeWABARateLimit:    {Status: 429, Message: "(#80007) Rate limit issues", Details: "The WhatsApp Business Account has reached its rate limit."},
	CodeThroughput:       {Status: 429, Message: "(#130429) Rate limit hit", Details: "Cloud API message throughput has been reached."},
	CodeGeneric:          {Status: 500, Message: "(#131000) Something went wrong"},
	CodeParameterValue:   {Status: 400, Message: "(#131009) Parameter value is not valid"},
	CodeServiceDown:      {Status: 503, Message: "(#131016) Service unavailable"},
	CodeUndeliverable:    {Status: 400, Message: "(#131026) Message Undeliverable", Details: "Unable to deliver message. The recipient phone number is not a valid WhatsApp phone number."},
	CodeReEngagement:     {Status: 400, Message: "(#131047) Re-engagement message", Details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number."},
	CodeMediaUpload:      {Status: 400, Message: "(#131053) Media upload error", Details: "Unable to download the media from the link."},
	CodePairRateLimit:    {Status: 400, Message: "(#131056) (Business Account, Consumer Account) pair rate limit hit"},
	CodeTemplateParams:   {Status: 400, Message: "(#132000) Number of parameters does not match the expected number of params"},
	CodeTemplateMissing:  {Status: 404, Message: "(#132001) Template name does not exist in the translation"},
	CodeTemplateFormat:   {Status: 400, Message: "(#132012) Parameter format does not match format in the created template"},
}

// Failure is the error the real API answers with for code, with its usual HTTP status
// and message (HTTP 400 and a generic message for codes the fake does not know).
func Failure(code int) Error {
	e, ok := known[code]
	if !ok {
		e = Error{Status: 400, Message: fmt.Sprintf("(#%d) Error", code)}
	}
	e.Code = code
	return e
}

// WithDetails returns e with error_data.details set.
func (e Error) WithDetails(format string, args ...any) Error {
	e.Details = fmt.Sprintf(format, args...)
	return e
}

// Title is the short message without the "(#code) " prefix, as statuses[].errors[].title
// carries it.
func (e Error) Title() string {
	prefix := "(#" + strconv.Itoa(e.Code) + ") "
	if len(e.Message) > len(prefix) && e.Message[:len(prefix)] == prefix {
		return e.Message[len(prefix):]
	}
	return e.Message
}

func (e Error) Error() string { return fmt.Sprintf("graph error %d: %s", e.Code, e.Message) }

// write sends e as the real API would.
func (e Error) write(w http.ResponseWriter) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	typ := e.Type
	if typ == "" {
		typ = "OAuthException"
	}
	body := map[string]any{
		"message":    e.Message,
		"type":       typ,
		"code":       e.Code,
		"fbtrace_id": fbtraceID(),
	}
	if e.Subcode != 0 {
		body["error_subcode"] = e.Subcode
	}
	if e.Details != "" {
		body["error_data"] = map[string]string{"messaging_product": "whatsapp", "details": e.Details}
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	if e.Code == CodeAccessToken {
		w.Header().Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+e.Message+`"`)
	}
	writeJSON(w, status, map[string]any{"error": body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func fbtraceID() string {
	b := make([]byte, 17)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
