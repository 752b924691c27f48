package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaison-intel/liaison"
	"github.com/liaison-intel/liaison/federation"
)

// A second server of a node's store must present the node's keys: one
// started with a data directory of its own (which would mint new keys that
// no partner pins) is refused, and starts once the keys are copied in.
func TestAServerWithoutTheNodesKeysIsRefusedTheStore(t *testing.T) {
	ctx := context.Background()
	st := openTemp(t)
	if _, err := Init(ctx, st, InitOptions{OrgName: "Security Service", OrgCountry: "GB"}); err != nil {
		t.Fatal(err)
	}
	first, second := t.TempDir(), t.TempDir()
	id, _, err := OpenIdentity(ctx, st, first, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again, _, err := OpenIdentity(ctx, st, first, nil); err != nil || again.Fingerprint != id.Fingerprint {
		t.Fatalf("the first data directory again: %v", err)
	}
	_, _, err = OpenIdentity(ctx, st, second, nil)
	if liaison.ErrorCode(err) != liaison.ECONFLICT || !strings.Contains(err.Error(), federation.SigningKeyFile) {
		t.Fatalf("a data directory with keys of its own: %v; want a conflict naming the files to copy", err)
	}
	for _, f := range []string{federation.SigningKeyFile, federation.TLSCertFile, federation.TLSKeyFile} {
		b, err := os.ReadFile(filepath.Join(first, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(second, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, _, err := OpenIdentity(ctx, st, second, nil)
	if err != nil || got.Fingerprint != id.Fingerprint {
		t.Fatalf("the second data directory with the node's keys: %v", err)
	}
}
