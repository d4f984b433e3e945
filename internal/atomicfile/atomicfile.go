// Package atomicfile owns writing a file so that it is either wholly there or not changed:
// the content goes to a temporary file beside the target, which is synced, renamed over the
// target, and the directory synced, so that neither a failed write nor a crash leaves half a
// file under the name a reader opens.
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Write makes path hold what write writes, atomically. On any error the previous content
// of path (or its absence) is left as it was.
func Write(path string, write func(io.Writer) error) error {
	s, err := Stage(path, write)
	if err != nil {
		return err
	}
	return s.Commit()
}

// Staged is content written and synced beside its target, not yet under the target's name.
type Staged struct {
	path, tmp string
}

// Stage writes what write writes to a synced temporary file beside path and leaves path as
// it was; Commit then puts the content under path, or Discard drops it. Staging several files
// before committing any lets a caller give up on all of them when one cannot be written.
func Stage(path string, write func(io.Writer) error) (_ *Staged, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	if err := write(w); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("close %s: %w", path, err)
	}
	return &Staged{path: path, tmp: tmp.Name()}, nil
}

// Commit renames the staged content over its target and syncs the directory. On an error
// the target is as it was and the staged file is gone.
func (s *Staged) Commit() error {
	tmp := s.tmp
	s.tmp = ""
	if err := os.Rename(tmp, s.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rename into %s: %w", s.path, err)
	}
	// The rename is durable once the directory entry is.
	d, err := os.Open(filepath.Dir(s.path))
	if err != nil {
		return fmt.Errorf("sync directory of %s: %w", s.path, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory of %s: %w", s.path, err)
	}
	return nil
}

// Discard removes the staged content, unless it was committed; the target is left as it was.
func (s *Staged) Discard() {
	if s.tmp != "" {
		os.Remove(s.tmp)
		s.tmp = ""
	}
}
