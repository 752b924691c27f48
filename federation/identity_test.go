package federation

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func newIdentity(t testing.TB, org string) *Identity {
	t.Helper()
	id, err := LoadOrCreateIdentity(t.TempDir(), org, nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestFingerprintIsTheLowerCaseHexSHA256OfTheDER(t *testing.T) {
	// SHA-256("abc"), FIPS 180-2 appendix B.1.
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := Fingerprint([]byte("abc")); got != want {
		t.Errorf("Fingerprint(abc) = %s, want %s", got, want)
	}
}

func TestKeyIDIsTheFirst16BytesOfTheKeysSHA256(t *testing.T) {
	// SHA-256 of 32 zero bytes is 66687aad f862bd77 6c8fc18b 8e9f8e20 0897...
	if got, want := KeyID(make(ed25519.PublicKey, 32)), "ed25519:66687aadf862bd776c8fc18b8e9f8e20"; got != want {
		t.Errorf("KeyID = %s, want %s", got, want)
	}
}

func TestAFirstStartCreatesTheKeysAndLaterStartsReadThem(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	id, err := LoadOrCreateIdentity(dir, "Security Service", []string{"fed.example.org:8443", "192.0.2.7", "[2001:db8::1]", "LOCALHOST"})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory: %v, mode %v; want 0700", err, fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		fi, _ := e.Info()
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	if want := []string{SigningKeyFile, TLSCertFile, TLSKeyFile}; !slices.Equal(names, want) {
		t.Errorf("data directory holds %v, want exactly %v (no temporary files left)", names, want)
	}

	// signing.key is a PKCS#8 PEM Ed25519 key, the identity's own.
	block := readPEM(t, filepath.Join(dir, SigningKeyFile), "PRIVATE KEY")
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if ed, ok := key.(ed25519.PrivateKey); !ok || !ed.Equal(id.SigningKey) {
		t.Errorf("signing.key holds %T, not the identity's Ed25519 key", key)
	}
	if !id.PublicKey().Equal(id.SigningKey.Public()) {
		t.Error("PublicKey is not the signing key's public half")
	}

	// tls.key is a PKCS#8 PEM ECDSA P-256 key; tls.crt its self-signed certificate.
	block = readPEM(t, filepath.Join(dir, TLSKeyFile), "PRIVATE KEY")
	key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		t.Fatalf("tls.key holds %T, want an ECDSA P-256 key", key)
	}
	block = readPEM(t, filepath.Join(dir, TLSCertFile), "CERTIFICATE")
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !ec.PublicKey.Equal(cert.PublicKey) {
		t.Error("the certificate is not for tls.key")
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Errorf("the certificate is not self-signed: %v", err)
	}
	if got := Fingerprint(block.Bytes); id.Fingerprint != got || len(id.Fingerprint) != 64 || strings.ToLower(got) != got {
		t.Errorf("Fingerprint = %q, want the lower-case SHA-256 of tls.crt %q", id.Fingerprint, got)
	}
	if !bytes.Equal(id.Certificate.Certificate[0], block.Bytes) || id.Certificate.Leaf == nil {
		t.Error("Identity.Certificate is not tls.crt with its leaf")
	}
	if cert.Subject.CommonName != "Security Service" {
		t.Errorf("CN = %q", cert.Subject.CommonName)
	}
	if want := []string{"fed.example.org", "localhost"}; !slices.Equal(cert.DNSNames, want) {
		t.Errorf("DNS names %v, want %v", cert.DNSNames, want)
	}
	var ips []string
	for _, ip := range cert.IPAddresses {
		ips = append(ips, ip.String())
	}
	if want := []string{"192.0.2.7", "2001:db8::1", "127.0.0.1", "::1"}; !slices.Equal(ips, want) {
		t.Errorf("IP addresses %v, want %v", ips, want)
	}
	if life := cert.NotAfter.Sub(cert.NotBefore); life < 10*365*24*time.Hour || life > 10*366*24*time.Hour+2*time.Hour {
		t.Errorf("valid for %v, want 10 years", life)
	}
	if now := time.Now(); cert.NotBefore.After(now) || cert.NotAfter.Before(now.AddDate(9, 11, 0)) {
		t.Errorf("valid %v to %v, want from now for 10 years", cert.NotBefore, cert.NotAfter)
	}
	if !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth) || !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		t.Errorf("extended key usage %v, want server and client authentication", cert.ExtKeyUsage)
	}
	if cert.IsCA {
		t.Error("the certificate is a CA")
	}

	// A second start reads the same identity, whatever name and hosts it is given.
	again, err := LoadOrCreateIdentity(dir, "Another name", []string{"other.example"})
	if err != nil {
		t.Fatal(err)
	}
	if !again.SigningKey.Equal(id.SigningKey) || again.Fingerprint != id.Fingerprint {
		t.Error("a second start created new keys instead of reading them")
	}
	if again.Certificate.Leaf == nil || again.Certificate.Leaf.Subject.CommonName != "Security Service" {
		t.Error("a second start did not read the certificate")
	}
}

func readPEM(t *testing.T, path, typ string) *pem.Block {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(data)
	if block == nil || block.Type != typ || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("%s is not one PEM %q block", path, typ)
	}
	return block
}

func TestKeyFilesOthersMayAccessAreRefused(t *testing.T) {
	if os.Getuid() == 0 {
		// root reads any file, but modes still apply to the check itself
		t.Log("running as root: the mode check does not depend on access")
	}
	for _, file := range []string{SigningKeyFile, TLSKeyFile} {
		for _, mode := range []os.FileMode{0o640, 0o604, 0o620, 0o602, 0o610} {
			t.Run(file+" "+mode.String(), func(t *testing.T) {
				dir := t.TempDir()
				if _, err := LoadOrCreateIdentity(dir, "Org", nil); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(dir, file)
				if err := os.Chmod(path, mode); err != nil {
					t.Fatal(err)
				}
				_, err := LoadOrCreateIdentity(dir, "Org", nil)
				if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "group or others") {
					t.Fatalf("err = %v, want a refusal naming %s", err, path)
				}
				if err := os.Chmod(path, 0o600); err != nil {
					t.Fatal(err)
				}
				if _, err := LoadOrCreateIdentity(dir, "Org", nil); err != nil {
					t.Fatalf("after chmod 600: %v", err)
				}
			})
		}
	}
}

func TestTheCertificateIsNotAKeySoItsModeIsNotChecked(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadOrCreateIdentity(dir, "Org", nil); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, TLSCertFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateIdentity(dir, "Org", nil); err != nil {
		t.Fatal(err)
	}
}

func TestAStartInterruptedBeforeTheCertificateIsCompletedWithTheSameKey(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadOrCreateIdentity(dir, "Org", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, TLSCertFile)); err != nil {
		t.Fatal(err)
	}
	second, err := LoadOrCreateIdentity(dir, "Org", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Certificate.Leaf.PublicKey.(*ecdsa.PublicKey).Equal(first.Certificate.Leaf.PublicKey) {
		t.Error("the new certificate is not for the existing tls.key")
	}
	if !second.SigningKey.Equal(first.SigningKey) {
		t.Error("the signing key changed")
	}
	third, err := LoadOrCreateIdentity(dir, "Org", nil)
	if err != nil || third.Fingerprint != second.Fingerprint {
		t.Errorf("the completed certificate was not kept: %v", err)
	}
}

func TestACertificateWithoutItsKeyIsRefused(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadOrCreateIdentity(dir, "Org", nil); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, TLSKeyFile)); err != nil {
		t.Fatal(err)
	}
	_, err := LoadOrCreateIdentity(dir, "Org", nil)
	if err == nil || !strings.Contains(err.Error(), "without its key") {
		t.Fatalf("err = %v, want a refusal of a certificate without its key", err)
	}
	if _, err := os.Stat(filepath.Join(dir, TLSKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Error("a new key was created for the orphaned certificate")
	}
}

func TestBrokenKeyFilesAreRefused(t *testing.T) {
	other := t.TempDir()
	if _, err := LoadOrCreateIdentity(other, "Other", nil); err != nil {
		t.Fatal(err)
	}
	otherTLSKey, _ := os.ReadFile(filepath.Join(other, TLSKeyFile))
	otherSigningKey, _ := os.ReadFile(filepath.Join(other, SigningKeyFile))
	tests := []struct {
		name, file string
		content    []byte
		want       string
	}{
		{"a signing key that is not PEM", SigningKeyFile, []byte("not a key"), "PKCS#8"},
		{"a signing key that is ECDSA", SigningKeyFile, otherTLSKey, "not an Ed25519"},
		{"a signing key with data after it", SigningKeyFile, append(bytes.Clone(otherSigningKey), "junk"...), "data after"},
		{"a TLS key of another certificate", TLSKeyFile, otherTLSKey, "tls.crt"},
		{"a truncated certificate", TLSCertFile, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), "tls.crt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := LoadOrCreateIdentity(dir, "Org", nil); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, tt.file), tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreateIdentity(dir, "Org", nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestBadArgumentsOfAFirstStartAreRefused(t *testing.T) {
	tests := []struct {
		name, org string
		hosts     []string
		want      string
	}{
		{"no organisation name", " ", nil, "organisation name"},
		{"a host with a space", "Org", []string{"bad host"}, `"bad host"`},
		{"a host with a slash", "Org", []string{"https://example.org/"}, "neither an IP address nor a DNS name"},
		{"a label starting with a hyphen", "Org", []string{"-a.example"}, "-a.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadOrCreateIdentity(t.TempDir(), tt.org, tt.hosts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := LoadOrCreateIdentity("", "Org", nil); err == nil {
		t.Error("an empty data directory was accepted")
	}
}

// handshake runs one TLS handshake over loopback and returns each side's
// error. The server writes "ok" after its handshake; the client reads it, so
// a client certificate the server refuses fails the client too (in TLS 1.3
// the server judges it after the client's handshake has returned).
func handshake(t *testing.T, server, client *tls.Config) (serverErr, clientErr error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		tc := tls.Server(c, server)
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			done <- err
			return
		}
		_, err = tc.Write([]byte("ok"))
		done <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(c, client)
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	clientErr = tc.Handshake()
	if clientErr == nil {
		buf := make([]byte, 2)
		if _, clientErr = io.ReadFull(tc, buf); clientErr == nil && string(buf) != "ok" {
			clientErr = errors.New("read " + string(buf))
		}
	}
	tc.Close()
	return <-done, clientErr
}

// pins is a partner list for ServerTLSConfig that records what it was asked.
type pins struct {
	mu     sync.Mutex
	known  map[string]bool
	asked  []string
	called int
}

func (p *pins) verify(fp string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, fp)
	return p.known[fp]
}

func TestMutualTLSWithPinnedFingerprints(t *testing.T) {
	server, client, stranger := newIdentity(t, "Server"), newIdentity(t, "Client"), newIdentity(t, "Stranger")
	tests := []struct {
		name       string
		serverPins []string // client fingerprints the server accepts
		client     *tls.Config
		wantServer string // "" for success; else a part of the server's error
		wantClient string
	}{
		{"right pins on both sides", []string{client.Fingerprint},
			ClientTLSConfig(client, server.Fingerprint), "", ""},
		{"a pin in upper case", []string{client.Fingerprint},
			ClientTLSConfig(client, strings.ToUpper(server.Fingerprint)), "", ""},
		{"the client pins another server", []string{client.Fingerprint},
			ClientTLSConfig(client, stranger.Fingerprint), "bad certificate", "is not the pinned certificate " + stranger.Fingerprint},
		{"the client pins nothing", []string{client.Fingerprint},
			ClientTLSConfig(client, ""), "bad certificate", "is not the pinned certificate"},
		{"the server does not know the client", []string{stranger.Fingerprint},
			ClientTLSConfig(client, server.Fingerprint), "client certificate " + client.Fingerprint + " is not pinned", "bad certificate"},
		{"the client presents no certificate", []string{client.Fingerprint},
			&tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true}, "certificate", "certificate"},
		{"the client speaks only TLS 1.2", []string{client.Fingerprint},
			func() *tls.Config {
				c := ClientTLSConfig(client, server.Fingerprint)
				c.MinVersion, c.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
				return c
			}(), "version", "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &pins{known: map[string]bool{}}
			for _, fp := range tt.serverPins {
				p.known[fp] = true
			}
			serverErr, clientErr := handshake(t, ServerTLSConfig(server, p.verify), tt.client)
			check := func(side string, err error, want string) {
				switch {
				case want == "" && err != nil:
					t.Errorf("%s: %v", side, err)
				case want != "" && err == nil:
					t.Errorf("%s: handshake succeeded, want an error mentioning %q", side, want)
				case want != "" && !strings.Contains(err.Error(), want):
					t.Errorf("%s: %v, want an error mentioning %q", side, err, want)
				}
			}
			check("server", serverErr, tt.wantServer)
			check("client", clientErr, tt.wantClient)
			if tt.wantServer == "" && !slices.Equal(p.asked, []string{client.Fingerprint}) {
				t.Errorf("the server asked about %v, want the client's fingerprint once", p.asked)
			}
		})
	}
}

func TestAServerWithoutAVerifierRefusesEveryClient(t *testing.T) {
	server, client := newIdentity(t, "Server"), newIdentity(t, "Client")
	serverErr, clientErr := handshake(t, ServerTLSConfig(server, nil), ClientTLSConfig(client, server.Fingerprint))
	if serverErr == nil || clientErr == nil {
		t.Fatalf("server %v, client %v; want both to fail", serverErr, clientErr)
	}
}

func TestAnHTTPSHandlerKnowsThePartnerByItsFingerprint(t *testing.T) {
	server, client := newIdentity(t, "Server"), newIdentity(t, "Client")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, PeerFingerprint(r.TLS))
	}))
	srv.TLS = ServerTLSConfig(server, func(fp string) bool { return fp == client.Fingerprint })
	srv.StartTLS()
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "https://127.0.0.1:") {
		t.Fatalf("test server at %s, want 127.0.0.1", srv.URL)
	}
	get := func(cfg *tls.Config) (string, error) {
		tr := &http.Transport{TLSClientConfig: cfg}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(srv.URL + "/taxii2/")
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return string(body), err
	}
	body, err := get(ClientTLSConfig(client, server.Fingerprint))
	if err != nil || body != client.Fingerprint {
		t.Fatalf("GET = %q, %v; want the client's fingerprint %s", body, err, client.Fingerprint)
	}
	if _, err := get(ClientTLSConfig(client, client.Fingerprint)); err == nil {
		t.Error("a client pinning the wrong certificate reached the server")
	}
	if _, err := get(ClientTLSConfig(newIdentity(t, "Stranger"), server.Fingerprint)); err == nil {
		t.Error("a client the server does not know was served")
	}
	if PeerFingerprint(nil) != "" || PeerFingerprint(&tls.ConnectionState{}) != "" {
		t.Error("PeerFingerprint of a connection without a certificate is not empty")
	}
}
