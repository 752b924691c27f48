package taxii

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// Media types of TAXII 2.1 and STIX 2.1.
const (
	MediaType     = "application/taxii+json;version=2.1"
	STIXMediaType = "application/stix+json;version=2.1"
	taxiiType     = "application/taxii+json"
	taxiiVersion  = "2.1"
)

// acceptable reports whether the request's Accept header allows a TAXII 2.1
// response. A missing header allows anything; so do */* and application/*.
// application/taxii+json without a version means the latest, which is 2.1.
// A media range with q=0 is a refusal, not an acceptance.
func acceptable(r *http.Request) bool {
	values := r.Header.Values("Accept")
	if len(values) == 0 || strings.TrimSpace(strings.Join(values, "")) == "" {
		return true
	}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			mt, params, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			if q, ok := params["q"]; ok {
				f, err := strconv.ParseFloat(q, 64)
				if err != nil || f <= 0 {
					continue
				}
			}
			switch mt {
			case "*/*", "application/*":
				return true
			case taxiiType:
				if ver, ok := params["version"]; !ok || ver == taxiiVersion {
					return true
				}
			}
		}
	}
	return false
}

// isTAXIIContent reports whether a Content-Type is TAXII 2.1 JSON. Other
// parameters (a charset) are allowed; the version must be 2.1.
func isTAXIIContent(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	return err == nil && mt == taxiiType && params["version"] == taxiiVersion
}
