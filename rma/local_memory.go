package rma

import (
	"sync/atomic"
	"unsafe"
)

// LoadLocal atomically reads the 8-byte word at offset of a rank's own
// segment (as returned by Window.Local). The offset must be 8-byte aligned and
// inside mem; callers validate it once, not per load.
func LoadLocal(mem []byte, offset int) uint64 {
	return atomic.LoadUint64(localWord(mem, offset))
}

// StoreLocal atomically writes the 8-byte word at offset of a rank's own
// segment. Only the owner may use it, and only before other ranks can reach
// the word (initialisation) or on words no remote operation touches.
func StoreLocal(mem []byte, offset int, value uint64) {
	atomic.StoreUint64(localWord(mem, offset), value)
}

func localWord(mem []byte, offset int) *uint64 {
	return (*uint64)(unsafe.Pointer(&mem[offset]))
}
