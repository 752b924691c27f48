// Package federation makes Liaison nodes partners: it owns a node's identity
// (its Ed25519 signing key and the self-signed certificate of its mutual TLS),
// the pairing invitations admins exchange, the signatures a node puts on the
// objects it originates, and the sync between partners.
//
// Trust is pinned, never delegated: a partner is known by the SHA-256
// fingerprint of its certificate and by its signing key, both taken from its
// invitation. No public certificate authority is consulted.
//
// Which object may go to which partner is never decided here: policy decides
// it, with the partner's organisation as the principal, and the store
// enforces it.
package federation
