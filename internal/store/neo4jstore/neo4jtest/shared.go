package neo4jtest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

// shared is the one server a test binary starts on first use.
var shared struct {
	once    sync.Once
	srv     *Server
	uri     string
	err     error
	elapsed time.Duration
}

// Required reports whether a missing server must fail the tests (CI=true or
// RISKGRAPH_TEST_NEO4J=required) rather than skip them.
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv(EnvMode) == "required"
}

// URI returns the Bolt URI of the test binary's shared server, starting it on first use
// (or RISKGRAPH_TEST_NEO4J_URI when set). When no server can be had it skips t, or fails it
// when Required.
func URI(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() {
		if uri := os.Getenv(EnvURI); uri != "" {
			shared.uri = uri
			return
		}
		began := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute) // a first Maven build downloads jars
		defer cancel()
		shared.srv, shared.err = Start(ctx, Options{})
		shared.elapsed = time.Since(began)
		if shared.err == nil {
			shared.uri = shared.srv.URI()
		}
	})
	if shared.err != nil {
		Unavailable(t, shared.err)
	}
	return shared.uri
}

// StartupTime is how long the shared server took to start (zero when it was not started here).
func StartupTime() time.Duration { return shared.elapsed }

// Unavailable skips t loudly because no Neo4j could be had, or fails it when Required.
func Unavailable(t testing.TB, err error) {
	t.Helper()
	if Required() {
		t.Fatalf("a real Neo4j is required (CI=true or %s=required) but: %v", EnvMode, err)
	}
	msg := fmt.Sprintf("!!! NEO4J TESTS SKIPPED: no Neo4j test server (%v). Install Java 17 and Maven, or set %s; set %s=required to fail instead.", err, EnvURI, EnvMode)
	fmt.Fprintln(os.Stderr, msg)
	t.Skip(msg)
}

// Main runs a package's tests and then stops the shared server, if one was started.
// Call it from TestMain: func TestMain(m *testing.M) { neo4jtest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}
