// Package pgtest gives each test a database of its own on the real Postgres
// server, so tests and packages run in parallel without seeing each other's
// rows. A missing server fails the test: it is never skipped.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// AdminURL is the connection used to create and drop test databases:
// REMORA_TEST_DATABASE_URL, by default the local server's postgres database.
func AdminURL() string {
	if u := os.Getenv("REMORA_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://localhost:5432/postgres?sslmode=disable"
}

// admin connects to AdminURL or fails the test.
func admin(t testing.TB, ctx context.Context) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("pgtest: Postgres is required (REMORA_TEST_DATABASE_URL=%s): %v", AdminURL(), err)
	}
	return conn
}

// UnusedDatabase returns the URL of a database that does not exist yet, for
// tests of code that creates it; whatever exists under that name is dropped
// when the test ends.
func UnusedDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin(t, ctx).Close(ctx) // fail early and clearly without a server
	b := make([]byte, 6)
	rand.Read(b)
	name := "remora_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn := admin(t, ctx)
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatalf("pgtest: REMORA_TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// NewDatabase creates an empty database, returns its URL, and drops it when
// the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	dbURL := UnusedDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn := admin(t, ctx)
	defer conn.Close(ctx)
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+cfg.Database); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return dbURL
}

// NewPool is NewDatabase plus a pool on it, closed when the test ends.
func NewPool(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	dbURL := NewDatabase(t)
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("pgtest: open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool, dbURL
}
