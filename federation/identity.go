package federation

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// The files of a node's identity in its data directory.
const (
	SigningKeyFile = "signing.key" // Ed25519 private key, PKCS#8 PEM
	TLSCertFile    = "tls.crt"     // self-signed certificate, PEM
	TLSKeyFile     = "tls.key"     // the certificate's ECDSA P-256 private key, PKCS#8 PEM
)

// certificateLifetime is how long a node's certificate is valid. Partners pin
// it, so it outlives any partnership rather than expire in the middle of one.
const certificateLifetime = 10 // years

// Identity is what a node proves itself with to its partners: the key it
// signs the objects it originates with, and the certificate of its mutual TLS.
type Identity struct {
	SigningKey  ed25519.PrivateKey
	Certificate tls.Certificate // self-signed, for mutual TLS; Leaf is set
	Fingerprint string          // lower-case hex SHA-256 of the certificate's DER
}

// PublicKey returns the public half of the signing key, the key partners
// verify the node's objects with.
func (id *Identity) PublicKey() ed25519.PublicKey {
	return id.SigningKey.Public().(ed25519.PublicKey)
}

// LoadOrCreateIdentity reads the node's keys from dataDir, creating them on
// first use: signing.key (Ed25519, PKCS#8 PEM) and tls.crt + tls.key (an
// ECDSA P-256 self-signed certificate whose common name is orgName, whose
// subject alternative names are hosts plus 127.0.0.1, ::1 and localhost,
// valid for 10 years, usable as server and as client certificate).
//
// orgName and hosts are used only when the certificate is created: an
// existing certificate is never replaced, because partners pin its
// fingerprint. A host may be an IP address or a DNS name, with or without a
// port (the port is dropped).
//
// Files are created with mode 0600 and written atomically (a temporary file
// renamed into place). Key files that group or others may access are
// refused: a leaked key lets anyone pose as the node.
func LoadOrCreateIdentity(dataDir, orgName string, hosts []string) (*Identity, error) {
	if dataDir == "" {
		return nil, errors.New("federation: no data directory given for the node's keys")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	signing, err := loadOrCreateSigningKey(filepath.Join(dataDir, SigningKeyFile))
	if err != nil {
		return nil, err
	}
	cert, err := loadOrCreateCertificate(dataDir, orgName, hosts)
	if err != nil {
		return nil, err
	}
	return &Identity{SigningKey: signing, Certificate: cert, Fingerprint: Fingerprint(cert.Certificate[0])}, nil
}

// Fingerprint returns the lower-case hex SHA-256 of a certificate's DER
// encoding: the pin partners know a node's certificate by.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// KeyID names an Ed25519 public key in signatures: "ed25519:" followed by the
// first 16 bytes of the key's SHA-256, in lower-case hex.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "ed25519:" + hex.EncodeToString(sum[:16])
}

func loadOrCreateSigningKey(path string) (ed25519.PrivateKey, error) {
	data, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		if err := writeKey(path, key); err != nil {
			return nil, err
		}
		return key, nil
	}
	if err != nil {
		return nil, err
	}
	key, err := parseKey(path, data)
	if err != nil {
		return nil, err
	}
	ed, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: holds a %T, not an Ed25519 private key", path, key)
	}
	return ed, nil
}

// loadOrCreateCertificate reads tls.crt and tls.key, or creates them. The key
// is written before the certificate, so a start interrupted in between leaves
// a key without a certificate, which the next start completes.
func loadOrCreateCertificate(dataDir, orgName string, hosts []string) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dataDir, TLSCertFile), filepath.Join(dataDir, TLSKeyFile)
	keyPEM, err := readKeyFile(keyPath)
	keyMissing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !keyMissing {
		return tls.Certificate{}, err
	}
	certPEM, err := os.ReadFile(certPath)
	certMissing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !certMissing {
		return tls.Certificate{}, err
	}
	switch {
	case !keyMissing && !certMissing:
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("%s and %s: %w", certPath, keyPath, err)
		}
		return cert, nil
	case keyMissing && !certMissing:
		return tls.Certificate{}, fmt.Errorf("%s exists without its key %s: restore the key, or remove the certificate to create a new one (partners must then be sent a new invitation)", certPath, keyPath)
	}
	var key crypto.Signer
	if keyMissing {
		ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return tls.Certificate{}, err
		}
		if err := writeKey(keyPath, ec); err != nil {
			return tls.Certificate{}, err
		}
		key = ec
	} else {
		k, err := parseKey(keyPath, keyPEM)
		if err != nil {
			return tls.Certificate{}, err
		}
		signer, ok := k.(crypto.Signer)
		if !ok {
			return tls.Certificate{}, fmt.Errorf("%s: holds a %T, which cannot sign", keyPath, k)
		}
		key = signer
	}
	der, err := selfSigned(key, orgName, hosts, time.Now())
	if err != nil {
		return tls.Certificate{}, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := writeFileAtomic(certPath, certPEM); err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// selfSigned creates the node's certificate. It is valid from an hour before
// now, so that a partner whose clock runs behind accepts it at once.
func selfSigned(key crypto.Signer, orgName string, hosts []string, now time.Time) ([]byte, error) {
	if strings.TrimSpace(orgName) == "" {
		return nil, errors.New("federation: the organisation name (the certificate's common name) is empty")
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: orgName, Organization: []string{orgName}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(certificateLifetime, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	seen := map[string]bool{}
	for _, h := range append(append([]string(nil), hosts...), "127.0.0.1", "::1", "localhost") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if host, port, err := net.SplitHostPort(h); err == nil && isDigits(port) {
			h = host
		}
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		if ip := net.ParseIP(h); ip != nil {
			if !seen[ip.String()] {
				seen[ip.String()] = true
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			}
			continue
		}
		h = strings.ToLower(h)
		if !validDNSName(h) {
			return nil, fmt.Errorf("federation: host %q is neither an IP address nor a DNS name", h)
		}
		if !seen[h] {
			seen[h] = true
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// validDNSName accepts host names of letters, digits and hyphens (RFC 1123),
// with an optional leading wildcard label.
func validDNSName(s string) bool {
	s = strings.TrimPrefix(s, "*.")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// readKeyFile reads a private key file, refusing one that group or others may
// read or write. The mode is checked on the open file, so the check and the
// read concern the same file.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: is not a regular file", path)
	}
	// Windows has no such mode bits; its ACLs are the administrator's business.
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("%s: private key is accessible by group or others (mode %04o); refusing to use it: run chmod 600 %s once you are sure nobody else has copied it", path, perm, path)
	}
	return io.ReadAll(io.LimitReader(f, 1<<16))
}

// parseKey reads a PKCS#8 PEM private key.
func parseKey(path string, data []byte) (any, error) {
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: is not a PEM \"PRIVATE KEY\" (PKCS#8) file", path)
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, fmt.Errorf("%s: has data after the private key", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

func writeKey(path string, key any) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// writeFileAtomic writes data to path with mode 0600 through a temporary file
// in the same directory, renamed into place once it is on disk: a crash
// leaves either no file or the whole file, never a truncated key.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename itself durable; not every platform can sync a directory.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// ServerTLSConfig returns the TLS configuration of a node's federation
// listener: TLS 1.3 only, our certificate, and a client certificate required
// and accepted only if verify approves its fingerprint (a partner's pin). No
// certificate authority is consulted. verify may be called concurrently; a
// nil verify refuses every client.
func ServerTLSConfig(id *Identity, verify func(fingerprint string) bool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id.Certificate},
		// Any certificate is asked for, since partners' certificates are
		// self-signed; the pin below is the only check.
		ClientAuth: tls.RequireAnyClientCert,
		// VerifyConnection, unlike VerifyPeerCertificate, also runs when a
		// session is resumed, so a partner removed since is refused then too.
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("federation: the client presented no certificate")
			}
			fp := Fingerprint(cs.PeerCertificates[0].Raw)
			if verify == nil || !verify(fp) {
				return fmt.Errorf("federation: client certificate %s is not pinned for any partner", fp)
			}
			return nil
		},
	}
}

// ClientTLSConfig returns the TLS configuration for calling a partner: TLS
// 1.3 only, our certificate presented, and the partner's server accepted only
// if its certificate's fingerprint is peerFingerprint (case does not matter).
func ClientTLSConfig(id *Identity, peerFingerprint string) *tls.Config {
	pin := strings.ToLower(peerFingerprint)
	cert := id.Certificate
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		// Always present our certificate, even if the server names
		// certificate authorities ours does not chain to.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil },
		// A partner's certificate is self-signed: no CA vouches for it and
		// host names mean nothing, so the standard chain and host name checks
		// can only fail. InsecureSkipVerify turns off those two checks and
		// nothing else; VerifyConnection replaces them with the pin, on every
		// handshake, resumed ones included.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("federation: the server presented no certificate")
			}
			if fp := Fingerprint(cs.PeerCertificates[0].Raw); pin == "" || fp != pin {
				return fmt.Errorf("federation: server certificate %s is not the pinned certificate %s", fp, pin)
			}
			return nil
		},
	}
}

// PeerFingerprint returns the fingerprint of the certificate the other side
// of a connection presented, or "" if it presented none. A federation handler
// identifies the calling partner by it (http.Request.TLS).
func PeerFingerprint(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return ""
	}
	return Fingerprint(cs.PeerCertificates[0].Raw)
}
