package federation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/liaison-intel/liaison/auth"
	"github.com/liaison-intel/liaison/store"
)

// Handler serves partner nodes on the federation listener. The listener's
// TLS already refused certificates no partner is pinned to (VerifyPartner);
// here the pinned certificate names the partner, whose organisation becomes
// the principal of the request. Then the TAXII server takes over, with the
// same store and therefore the same policy as for any user.
func Handler(st store.Store, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "mutual TLS required", http.StatusUnauthorized)
			return
		}
		sum := sha256.Sum256(r.TLS.PeerCertificates[0].Raw)
		peer, err := st.PeerByFingerprint(r.Context(), hex.EncodeToString(sum[:]))
		if err != nil {
			http.Error(w, "unknown partner", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), peer.Principal())))
	})
}

// VerifyPartner is the TLS listener's check of a client certificate: it must
// be pinned to a partner.
func VerifyPartner(st store.Store) func(fingerprint string) bool {
	return func(fingerprint string) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := st.PeerByFingerprint(ctx, fingerprint)
		return err == nil
	}
}
