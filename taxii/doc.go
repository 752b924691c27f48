// Package taxii is Liaison's TAXII 2.1 server: discovery, API roots,
// collections, objects, manifests, versions and status resources over a
// store.Store, with the filters, paging, media types and error bodies the
// OASIS standard requires.
//
// It owns HTTP only. It never decides who may see an object: the store
// answers every read with what policy allows the principal, and the handlers
// turn the store's errors into TAXII error bodies in one place (errors.go).
// It never filters a page after the store has returned it.
//
// Package taxii/client is the matching client, used by partners' tools in
// tests and by federation.
package taxii
