package api_test

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"riskgraph/internal/api"
	"riskgraph/internal/service"
)

func TestKeysFiles(t *testing.T) {
	key, err := api.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, api.KeyPrefix) || len(key) < len(api.KeyPrefix)+43 {
		t.Errorf("key %q: want %s and 32 bytes base64url", key, api.KeyPrefix)
	}
	hash := api.HashKey(key)
	good := "# comment\n\n" + api.KeyLine("ci", service.RoleEditor, hash) + "  # trailing comment\n"
	dir := t.TempDir()
	path := filepath.Join(dir, "keys")
	os.WriteFile(path, []byte(good), 0o600)
	other := api.HashKey("rgk_other")
	ks, err := api.LoadKeys(path, api.KeyLine("bot", service.RoleReader, other)+" ; "+api.KeyLine("boss", service.RoleAdmin, api.HashKey("rgk_boss")))
	if err != nil {
		t.Fatal(err)
	}
	if ks.Len() != 3 {
		t.Fatalf("%d keys, want 3", ks.Len())
	}
	if k, ok := ks.Lookup(key); !ok || k.Name != "ci" || k.Role != service.RoleEditor {
		t.Errorf("lookup: %+v %v", k, ok)
	}
	if _, ok := ks.Lookup(hash); ok {
		t.Error("the hash works as a key")
	}
	bad := map[string]string{
		"two fields":     "ci editor",
		"bad role":       "ci root " + hash,
		"short hash":     "ci editor abcd",
		"not hex":        "ci editor " + strings.Repeat("z", 64),
		"bad name":       "c/i editor " + hash,
		"reserved name":  "local editor " + hash,
		"duplicate name": "ci editor " + hash + "\nci reader " + other,
		"duplicate hash": "ci editor " + hash + "\nbot reader " + hash,
	}
	for name, content := range bad {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
			os.WriteFile(p, []byte(content), 0o600)
			_, err := api.LoadKeys(p, "")
			if err == nil {
				t.Fatal("loaded")
			}
			if strings.Contains(err.Error(), hash) {
				t.Errorf("the error repeats the hash: %v", err)
			}
		})
	}
	if _, err := api.LoadKeys(filepath.Join(dir, "missing"), ""); err == nil || !strings.Contains(err.Error(), "keys add") {
		t.Errorf("missing file: %v", err)
	}
	if ks, err := api.LoadKeys("", ""); err != nil || ks.Len() != 0 {
		t.Errorf("no keys: %v %v", ks, err)
	}
}

// Roles through the API: reader queries, editor writes, admin corrects; the service's
// refusals arrive as FORBIDDEN; every write is recorded and logged with the key's name.
func TestKeysAndRoles(t *testing.T) {
	h := newHarness(t, keyed)
	read := `{ entity(id: "vendor:kaspersky-lab") { name } }`
	for _, role := range []service.Role{service.RoleReader, service.RoleEditor, service.RoleAdmin} {
		h.query(t, role, read, nil).mustOK(t)
	}
	write := `mutation Add { upsertEntities(input: [{id: "vendor:by-editor", kind: Vendor, name: "By Editor"}]) { created } }`
	h.query(t, service.RoleReader, write, nil).refused(t, http.StatusForbidden, "FORBIDDEN", "ROLE")
	h.query(t, service.RoleEditor, write, nil).mustOK(t)
	var got struct {
		Entity struct{ Version struct{ RecordedBy string } }
	}
	json.Unmarshal(h.query(t, service.RoleReader, `{ entity(id: "vendor:by-editor") { version { recordedBy } } }`, nil).mustOK(t).gql.Data, &got)
	if got.Entity.Version.RecordedBy != editorName {
		t.Errorf("recorded by %q, want %q", got.Entity.Version.RecordedBy, editorName)
	}
	correct := `mutation { apply(input: {entities: [{id: "vendor:by-editor", kind: Vendor, name: "By Editor, corrected", correction: true,
	  validFrom: "` + "2000-01-01" + `"}]}) { updated } }`
	if a := h.query(t, service.RoleEditor, correct, nil); a.code() != "FORBIDDEN" {
		t.Errorf("an editor's correction: %d %s %+v; want FORBIDDEN from the service", a.status, a.gql.Data, a.gql.Errors)
	}
	h.query(t, service.RoleAdmin, correct, nil).mustOK(t)
	// A reader's mutation is refused whatever the document hides it behind.
	body, _ := json.Marshal(map[string]any{"query": `query Q { __typename } mutation M { retract(ids: ["vendor:by-editor"], on: "2030-01-01") { updated } }`, "operationName": "M"})
	h.send(t, req{ctype: "application/json", auth: "Bearer " + h.keys[service.RoleReader], body: body}).refused(t, http.StatusForbidden, "FORBIDDEN", "ROLE")

	logs := h.logs.String()
	var line string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "msg=mutation") && strings.Contains(l, "operation=Add") && strings.Contains(l, "status=200") {
			line = l
		}
	}
	if line == "" || !strings.Contains(line, "key="+editorName) || !strings.Contains(line, "request_id=") {
		t.Errorf("no mutation log line with the key's name and a request id:\n%s", logs)
	}
	for _, k := range h.keys {
		if strings.Contains(logs, k) {
			t.Error("a key appears in the logs")
		}
	}
	if n := strings.Count(logs, "operation=Add"); n != 2 {
		t.Errorf("the two Add mutations were logged %d times; want once each", n)
	}
	// /metrics asks for a key too; the probes do not.
	h.send(t, req{method: "GET", path: "/metrics"}).refused(t, http.StatusUnauthorized, "UNAUTHENTICATED", "")
	if a := h.send(t, req{method: "GET", path: "/metrics", auth: "Bearer " + h.keys[service.RoleReader]}); a.status != 200 {
		t.Errorf("/metrics with a key: %d", a.status)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if a := h.send(t, req{method: "GET", path: p}); a.status != 200 {
			t.Errorf("%s without a key: %d", p, a.status)
		}
	}
}
