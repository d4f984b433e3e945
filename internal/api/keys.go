package api

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"riskgraph/internal/service"
	"riskgraph/internal/store"
)

// KeyPrefix starts every API key riskgraph makes, so that a key pasted where it should not
// be is easy to recognise and to scan for.
const KeyPrefix = "rgk_"

// keyBytes is how much randomness a key carries.
const keyBytes = 32

// Key is one API key as the server knows it: a name, a role and the SHA-256 of the key.
// The key itself is never stored: a keys file holds only hashes.
type Key struct {
	Name string
	Role service.Role
	Hash [sha256.Size]byte
}

// Keys is the set of API keys the server accepts. The zero value and nil hold none, which
// is local mode: no key is asked for and every caller may do everything.
type Keys struct {
	list []Key
	// compare is subtle.ConstantTimeCompare; tests count its calls.
	compare func(a, b []byte) int
}

// NewKeys returns the set of the keys given, refusing two keys with one name or one hash.
func NewKeys(keys ...Key) (*Keys, error) {
	names := map[string]bool{}
	hashes := map[[sha256.Size]byte]string{}
	for _, k := range keys {
		if err := ValidKeyName(k.Name); err != nil {
			return nil, err
		}
		if k.Role < service.RoleReader || k.Role > service.RoleAdmin {
			return nil, fmt.Errorf("key %q: no such role %v", k.Name, k.Role)
		}
		if names[k.Name] {
			return nil, fmt.Errorf("two keys are named %q", k.Name)
		}
		if other, ok := hashes[k.Hash]; ok {
			return nil, fmt.Errorf("keys %q and %q have the same hash", other, k.Name)
		}
		names[k.Name] = true
		hashes[k.Hash] = k.Name
	}
	return &Keys{list: keys, compare: subtle.ConstantTimeCompare}, nil
}

// Len is the number of keys; 0 means local mode.
func (k *Keys) Len() int {
	if k == nil {
		return 0
	}
	return len(k.list)
}

// List returns the keys (names, roles and hashes) in the order they were given.
func (k *Keys) List() []Key {
	if k == nil {
		return nil
	}
	return append([]Key(nil), k.list...)
}

// Lookup returns the key whose hash is the SHA-256 of presented. It compares the hash with
// every entry in constant time and scans them all whether or not one matched, so that the
// time taken says nothing about which key, or how much of one, was right.
func (k *Keys) Lookup(presented string) (Key, bool) {
	if k.Len() == 0 {
		return Key{}, false
	}
	sum := sha256.Sum256([]byte(presented))
	found := -1
	for i := range k.list {
		eq := k.compare(sum[:], k.list[i].Hash[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return Key{}, false
	}
	return k.list[found], true
}

var keyName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// ValidKeyName reports whether name can name a key: 1 to 64 letters, digits, '.', '_', '@'
// or '-', starting with a letter or digit. store.DefaultWriter is reserved for local writes.
func ValidKeyName(name string) error {
	if !keyName.MatchString(name) {
		return fmt.Errorf("key name %q: want 1 to 64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit", name)
	}
	if name == store.DefaultWriter {
		return fmt.Errorf("key name %q is reserved for writes made on this machine without a key", name)
	}
	return nil
}

// GenerateKey returns a new random key: KeyPrefix and 32 bytes from random, base64url.
func GenerateKey(random io.Reader) (string, error) {
	b := make([]byte, keyBytes)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	return KeyPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// HashKey is the SHA-256 of a key in lower-case hex, as keys files hold it. Keys are 256
// random bits, so a plain hash (no salt, no slow function) cannot be reversed.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// KeyLine is the keys-file line of a key: its name, role and hash.
func KeyLine(name string, role service.Role, hash string) string {
	return name + " " + role.String() + " " + hash
}

// ParseKeyLine reads one keys-file line (name, role, SHA-256 hex, separated by spaces or
// tabs; a '#' starts a comment). ok is false for blank and comment-only lines.
func ParseKeyLine(line string) (k Key, ok bool, err error) {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return Key{}, false, nil
	}
	if len(f) != 3 {
		return Key{}, false, fmt.Errorf("want: name role sha256-hex; found %d fields", len(f))
	}
	if err := ValidKeyName(f[0]); err != nil {
		return Key{}, false, err
	}
	role, err := service.ParseRole(f[1])
	if err != nil {
		return Key{}, false, fmt.Errorf("key %q: %w", f[0], err)
	}
	h, err := hex.DecodeString(strings.ToLower(f[2]))
	if err != nil || len(h) != sha256.Size {
		return Key{}, false, fmt.Errorf("key %q: the hash must be 64 hex digits (the SHA-256 of the key; riskgraph keys add writes it)", f[0])
	}
	k = Key{Name: f[0], Role: role}
	copy(k.Hash[:], h)
	return k, true, nil
}

// ParseKeys reads keys-file lines. source names them in errors, with the line number; no
// error repeats a line's hash.
func ParseKeys(r io.Reader, source string) ([]Key, error) {
	var keys []Key
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		k, ok, err := ParseKeyLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", source, n, err)
		}
		if ok {
			keys = append(keys, k)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", source, err)
	}
	return keys, nil
}

// LoadKeys reads the keys of a keys file (none when path is empty) and of env, key lines
// separated by ';' or newlines (as RISKGRAPH_KEYS holds them).
func LoadKeys(path, env string) (*Keys, error) {
	var all []Key
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("keys file %s does not exist (riskgraph keys add NAME ROLE --keys-file %s makes it)", path, path)
			}
			return nil, fmt.Errorf("open keys file: %w", err)
		}
		defer f.Close()
		keys, err := ParseKeys(f, "keys file "+path)
		if err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("keys file %s holds no key", path)
		}
		all = append(all, keys...)
	}
	if strings.TrimSpace(env) != "" {
		keys, err := ParseKeys(strings.NewReader(strings.ReplaceAll(env, ";", "\n")), "RISKGRAPH_KEYS entry")
		if err != nil {
			return nil, err
		}
		all = append(all, keys...)
	}
	return NewKeys(all...)
}
