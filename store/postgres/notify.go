package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"

	"github.com/liaison-intel/liaison/store"
)

// Live events across servers. Several `liaison serve` processes may share
// one database; each must wake its streams (alerts, coverage) and its push
// loops when any of them stores something. Every add that stores something
// sends, in its transaction, a NOTIFY on the schema's channel carrying the
// sending store's instance id (delivered at commit, never for a rollback);
// each store that has hooks LISTENs on a connection of its own and runs
// them for the notifications of other instances (its own adds ran them
// already).

//
// The same channel carries the events of store.Events (Broadcast): their
// payload is the sender's instance id, the topic and the data in base64,
// on three lines; an add's is the instance id alone.

var _ store.Events = (*Store)(nil)

// Broadcast sends an event to the subscribers of topic in this process and
// in every other store listening on this database.
func (s *Store) Broadcast(ctx context.Context, topic string, data []byte) error {
	if err := store.CheckEvent(topic, data); err != nil {
		return err
	}
	s.events.Deliver(topic, data)
	payload := s.instance + "\n" + topic + "\n" + base64.StdEncoding.EncodeToString(data)
	_, err := s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", s.channel(), payload)
	return err
}

// Subscribe calls f with the events broadcast on topic by any server of
// this database until cancel is called.
func (s *Store) Subscribe(topic string, f func([]byte)) (cancel func()) {
	s.startListening()
	return s.events.Subscribe(topic, f)
}

// received handles one notification: another instance's add wakes the
// hooks; another instance's event goes to this process's subscribers.
func (s *Store) received(payload string) {
	sender, rest, isEvent := strings.Cut(payload, "\n")
	if sender == s.instance {
		return // handled when it was sent
	}
	if !isEvent {
		s.Added()
		return
	}
	topic, encoded, _ := strings.Cut(rest, "\n")
	data, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return // not one of ours
	}
	s.events.Deliver(topic, data)
}

// startListening starts the listener, once.
func (s *Store) startListening() {
	s.listenOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		s.listenCancel, s.listenDone = cancel, make(chan struct{})
		go s.listen(ctx)
	})
}

// channel is the schema's notification channel.
func (s *Store) channel() string { return "liaison:" + s.schema }

func newInstanceID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// listen runs the hooks for other instances' adds, and delivers their
// events, until ctx ends,
// reconnecting after a pause when the connection drops.
func (s *Store) listen(ctx context.Context) {
	defer close(s.listenDone)
	pause := time.Second
	first := true
	for ctx.Err() == nil {
		conn, err := s.pool.Acquire(ctx)
		if err == nil {
			if _, err = conn.Exec(ctx, `LISTEN "`+s.channel()+`"`); err == nil {
				pause = time.Second
				// Anything stored while the connection was down is not
				// known: after a reconnection, wake the hooks once, so
				// that they look.
				if !first {
					s.Added()
				}
				first = false
				for {
					n, werr := conn.Conn().WaitForNotification(ctx)
					if werr != nil {
						break
					}
					s.received(n.Payload)
				}
			}
			conn.Hijack().Close(context.Background())
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		pause = min(2*pause, 30*time.Second)
	}
}
