package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	ucli "github.com/urfave/cli/v3"

	"riskgraph/internal/api"
	"riskgraph/internal/atomicfile"
	"riskgraph/internal/service"
)

// keysFileFlag names the keys file of the keys commands.
func keysFileFlag() ucli.Flag {
	return &ucli.StringFlag{Name: "keys-file", Usage: "the API keys file (hashes only)", Sources: env("keys-file")}
}

func keysCommand() *ucli.Command {
	sub := []*ucli.Command{
		{
			Name:      "add",
			Usage:     "make a new API key, add its hash to the keys file, and print the key (once: it is not stored)",
			ArgsUsage: "NAME ROLE (reader, editor or admin)",
			Description: "The key is printed on standard output and nowhere else; the file keeps only its SHA-256. Roles:\n" +
				"reader runs queries; editor also writes; admin also corrects the past, seeds, imports and prunes.\n" +
				"A running server reads the file when it starts: restart it to accept the new key.",
			Flags:  []ucli.Flag{keysFileFlag()},
			Action: keysAdd,
		},
		{
			Name:   "list",
			Usage:  "list the keys' names and roles (never their hashes)",
			Flags:  []ucli.Flag{keysFileFlag()},
			Action: keysList,
		},
		{
			Name:      "remove",
			Usage:     "remove a key from the keys file (restart the server to refuse it)",
			ArgsUsage: "NAME",
			Flags:     []ucli.Flag{keysFileFlag()},
			Action:    keysRemove,
		},
	}
	for _, c := range sub {
		c.Action = marked(c.Action)
		c.OnUsageError = func(_ context.Context, cmd *ucli.Command, err error, _ bool) error {
			return usagef("%v (run %s --help)", err, cmd.FullName())
		}
	}
	return &ucli.Command{
		Name:     "keys",
		Usage:    "manage the API keys of the server: add, list, remove",
		Commands: sub,
		Action: func(context.Context, *ucli.Command) error {
			return usagef("keys: name what to do: add, list or remove (run riskgraph keys --help)")
		},
	}
}

func keysPath(cmd *ucli.Command) (string, error) {
	p := cmd.String("keys-file")
	if p == "" {
		return "", usagef("keys: name the keys file with --keys-file FILE (or RISKGRAPH_KEYS_FILE)")
	}
	return p, nil
}

// readKeysFile returns the file's content and keys; a file that does not exist is empty.
func readKeysFile(path string) ([]byte, []api.Key, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read keys file: %w", err)
	}
	keys, err := api.ParseKeys(bytes.NewReader(b), "keys file "+path)
	if err != nil {
		return nil, nil, err
	}
	return b, keys, nil
}

const keysFileHeader = "# riskgraph API keys: one line per key, name role sha256-of-the-key.\n" +
	"# Hashes only: the keys themselves are printed once by `riskgraph keys add` and never stored.\n"

func keysAdd(_ context.Context, cmd *ucli.Command) error {
	args := cmd.Args().Slice()
	if len(args) != 2 {
		return usagef("keys add: want NAME ROLE, e.g. riskgraph keys add ci-loader editor --keys-file keys")
	}
	name := args[0]
	if err := api.ValidKeyName(name); err != nil {
		return usageError{err}
	}
	role, err := service.ParseRole(args[1])
	if err != nil {
		return usageError{err}
	}
	path, err := keysPath(cmd)
	if err != nil {
		return err
	}
	old, keys, err := readKeysFile(path)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.Name == name {
			return usagef("keys add: %s already has a key named %q (remove it first to replace it)", path, name)
		}
	}
	key, err := api.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	line := api.KeyLine(name, role, api.HashKey(key)) + "  # added " + time.Now().UTC().Format(time.DateOnly) + "\n"
	mode, hadFile := os.FileMode(0), old != nil
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	err = atomicfile.Write(path, func(w io.Writer) error {
		if !hadFile {
			if _, err := io.WriteString(w, keysFileHeader); err != nil {
				return err
			}
		}
		if len(old) > 0 && old[len(old)-1] != '\n' {
			old = append(old, '\n')
		}
		if _, err := w.Write(old); err != nil {
			return err
		}
		_, err := io.WriteString(w, line)
		return err
	})
	if err != nil {
		return fmt.Errorf("keys add: %w", err)
	}
	if mode != 0 {
		_ = os.Chmod(path, mode) // keep the permissions the file had
	}
	logger(cmd).Info("API key added; it is printed once, below: store it now", "name", name, "role", role.String(), "file", path)
	_, err = fmt.Fprintln(cmd.Root().Writer, key)
	return err
}

func keysList(_ context.Context, cmd *ucli.Command) error {
	path, err := keysPath(cmd)
	if err != nil {
		return err
	}
	old, keys, err := readKeysFile(path)
	if err != nil {
		return err
	}
	if old == nil {
		return fmt.Errorf("keys list: %s does not exist", path)
	}
	tw := tabwriter.NewWriter(cmd.Root().Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\n", k.Name, k.Role)
	}
	return tw.Flush()
}

func keysRemove(_ context.Context, cmd *ucli.Command) error {
	args := cmd.Args().Slice()
	if len(args) != 1 {
		return usagef("keys remove: want NAME")
	}
	path, err := keysPath(cmd)
	if err != nil {
		return err
	}
	old, keys, err := readKeysFile(path)
	if err != nil {
		return err
	}
	found := false
	for _, k := range keys {
		found = found || k.Name == args[0]
	}
	if !found {
		return fmt.Errorf("keys remove: %s has no key named %q", path, args[0])
	}
	var kept bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(old))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		if k, ok, _ := api.ParseKeyLine(sc.Text()); ok && k.Name == args[0] {
			continue
		}
		kept.WriteString(sc.Text() + "\n")
	}
	fi, statErr := os.Stat(path)
	if err := atomicfile.Write(path, func(w io.Writer) error { _, err := w.Write(kept.Bytes()); return err }); err != nil {
		return fmt.Errorf("keys remove: %w", err)
	}
	if statErr == nil {
		_ = os.Chmod(path, fi.Mode().Perm())
	}
	logger(cmd).Info("API key removed", "name", args[0], "file", path)
	return nil
}
