package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/liaison-intel/liaison/store"
	"github.com/liaison-intel/liaison/store/sqlite"
	"github.com/liaison-intel/liaison/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "liaison.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
