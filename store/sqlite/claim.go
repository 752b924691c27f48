package sqlite

import (
	"context"
	"path/filepath"

	"github.com/liaison-intel/liaison/store"
)

// claims are the sync claims of every store this process has open, keyed by
// database path: one SQLite file is served by one process, so a claim only
// has to exclude the loops of that process, including those of a second
// Open of the same file.
var claims store.Claims

// ClaimSync claims one exchange with a partner (see store.Store).
func (s *Store) ClaimSync(ctx context.Context, key string) (func(), bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	path, err := filepath.Abs(s.path)
	if err != nil {
		path = s.path
	}
	release, ok := claims.Claim(path + "\x00" + key)
	return release, ok, nil
}
