package tlsutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/remora-sec/remora/infra/testreq"
)

// paths returns cert and key paths inside a directory that does not exist
// yet, so LoadOrCreate has to create it.
func paths(t *testing.T) (certFile, keyFile string) {
	dir := filepath.Join(t.TempDir(), "pki")
	return filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
}

func mustCreate(t *testing.T, certFile, keyFile string, extra []string) tls.Certificate {
	t.Helper()
	cert, created, err := LoadOrCreate(certFile, keyFile, extra)
	if err != nil {
		t.Fatalf("LoadOrCreate: %v", err)
	}
	if !created {
		t.Fatalf("LoadOrCreate: created = false on empty dir")
	}
	return cert
}

func TestLoadOrCreate(t *testing.T) {
	certFile, keyFile := paths(t)
	first := mustCreate(t, certFile, keyFile, []string{"pce.example.com", "10.1.2.3", "localhost"})

	if first.Leaf == nil {
		t.Fatal("created certificate has nil Leaf")
	}
	leaf := first.Leaf
	if pub, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key = %T, want ECDSA P-256", leaf.PublicKey)
	}
	if got := leaf.NotAfter.Sub(leaf.NotBefore); got < 364*24*time.Hour || got > 366*24*time.Hour {
		t.Errorf("validity = %v, want about one year", got)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatalf("os.Hostname: %v", err)
	}
	for _, name := range []string{"localhost", "pce.example.com", host} {
		if !slices.Contains(leaf.DNSNames, name) {
			t.Errorf("DNSNames = %v, missing %q", leaf.DNSNames, name)
		}
	}
	if n := strings.Count(strings.Join(leaf.DNSNames, ","), "localhost"); n != 1 {
		t.Errorf("localhost appears %d times in DNSNames %v, want once", n, leaf.DNSNames)
	}
	for _, ip := range []string{"127.0.0.1", "::1", "10.1.2.3"} {
		if !slices.ContainsFunc(leaf.IPAddresses, func(got net.IP) bool { return got.Equal(net.ParseIP(ip)) }) {
			t.Errorf("IPAddresses = %v, missing %s", leaf.IPAddresses, ip)
		}
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := leaf.VerifyHostname(name); err != nil {
			t.Errorf("VerifyHostname(%q): %v", name, err)
		}
	}

	for _, tc := range []struct {
		name string
		path string
		perm os.FileMode
	}{
		{"key", keyFile, 0o600},
		{"dir", filepath.Dir(keyFile), 0o700 | os.ModeDir},
	} {
		fi, err := os.Stat(tc.path)
		if err != nil {
			t.Fatalf("stat %s: %v", tc.name, err)
		}
		if got := fi.Mode() & (os.ModePerm | os.ModeDir); got != tc.perm {
			t.Errorf("%s mode = %v, want %v", tc.name, got, tc.perm)
		}
	}

	second, created, err := LoadOrCreate(certFile, keyFile, nil)
	if err != nil {
		t.Fatalf("second LoadOrCreate: %v", err)
	}
	if created {
		t.Error("second LoadOrCreate: created = true, want false")
	}
	if second.Leaf == nil {
		t.Fatal("loaded certificate has nil Leaf")
	}
	if got, want := Fingerprint(second), Fingerprint(first); got != want {
		t.Errorf("fingerprint after reload = %s, want %s", got, want)
	}
}

// pemFingerprint computes the fingerprint from the file on disk without
// going through the package, as an agent operator would.
func pemFingerprint(t *testing.T, certFile string) string {
	t.Helper()
	data, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s: no CERTIFICATE block", certFile)
	}
	sum := sha256.Sum256(block.Bytes)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

func TestFingerprint(t *testing.T) {
	certFile, keyFile := paths(t)
	cert := mustCreate(t, certFile, keyFile, nil)
	got := Fingerprint(cert)

	if want := pemFingerprint(t, certFile); got != want {
		t.Errorf("Fingerprint = %s, want %s", got, want)
	}
	if len(got) != 32*3-1 {
		t.Errorf("Fingerprint length = %d, want %d", len(got), 32*3-1)
	}

	noLeaf := cert
	noLeaf.Leaf = nil
	if fp := Fingerprint(noLeaf); fp != got {
		t.Errorf("Fingerprint without Leaf = %s, want %s", fp, got)
	}
	if fp := Fingerprint(tls.Certificate{}); fp != "" {
		t.Errorf("Fingerprint of empty certificate = %q, want empty", fp)
	}
}

func TestFingerprintMatchesOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		testreq.Skip(t, "openssl not installed")
	}
	certFile, keyFile := paths(t)
	cert := mustCreate(t, certFile, keyFile, nil)

	out, err := exec.Command(openssl, "x509", "-noout", "-fingerprint", "-sha256", "-in", certFile).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	// Output is "sha256 Fingerprint=AB:CD:..." (the prefix's case varies
	// between OpenSSL versions).
	_, fp, ok := strings.Cut(strings.TrimSpace(string(out)), "=")
	if !ok {
		t.Fatalf("unexpected openssl output %q", out)
	}
	if got := Fingerprint(cert); got != fp {
		t.Errorf("Fingerprint = %s, openssl says %s", got, fp)
	}
}

func TestServerConfig(t *testing.T) {
	certFile, keyFile := paths(t)
	cert := mustCreate(t, certFile, keyFile, nil)

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	}))
	srv.TLS = ServerConfig(cert)
	// The failing cases log handshake errors on the server; keep them out
	// of the test output.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()

	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)

	for _, tc := range []struct {
		name    string
		cfg     *tls.Config
		wantErr bool
	}{
		{"trusted", &tls.Config{RootCAs: pool}, false},
		{"trusted-tls12", &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS12}, false},
		{"untrusted", &tls.Config{}, true},
		{"tls11", &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: tc.cfg}}
			defer client.CloseIdleConnections()
			// httptest listens on 127.0.0.1, which is among the SANs.
			resp, err := client.Get(srv.URL)
			if tc.wantErr {
				if err == nil {
					resp.Body.Close()
					t.Fatal("request succeeded, want TLS error")
				}
				return
			}
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if string(body) != "hello" {
				t.Errorf("body = %q, want hello", body)
			}
			if resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 {
				t.Fatal("no peer certificates")
			}
			if got := Fingerprint(tls.Certificate{Certificate: [][]byte{resp.TLS.PeerCertificates[0].Raw}}); got != Fingerprint(cert) {
				t.Errorf("served fingerprint = %s, want %s", got, Fingerprint(cert))
			}
		})
	}
}

func TestLoadOrCreateErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		// break damages a freshly created pair and returns the path the
		// error must name.
		breakFn func(t *testing.T, certFile, keyFile string) string
	}{
		{"cert missing", func(t *testing.T, certFile, keyFile string) string {
			mustRemove(t, certFile)
			return certFile
		}},
		{"key missing", func(t *testing.T, certFile, keyFile string) string {
			mustRemove(t, keyFile)
			return keyFile
		}},
		{"cert corrupt", func(t *testing.T, certFile, keyFile string) string {
			mustWrite(t, certFile, "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
			return certFile
		}},
		{"cert not PEM", func(t *testing.T, certFile, keyFile string) string {
			mustWrite(t, certFile, "garbage")
			return certFile
		}},
		{"cert DER corrupt", func(t *testing.T, certFile, keyFile string) string {
			mustWrite(t, certFile, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
			return certFile
		}},
		{"key mismatch", func(t *testing.T, certFile, keyFile string) string {
			otherCert, otherKey := paths(t)
			mustCreate(t, otherCert, otherKey, nil)
			data, err := os.ReadFile(otherKey)
			if err != nil {
				t.Fatal(err)
			}
			mustWrite(t, keyFile, string(data))
			return keyFile
		}},
		{"key corrupt", func(t *testing.T, certFile, keyFile string) string {
			mustWrite(t, keyFile, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
			return keyFile
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			certFile, keyFile := paths(t)
			mustCreate(t, certFile, keyFile, nil)
			want := tc.breakFn(t, certFile, keyFile)
			before := snapshot(t, certFile, keyFile)

			_, created, err := LoadOrCreate(certFile, keyFile, nil)
			if err == nil {
				t.Fatal("LoadOrCreate succeeded, want error")
			}
			if created {
				t.Error("created = true on error")
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
			if after := snapshot(t, certFile, keyFile); after != before {
				t.Error("LoadOrCreate modified files on error")
			}
		})
	}
}

func mustRemove(t *testing.T, name string) {
	t.Helper()
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// snapshot returns the contents of the files that exist among names.
func snapshot(t *testing.T, names ...string) string {
	t.Helper()
	var b strings.Builder
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%q;", n, data)
	}
	return b.String()
}
