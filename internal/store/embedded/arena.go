package embedded

import "unsafe"

// An idArena makes the strings of ids read from the file, many of them short, in shared
// blocks: an id of its own was an object of its own, and opening 5M relationships made 5M
// for the collector to find and mark. Ids are never deleted, so a block lives as long as
// the store holds any id in it, which is as long as the store.
type idArena struct {
	block []byte // bytes after len are free; those before it belong to strings and never change
}

// idArenaBlock is the size of one block.
const idArenaBlock = 1 << 20

// string is a string of b's bytes, which the arena copies.
func (a *idArena) string(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > cap(a.block)-len(a.block) {
		a.block = make([]byte, 0, max(idArenaBlock, len(b)))
	}
	n := len(a.block)
	a.block = append(a.block, b...)
	return unsafe.String(&a.block[n], len(b))
}
