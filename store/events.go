package store

import (
	"context"
	"strings"
	"sync"

	"github.com/liaison-intel/liaison"
)

// Events carries live events among the servers that share a store: what
// one server broadcasts on a topic, the subscribers of that topic on every
// server (its own included) receive. Events are not stored: a server that
// is not listening when one is sent never sees it. They are for what a
// screen shows while it happens (an import's progress), never for what must
// not be lost, which is written to the store.
type Events interface {
	// Broadcast sends data to the subscribers of topic. data is at most
	// MaxEventSize bytes.
	Broadcast(ctx context.Context, topic string, data []byte) error
	// Subscribe calls f with the data of each event broadcast on topic
	// until cancel is called. f may be called from several goroutines at
	// once, and must not block.
	Subscribe(topic string, f func(data []byte)) (cancel func())
}

// MaxEventSize bounds the data of one event (PostgreSQL's NOTIFY carries
// less than 8,000 bytes: the data in base64, with its topic and sender).
const MaxEventSize = 5000

// CheckEvent refuses an event too large to broadcast, or whose topic holds
// a line break (the wire form of PostgreSQL's events separates by lines).
func CheckEvent(topic string, data []byte) error {
	if len(data) > MaxEventSize {
		return liaison.Errorf(liaison.EINVALID, "event on %q: %d bytes, more than the %d an event may carry", topic, len(data), MaxEventSize)
	}
	if strings.ContainsAny(topic, "\n\r") || topic == "" {
		return liaison.Errorf(liaison.EINVALID, "event topic %q: empty, or holding a line break", topic)
	}
	return nil
}

// LocalEvents delivers events within one process: all of a single-process
// store's events, and the local half of a shared store's.
type LocalEvents struct {
	mu   sync.Mutex
	next int
	subs map[string]map[int]func([]byte)
}

// Broadcast delivers data to this process's subscribers of topic.
func (e *LocalEvents) Broadcast(_ context.Context, topic string, data []byte) error {
	if err := CheckEvent(topic, data); err != nil {
		return err
	}
	e.Deliver(topic, data)
	return nil
}

// Deliver calls this process's subscribers of topic with data.
func (e *LocalEvents) Deliver(topic string, data []byte) {
	e.mu.Lock()
	fs := make([]func([]byte), 0, len(e.subs[topic]))
	for _, f := range e.subs[topic] {
		fs = append(fs, f)
	}
	e.mu.Unlock()
	for _, f := range fs {
		f(data)
	}
}

// Subscribe adds f to the subscribers of topic.
func (e *LocalEvents) Subscribe(topic string, f func([]byte)) func() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.subs == nil {
		e.subs = map[string]map[int]func([]byte){}
	}
	if e.subs[topic] == nil {
		e.subs[topic] = map[int]func([]byte){}
	}
	e.next++
	id := e.next
	e.subs[topic][id] = f
	var once sync.Once
	return func() {
		once.Do(func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			delete(e.subs[topic], id)
			if len(e.subs[topic]) == 0 {
				delete(e.subs, topic)
			}
		})
	}
}
