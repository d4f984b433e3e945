package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"riskgraph/internal/api"
	"riskgraph/internal/service"
)

func TestKeysCommands(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	key := strings.TrimSpace(runOK(t, "keys", "add", "ci-loader", "editor", "--keys-file", path))
	if !strings.HasPrefix(key, api.KeyPrefix) || strings.Contains(key, "\n") {
		t.Fatalf("keys add printed %q; want one key", key)
	}
	admin := strings.TrimSpace(runOK(t, "keys", "add", "--keys-file", path, "boss", "admin"))
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(file), key) || strings.Contains(string(file), admin) || !strings.Contains(string(file), api.HashKey(key)) {
		t.Fatalf("the keys file holds a key, or not its hash:\n%s", file)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("a new keys file has mode %v; want it private", fi.Mode())
	}
	ks, err := api.LoadKeys(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := ks.Lookup(key); !ok || k.Name != "ci-loader" || k.Role != service.RoleEditor {
		t.Errorf("the printed key does not open the file: %+v %v", k, ok)
	}
	if k, ok := ks.Lookup(admin); !ok || k.Role != service.RoleAdmin {
		t.Errorf("the admin key: %+v %v", k, ok)
	}
	// A file's mode is kept (one a container user must read can stay 0644: it holds hashes only).
	os.Chmod(path, 0o644)
	runOK(t, "keys", "add", "ana", "reader", "--keys-file", path)
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode after add: %v, want 0644", fi.Mode())
	}
	list := runOK(t, "keys", "list", "--keys-file", path)
	for _, want := range []string{"ci-loader", "editor", "boss", "admin", "ana", "reader"} {
		if !strings.Contains(list, want) {
			t.Errorf("keys list does not show %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, api.HashKey(key)) {
		t.Error("keys list shows a hash")
	}
	for _, args := range [][]string{
		{"keys", "add", "ci-loader", "reader", "--keys-file", path}, // the name is taken
		{"keys", "add", "x", "root", "--keys-file", path},
		{"keys", "add", "bad name", "reader", "--keys-file", path},
		{"keys", "add", "local", "reader", "--keys-file", path},
		{"keys", "add", "x", "reader"}, // no file
		{"keys", "add", "x", "--keys-file", path},
		{"keys"},
	} {
		if _, stderr, code := run(t, args...); code != ExitUsage {
			t.Errorf("%v: exit %d (%s), want %d", args, code, stderr, ExitUsage)
		}
	}
	runOK(t, "keys", "remove", "ci-loader", "--keys-file", path)
	ks, err = api.LoadKeys(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ks.Lookup(key); ok || ks.Len() != 2 {
		t.Errorf("after remove: %d keys, the removed one opens: %v", ks.Len(), ok)
	}
	if _, _, code := run(t, "keys", "remove", "ci-loader", "--keys-file", path); code != ExitError {
		t.Errorf("removing a missing key: exit %d, want %d", code, ExitError)
	}
	// RISKGRAPH_KEYS_FILE names the file too.
	t.Setenv("RISKGRAPH_KEYS_FILE", path)
	if !strings.Contains(runOK(t, "keys", "list"), "boss") {
		t.Error("keys list with RISKGRAPH_KEYS_FILE")
	}
}
