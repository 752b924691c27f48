package taxii

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/liaison-intel/liaison"
)

func readEnvelope(body string) ([]string, error) {
	e := newEnvelopeReader(strings.NewReader(body))
	var out []string
	for {
		raw, err := e.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, string(raw))
	}
}

func TestEnvelopeReaderReadsObjectsOneByOne(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{`{"objects":[]}`, nil},
		{`{"objects":[{"a":1},{"b":[2]}]}`, []string{`{"a":1}`, `{"b":[2]}`}},
		{`{"more":false,"next":"x","objects":[{"a":1}],"x_other":{"y":[1,2]}}`, []string{`{"a":1}`}},
		{` { "objects" : [ "not an object", 3 ] } `, []string{`"not an object"`, `3`}},
	}
	for _, tt := range tests {
		got, err := readEnvelope(tt.body)
		if err != nil {
			t.Errorf("%s: %v", tt.body, err)
			continue
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s: got %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestEnvelopeReaderRefusesWhatIsNotAnEnvelope(t *testing.T) {
	for body, says := range map[string]string{
		``:                              "ends early",
		`[]`:                            "must be a TAXII envelope",
		`{"objects":{}}`:                `"objects" must be a list`,
		`{"more":true}`:                 `no "objects" list`,
		`{"objects":[],"objects":[]}`:   `"objects" twice`,
		`{"objects":[{"a":1}`:           "ends early",
		`{"objects":[{"a":}]}`:          "is not valid JSON",
		`{"objects":[]}{}`:              "data after the envelope",
		`{"objects":[]} x`:              "is not valid JSON",
		`{"objects":[1,]}`:              "is not valid JSON",
		`{"objects":[1] "more":true}`:   "is not valid JSON",
		"{\"objects\":[\"\xff\"]}\x00 ": "is not valid JSON",
	} {
		_, err := readEnvelope(body)
		if err == nil || liaison.ErrorCode(err) != liaison.EINVALID || !strings.Contains(err.Error(), says) {
			t.Errorf("%q: err %v, want EINVALID saying %q", body, err, says)
		}
	}
}

func TestReceiveKeepsSmallBodiesInMemoryAndSpoolsLargeOnes(t *testing.T) {
	for _, size := range []int{0, 10, memoryBody, memoryBody + 1, 3 * memoryBody} {
		body := bytes.Repeat([]byte("x"), size)
		rc, err := receive(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("size %d: read back %d bytes, %v", size, len(got), err)
		}
		if _, spooled := rc.(*tempFile); spooled != (size > memoryBody) {
			t.Errorf("size %d: spooled %v", size, spooled)
		}
	}
}

// FuzzEnvelope checks that the envelope reader never panics or loops, that
// every failure is EINVALID, and that when it accepts a body, the objects it
// yields are exactly those of the "objects" list as encoding/json reads it.
func FuzzEnvelope(f *testing.F) {
	for _, s := range []string{`{"objects":[]}`, `{"objects":[{"a":1},{"b":[2]}]}`, `{"more":false,"objects":[{"a":1}]}`,
		`{"objects":[{"a":1}`, `[]`, `{"objects":{}}`, `{"objects":[],"objects":[]}`, `{"objects":[]} x`, `{"x":{"objects":[1]},"objects":[2]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := readEnvelope(string(body))
		if err != nil {
			if liaison.ErrorCode(err) != liaison.EINVALID {
				t.Fatalf("code %s: %v", liaison.ErrorCode(err), err)
			}
			return
		}
		var env struct {
			Objects []json.RawMessage `json:"objects"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatalf("reader accepted %q, encoding/json refuses it: %v", body, err)
		}
		if len(env.Objects) != len(got) {
			t.Fatalf("%q: reader found %d objects, encoding/json %d", body, len(got), len(env.Objects))
		}
		for i := range got {
			if !bytes.Equal(bytes.TrimSpace(env.Objects[i]), bytes.TrimSpace([]byte(got[i]))) {
				t.Fatalf("%q: object %d differs: %s vs %s", body, i, got[i], env.Objects[i])
			}
		}
	})
}

// FuzzAccept checks that no Accept header makes content negotiation panic,
// and that a header naming TAXII 2.1 first is always accepted.
func FuzzAccept(f *testing.F) {
	for _, s := range []string{"", "*/*", "application/taxii+json;version=2.1", "text/html;q=0.5, application/*;q=0", `a/b;x="y,z"`, ";;,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		r := httptest.NewRequest("GET", "/taxii2/", nil)
		r.Header.Set("Accept", accept)
		acceptable(r)
		if !strings.ContainsAny(accept, "\r\n") {
			r.Header.Set("Accept", "application/taxii+json;version=2.1, "+accept)
			if !acceptable(r) {
				t.Fatalf("TAXII 2.1 first, then %q: refused", accept)
			}
		}
	})
}
