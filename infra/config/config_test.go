package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, env map[string]string, args ...string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return Load(fs, args, func(k string) string { return env[k] })
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil, "--dev")
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://localhost:5432/remora?sslmode=disable" || c.RedisURL != "redis://localhost:6379/0" || c.HTTPAddr != ":8080" ||
		c.EventRetention != 90*24*time.Hour {
		t.Errorf("defaults: %+v", c)
	}
}

func TestFlagOverridesEnv(t *testing.T) {
	c, err := load(t, map[string]string{"REMORA_HTTP_ADDR": ":9000", "REMORA_DEV": "true"}, "--http-addr", "127.0.0.1:9001")
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:9001" || !c.Dev {
		t.Errorf("got %+v", c)
	}
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"short secret", map[string]string{"REMORA_JWT_SECRET": "short"}, "at least 32 bytes"},
		{"database scheme", map[string]string{"REMORA_DEV": "1", "REMORA_DATABASE_URL": "mysql://x/y"}, "REMORA_DATABASE_URL: want postgres://"},
		{"redis url", map[string]string{"REMORA_DEV": "1", "REMORA_REDIS_URL": "localhost:6379"}, "REMORA_REDIS_URL"},
		{"http addr", map[string]string{"REMORA_DEV": "1", "REMORA_HTTP_ADDR": "8080"}, "REMORA_HTTP_ADDR"},
		{"tls half", map[string]string{"REMORA_DEV": "1", "REMORA_TLS_CERT": "/x.pem"}, "set both or neither"},
		{"log level", map[string]string{"REMORA_DEV": "1", "REMORA_LOG_LEVEL": "loud"}, "REMORA_LOG_LEVEL"},
		{"dev bool", map[string]string{"REMORA_DEV": "maybe"}, "REMORA_DEV"},
		{"rate window", map[string]string{"REMORA_DEV": "1", "REMORA_RATE_WINDOW": "-1s"}, "REMORA_RATE_WINDOW"},
		{"rate count", map[string]string{"REMORA_DEV": "1", "REMORA_RATE_PER_ACCOUNT": "0"}, "REMORA_RATE_PER_ACCOUNT"},
		{"event retention", map[string]string{"REMORA_DEV": "1", "REMORA_EVENT_RETENTION": "90d"}, "REMORA_EVENT_RETENTION"},
		{"event retention short", map[string]string{"REMORA_DEV": "1", "REMORA_EVENT_RETENTION": "10m"}, "REMORA_EVENT_RETENTION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestEnsureJWTSecretPersists(t *testing.T) {
	dir := t.TempDir()
	c := Config{Dev: true, DataDir: dir}
	if err := c.EnsureJWTSecret(); err != nil {
		t.Fatal(err)
	}
	c2 := Config{Dev: true, DataDir: dir}
	if err := c2.EnsureJWTSecret(); err != nil {
		t.Fatal(err)
	}
	if c.JWTSecret == "" || c.JWTSecret != c2.JWTSecret {
		t.Fatalf("secret not persisted: %q vs %q", c.JWTSecret, c2.JWTSecret)
	}
	st, err := os.Stat(filepath.Join(dir, "jwt-secret"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode: %v %v", st, err)
	}
	if err := (&Config{DataDir: dir}).EnsureJWTSecret(); err == nil {
		t.Fatal("outside dev mode a missing secret must be an error")
	}
}

// TestREADMEListsEverySetting: the README's configuration table names
// each setting with its flag and default, so operators find them all.
func TestREADMEListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range Env {
		for _, want := range []string{"`" + e.Name + "`", "`--" + e.Flag + "`"} {
			if !strings.Contains(string(readme), want) {
				t.Errorf("README.md does not mention %s", want)
			}
		}
	}
}
