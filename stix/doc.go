// Package stix is Liaison's STIX 2.1 layer: it parses objects, validates what
// the specification requires of them (the common properties and the rules of
// every type it defines; docs/STIX.md lists what is accepted and refused, and
// why), computes their versions and their canonical form (RFC 8785), and
// reads bundles as a stream.
//
// It keeps every object's original bytes. An object is never re-serialised
// from a Go struct, so every property a producer sent, known or custom,
// survives a round trip unchanged. Only the properties Liaison needs are
// parsed. Custom properties, custom object types and extension-defined types
// are kept; open vocabularies are not restricted.
//
// Written here rather than taken from a library: the Go STIX libraries
// available (github.com/TcM1911/stix2 among them) re-serialise objects, lose
// TLP 2.0 markings and share custom properties across objects, which breaks
// signatures and round trips.
//
// Parse is on the hot path of bulk imports: it reads an object in one pass
// (jsonscan.go) and allocates a handful of times per object.
//
// This package does no I/O beyond reading the io.Reader it is handed, and
// never resolves references to other objects.
package stix
