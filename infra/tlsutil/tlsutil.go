// Package tlsutil loads or creates the PCE's serving certificate and builds
// the TLS configuration around it.
//
// A fresh install has no certificate from a public CA, so the PCE makes a
// self-signed one on first start. Agents pin its SHA-256 fingerprint when they
// pair, which is why the fingerprint format matches what openssl prints: an
// operator can compare the two by eye.
package tlsutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// validity is how long a self-signed certificate lasts. One year keeps
// rotation a regular event rather than a forgotten one.
const validity = 365 * 24 * time.Hour

// LoadOrCreate returns the certificate at certFile/keyFile. If both are absent
// it creates a self-signed ECDSA P-256 certificate valid for one year, with
// SANs localhost, 127.0.0.1, ::1, the extraHosts (DNS names or IPs) and
// os.Hostname(), and writes it (key mode 0600, missing directories 0700).
//
// created reports whether a new certificate was made. If exactly one of the
// two files exists, LoadOrCreate returns an error rather than overwriting it:
// a lone key or certificate means something went wrong that a human should
// look at, and silently replacing it would break every pinned agent.
//
// The returned certificate always has Leaf populated.
func LoadOrCreate(certFile, keyFile string, extraHosts []string) (cert tls.Certificate, created bool, err error) {
	certExists, err := exists(certFile)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	keyExists, err := exists(keyFile)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	switch {
	case certExists && keyExists:
		cert, err := load(certFile, keyFile)
		return cert, false, err
	case certExists:
		return tls.Certificate{}, false, fmt.Errorf("certificate %s exists but key %s does not", certFile, keyFile)
	case keyExists:
		return tls.Certificate{}, false, fmt.Errorf("key %s exists but certificate %s does not", keyFile, certFile)
	}

	certPEM, keyPEM, err := generate(hosts(extraHosts), time.Now())
	if err != nil {
		return tls.Certificate{}, false, err
	}
	if err := writeFile(keyFile, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, false, fmt.Errorf("write key: %w", err)
	}
	if err := writeFile(certFile, certPEM, 0o644); err != nil {
		// Do not leave a lone key behind: the next start would refuse it.
		os.Remove(keyFile)
		return tls.Certificate{}, false, fmt.Errorf("write certificate: %w", err)
	}
	cert, err = load(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, false, err
	}
	return cert, true, nil
}

// Fingerprint returns the SHA-256 of the leaf certificate's DER as uppercase
// hex pairs joined by ':', the form `openssl x509 -fingerprint -sha256`
// prints. It returns "" if cert has no certificates.
func Fingerprint(cert tls.Certificate) string {
	var der []byte
	switch {
	case cert.Leaf != nil:
		der = cert.Leaf.Raw
	case len(cert.Certificate) > 0:
		der = cert.Certificate[0]
	default:
		return ""
	}
	sum := sha256.Sum256(der)
	const digits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(sum)*3 - 1)
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&0x0f])
	}
	return b.String()
}

// PublicKeyPin returns the base64 SHA-256 of the leaf certificate's public
// key (its SubjectPublicKeyInfo), the pin `curl --pinnedpubkey sha256//PIN`
// checks: the VEN install line fetches the install script with it. ""
// if cert has no parsable certificate.
func PublicKeyPin(cert tls.Certificate) string {
	leaf := cert.Leaf
	if leaf == nil && len(cert.Certificate) > 0 {
		leaf, _ = x509.ParseCertificate(cert.Certificate[0])
	}
	if leaf == nil {
		return ""
	}
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// ServerConfig returns a *tls.Config that serves cert. TLS 1.2 is the floor
// because older versions are broken; cipher suites and curves are left to the
// standard library, whose defaults are safer than any list we would maintain.
func ServerConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"h2", "http/1.1"},
	}
}

// exists reports whether name exists. Errors other than "not found" (such as
// permission denied) are returned so they are not mistaken for absence, which
// would lead to generating over a file we merely cannot read.
func exists(name string) (bool, error) {
	_, err := os.Stat(name)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("stat %s: %w", name, err)
}

// load reads the key pair and fills Leaf. The certificate is parsed on its
// own first so that an error names the file that is actually broken;
// tls.X509KeyPair's messages name neither.
func load(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("load certificate: %w", err)
	}
	if err := checkCertPEM(certPEM); err != nil {
		return tls.Certificate{}, fmt.Errorf("load certificate %s: %w", certFile, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("load key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("load key %s for certificate %s: %w", keyFile, certFile, err)
	}
	if cert.Leaf == nil { // only with GODEBUG=x509keypairleaf=0
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("load certificate %s: %w", certFile, err)
		}
	}
	return cert, nil
}

// checkCertPEM reports whether data holds a parseable leaf certificate.
func checkCertPEM(data []byte) error {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return errors.New("no CERTIFICATE PEM block")
		}
		if block.Type == "CERTIFICATE" {
			_, err := x509.ParseCertificate(block.Bytes)
			return err
		}
	}
}

// hosts returns the SANs for a new certificate: the loopback names, the
// extra hosts and this machine's hostname, without duplicates or blanks.
func hosts(extra []string) []string {
	all := append([]string{"localhost", "127.0.0.1", "::1"}, extra...)
	if h, err := os.Hostname(); err == nil {
		all = append(all, h)
	}
	seen := make(map[string]bool, len(all))
	out := all[:0]
	for _, h := range all {
		h = strings.TrimSpace(h)
		if h == "" || seen[h] {
			continue
		}
		seen[h] = true
		out = append(out, h)
	}
	return out
}

// generate makes a self-signed certificate for hosts valid from now and
// returns it and its key PEM-encoded.
func generate(hosts []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("generate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"Remora"}, CommonName: hosts[0]},
		// Backdate a little so a client whose clock is slightly behind
		// does not reject a certificate made moments ago.
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// writeFile writes data to name with perm, creating missing parent
// directories 0700. O_EXCL makes it refuse to replace a file that appeared
// since LoadOrCreate looked, so two PCEs starting at once cannot swap each
// other's key out from under a certificate.
func writeFile(name string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create directory %s: %w", dir, err)
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
