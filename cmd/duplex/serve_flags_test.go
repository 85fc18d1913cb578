package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duplexrt/duplex/websocket"
)

// runServeInBackground runs duplex serve with args until the test ends
// and returns the URL it prints and its log output.
func runServeInBackground(t *testing.T, args ...string) (string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, args, stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("runServe: %v", err)
			}
		case <-time.After(2 * chatTimeout):
			t.Error("runServe did not return after its context ended")
		}
	})
	deadline := time.After(chatTimeout)
	re := regexp.MustCompile(`listening on (\S+)`)
	for {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], stderr
		}
		select {
		case err := <-done:
			t.Fatalf("runServe returned %v before listening; stderr:\n%s", err, stderr.String())
		case <-deadline:
			t.Fatalf("runServe printed no address within %v", chatTimeout)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key,
// and returns their paths and a pool that trusts the certificate.
func writeCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "duplex test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestServeTLSAndJSONLogs(t *testing.T) {
	certFile, keyFile, pool := writeCert(t)
	url, logs := runServeInBackground(t, "--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile, "--log-format", "json")
	if !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("URL %q, want https://127.0.0.1:PORT/", url)
	}
	ctx, cancel := context.WithTimeout(context.Background(), chatTimeout)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "wss"+strings.TrimPrefix(url, "https"), &websocket.DialOptions{
		TLSConfig: &tls.Config{RootCAs: pool},
	})
	if err != nil {
		t.Fatalf("Dial over TLS: %v", err)
	}
	defer c.CloseNow()
	if got := readText(t, c); got != welcomeMessage {
		t.Errorf("got %q, want the welcome", got)
	}
	c.Close(websocket.StatusNormalClosure, "")
	logs.waitFor(t, `"msg":"connection closed"`)
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("log line is not JSON: %q", line)
		}
	}
}

func TestServePortFromEnvironment(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	t.Setenv("PORT", port)
	url, _ := runServeInBackground(t)
	if !strings.HasSuffix(url, ":"+port+"/") {
		t.Errorf("with PORT=%s, serve listens on %s", port, url)
	}
	resp, _ := httpGet(t, "http://127.0.0.1:"+port+"/healthz", nil)
	if resp.StatusCode != 200 {
		t.Errorf("/healthz: %d", resp.StatusCode)
	}
}

func TestServeBadFlags(t *testing.T) {
	certFile, _, _ := writeCert(t)
	for _, args := range [][]string{
		{"--log-format", "xml"},
		{"--log-level", "loud"},
		{"--tls-cert", certFile},
		{"--max-message-size", "0"},
		{"--no-such-flag"},
		{"extra"},
	} {
		var stderr lockedBuffer
		err := runServe(context.Background(), args, &lockedBuffer{}, &stderr)
		if err != errUsage {
			t.Errorf("serve %q: %v, want a usage error", args, err)
		}
		if stderr.String() == "" {
			t.Errorf("serve %q: nothing said on stderr", args)
		}
	}
	t.Setenv("PORT", "http")
	if err := runServe(context.Background(), nil, &lockedBuffer{}, &lockedBuffer{}); err == nil || !strings.Contains(err.Error(), "PORT") {
		t.Errorf("PORT=http: %v, want an error naming PORT", err)
	}
}
