package twiliotest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Twilio error codes the fake answers with.
const (
	CodeAuthenticate       = 20003 // 401 credentials rejected
	CodeMethodNotAllowed   = 20004 // 405
	CodeNotFound           = 20404 // 404 resource not found
	CodeTooManyRequests    = 20429 // 429 concurrency/rate limit
	CodeInternal           = 20500 // 500
	CodeUnavailable        = 20503 // 503
	CodeInvalidTo          = 21211 // invalid 'To' phone number
	CodeBodyRequired       = 21602
	CodeFromRequired       = 21603
	CodeToRequired         = 21604
	CodeNotMobile          = 21614 // 'To' is not a valid mobile number
	CodeBodyTooLong        = 21617
	CodeInvalidMediaURL    = 21620
	CodeInvalidContentSID  = 21655
	CodeInvalidContentVars = 21656
	CodeInvalidService     = 21705
	CodeChannelMismatch    = 21910 // From and To on different channels
	CodeUnreachable        = 63003 // status: channel could not find the To address
	CodeNoChannelForFrom   = 63007 // From is not a WhatsApp sender of the account
	CodeOutsideWindow      = 63016 // free-form message outside the 24-hour window
	CodeMediaDownload      = 63019 // status: the media could not be downloaded from its URL
	CodeMessageUndelivered = 30008 // status: unknown delivery error
)

const (
	docsBase         = "https://www.twilio.com/docs/errors/"
	defaultErrStatus = http.StatusBadRequest
)

// Error is a Twilio REST error: HTTP Status with {code, message, more_info, status}.
type Error struct {
	Status     int // HTTP status; 400 when 0
	Code       int
	Message    string
	RetryAfter time.Duration // sets Retry-After when positive
}

var known = map[int]Error{
	CodeAuthenticate:       {Status: 401, Message: "Authenticate"},
	CodeMethodNotAllowed:   {Status: 405, Message: "Method not allowed"},
	CodeNotFound:           {Status: 404, Message: "The requested resource was not found"},
	CodeTooManyRequests:    {Status: 429, Message: "Too Many Requests"},
	CodeInternal:           {Status: 500, Message: "Internal Server Error"},
	CodeUnavailable:        {Status: 503, Message: "Service Unavailable"},
	CodeInvalidTo:          {Status: 400, Message: "Invalid 'To' Phone Number"},
	CodeBodyRequired:       {Status: 400, Message: "Message body is required."},
	CodeFromRequired:       {Status: 400, Message: "A 'From' phone number is required."},
	CodeToRequired:         {Status: 400, Message: "A 'To' phone number is required."},
	CodeNotMobile:          {Status: 400, Message: "'To' number is not a valid mobile number"},
	CodeBodyTooLong:        {Status: 400, Message: "The concatenated message body exceeds the 1600 character limit."},
	CodeInvalidMediaURL:    {Status: 400, Message: "Invalid media URL(s)"},
	CodeInvalidContentSID:  {Status: 400, Message: "The ContentSid is Invalid"},
	CodeInvalidContentVars: {Status: 400, Message: "The ContentVariables Parameter is invalid"},
	CodeInvalidService:     {Status: 400, Message: "The Messaging Service Sid is invalid"},
	CodeChannelMismatch:    {Status: 400, Message: "Invalid From and To pair. From and To should be of the same channel"},
	CodeUnreachable:        {Status: 400, Message: "Channel could not find To address"},
	CodeNoChannelForFrom:   {Status: 400, Message: "Twilio could not find a Channel with the specified From address"},
	CodeOutsideWindow:      {Status: 400, Message: "Failed to send freeform message because you are outside the allowed window. If you are using WhatsApp, please use a Message Template."},
	CodeMessageUndelivered: {Status: 400, Message: "Unknown error"},
	CodeMediaDownload:      {Status: 400, Message: "Media failed to download"},
}

// Failure is the error Twilio answers with for code (HTTP 400 and a generic message
// for codes the fake does not know).
func Failure(code int) Error {
	e, ok := known[code]
	if !ok {
		e = Error{Status: defaultErrStatus, Message: fmt.Sprintf("Error %d", code)}
	}
	e.Code = code
	return e
}

// WithMessage returns e with its message replaced.
func (e Error) WithMessage(format string, args ...any) Error {
	e.Message = fmt.Sprintf(format, args...)
	return e
}

func (e Error) Error() string { return fmt.Sprintf("twilio error %d: %s", e.Code, e.Message) }

func (e Error) write(w http.ResponseWriter) {
	status := e.Status
	if status == 0 {
		status = defaultErrStatus
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
	}
	writeJSON(w, status, map[string]any{
		"code":      e.Code,
		"message":   e.Message,
		"more_info": docsBase + strconv.Itoa(e.Code),
		"status":    status,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
