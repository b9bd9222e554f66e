package scheduler

import (
	"crypto/rand"
	"encoding/hex"
)

// uuidSource hands out random version 4 UUIDs in the same form as
// structs.GenerateUUID. It reads crypto/rand 4 KiB at a time and formats
// without fmt: every placement needs an ID, and at 100k+ placements/s the
// per-ID read and Sprintf were a tenth of the scheduler's time. Not safe for
// concurrent use; each scheduler has its own.
type uuidSource struct {
	buf [16 * 256]byte
	off int
}

func (u *uuidSource) next() string {
	if u.off == 0 || u.off >= len(u.buf) {
		rand.Read(u.buf[:]) // never fails: crypto/rand panics instead
		u.off = 0
	}
	b := u.buf[u.off : u.off+16]
	u.off += 16
	b[6] = (b[6] & 0x0f) | 0x40 // version 4
	b[8] = (b[8] & 0x3f) | 0x80 // RFC 4122 variant
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}
