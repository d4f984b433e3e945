package embedded

import (
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// releaseRead tells the kernel that the process is done with the pages of the first size
// bytes of db's file that reading faulted into its mapping. Load reads the whole file once
// and keeps what it needs in the indexes, so the mapped pages would otherwise stay in the
// process's resident set for its life: at 1M entities and 5M relationships, 2.4 GB of a
// nightly report's peak. The pages stay in the page cache, and a later read of a page maps
// it again. Advice only: a failure changes nothing but the resident set.
func releaseRead(db *bolt.DB, size int64) {
	info := db.Info()
	if info == nil || info.Data == 0 || size <= 0 {
		return
	}
	// The raw call takes the mapping's address as it is, with no conversion to a pointer.
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, info.Data, uintptr(size), unix.MADV_DONTNEED)
}
