package stix

import "testing"

func TestTheEarliestInstantIsStillAVersion(t *testing.T) {
	o, err := Parse([]byte(`{"type":"malware","spec_version":"2.1","id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"0001-01-01T00:00:00.000Z","modified":"0001-01-01T00:00:00.000Z","name":"x","is_family":false}`))
	if err != nil {
		t.Fatal(err)
	}
	if o.Version() != "0001-01-01T00:00:00.000000000Z" {
		t.Errorf("Version() = %q; an object modified at year 1 must not look unversioned", o.Version())
	}
}
