package taxii

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/liaison-intel/liaison"
)

// errorResource is the TAXII 2.1 error message (section 3.6.1).
type errorResource struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	ErrorID     string `json:"error_id,omitempty"`
	HTTPStatus  string `json:"http_status"`
}

// protocolError is a refusal that belongs to HTTP rather than to the domain:
// a wrong method, media type or body size. Domain errors are *liaison.Error.
type protocolError struct {
	status int
	msg    string
}

func (e *protocolError) Error() string { return e.msg }

// statusOf maps an error to its HTTP status: the one place where liaison
// error codes become status codes.
func statusOf(err error) int {
	var pe *protocolError
	if errors.As(err, &pe) {
		return pe.status
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	switch liaison.ErrorCode(err) {
	case liaison.EINVALID:
		return http.StatusBadRequest
	case liaison.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case liaison.EFORBIDDEN:
		return http.StatusForbidden
	case liaison.ENOTFOUND:
		return http.StatusNotFound
	case liaison.ECONFLICT:
		return http.StatusConflict
	case liaison.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// writeError answers with a TAXII error body. Internal errors are logged
// with an error_id that the body repeats, and their text is not shown.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status := statusOf(err)
	body := errorResource{Title: http.StatusText(status), HTTPStatus: strconv.Itoa(status)}
	var pe *protocolError
	var mbe *http.MaxBytesError
	switch {
	case status == http.StatusInternalServerError:
		body.ErrorID = uuid.NewString()
		body.Description = "internal error; the server log has the details under this error_id"
		log.ErrorContext(r.Context(), "taxii: internal error", "error_id", body.ErrorID,
			"method", r.Method, "path", r.URL.Path, "err", err)
	case errors.As(err, &pe):
		body.Description = pe.msg
	case errors.As(err, &mbe):
		body.Description = "request body larger than the API root's max_content_length of " + strconv.FormatInt(mbe.Limit, 10) + " bytes"
	default:
		body.Description = liaison.ErrorMessage(err)
	}
	b, _ := json.Marshal(body)
	h := w.Header()
	h.Set("Content-Type", MediaType)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
