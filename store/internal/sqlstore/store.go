package sqlstore

import (
	"context"
	"hash/fnv"
	"sync"
	"time"

	"github.com/liaison-intel/liaison"
)

// Store is what both backends' stores are made of: embedded in theirs, its
// methods are most of store.Store.
type Store struct {
	db  DB
	d   Dialect
	now func() time.Time
	// classes caches access classes and marking definitions (append-only).
	classes *classCache
	// standing caches the parsed standing patterns (standing.go).
	standing *standingCache
	// afterAdd are called after every committed add that stored something
	// (federation pushes at once; alert streams wake up).
	hookMu   sync.Mutex
	afterAdd []func()
	// defaultRegion is the country whose national phone numbers need no
	// prefix (the node organisation's), for correlation.
	defaultRegion string
	noCorrelation bool
}

// Config is what a backend's options decide.
type Config struct {
	Now           func() time.Time // the clock of date_added and creation times
	NoCorrelation bool             // index no selectors, raise no alerts (benchmarks)
}

// New makes the shared part of a store over a backend's DB.
func New(db DB, d Dialect, cfg Config) *Store {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Store{db: db, d: d, now: cfg.Now, classes: newClassCache(), standing: newStandingCache(d), noCorrelation: cfg.NoCorrelation}
}

// OnAdd adds a function called after every committed AddObjects that stored
// something.
func (s *Store) OnAdd(f func()) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.afterAdd = append(s.afterAdd, f)
}

// Added runs the OnAdd functions (a backend runs them also for adds it
// learns of from other processes).
func (s *Store) Added() {
	s.hookMu.Lock()
	hooks := append([]func(){}, s.afterAdd...)
	s.hookMu.Unlock()
	for _, f := range hooks {
		f()
	}
}

// SetDefaultRegion sets the ISO 3166 country whose national phone numbers
// are written without a prefix (the node organisation's). Call it before
// the store is shared.
func (s *Store) SetDefaultRegion(cc string) { s.defaultRegion = cc }

// inTx runs fn in a write transaction and commits if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx Tx) error) error {
	tx, err := s.db.BeginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Times are stored as microseconds since 1970.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func notFound(what string) error { return liaison.Errorf(liaison.ENOTFOUND, "%s not found", what) }

// IDKey is the indexed stand-in for an object id: the first 8 bytes of its
// FNV-1a hash. Collisions are harmless (every query also compares the id).
func IDKey(id string) int64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return int64(h.Sum64())
}

func idKey(id string) int64 { return IDKey(id) }
