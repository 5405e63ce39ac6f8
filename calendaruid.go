package outreach

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"hash"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// CalendarUID is the UID of mission's copy of session in the round
// numbered round: "pre<round>-<session>-<token>@<domain>", where token is
// 26 base32 characters (130 bits) of HMAC-SHA256 of (round, mission,
// session) under key, a random key kept in the store. It is unique to the
// copy, the same at every re-send, move and restart, and cannot be guessed
// without the key: a calendar reply carrying it was written from the
// invitation that mission received (RFC 5546 §2.1.4 asks only that a UID
// be unique and persistent).
func CalendarUID(key []byte, round int, domain, mission, session string) string {
	u := uidMACs.Get().(*uidMAC)
	defer uidMACs.Put(u)
	if u.h == nil || !bytes.Equal(u.key, key) {
		u.key = append(u.key[:0], key...)
		u.h = hmac.New(sha256.New, u.key)
	} else {
		u.h.Reset()
	}
	u.msg = append(u.msg[:0], "calendar-uid\x00"...)
	u.msg = strconv.AppendInt(u.msg, int64(round), 10)
	u.msg = append(u.msg, '\x00')
	u.msg = append(u.msg, strings.ToUpper(mission)...)
	u.msg = append(u.msg, '\x00')
	u.msg = append(u.msg, strings.ToUpper(session)...)
	u.h.Write(u.msg)
	u.sum = u.h.Sum(u.sum[:0])
	uidEncoding.Encode(u.token[:], u.sum)
	// "pre" + round + "-" + lower(session) + "-" + token + "@" + lower(domain),
	// made in the one string returned.
	var b strings.Builder
	b.Grow(len("pre-") + 20 + len(session) + 1 + 26 + 1 + len(domain))
	b.WriteString("pre")
	b.Write(strconv.AppendInt(u.token[26:26], int64(round), 10))
	b.WriteByte('-')
	writeLower(&b, session)
	b.WriteByte('-')
	b.Write(u.token[:26])
	b.WriteByte('@')
	writeLower(&b, domain)
	return b.String()
}

// writeLower writes strings.ToLower(s) to b, ASCII without a copy of s.
func writeLower(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			b.WriteString(strings.ToLower(s))
			return
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
}

// uidMAC is an HMAC keyed for CalendarUID with its buffers: a message
// carries 14 UIDs under one key, and an HMAC reset to its key starts from
// the state the key left instead of hashing it again.
type uidMAC struct {
	key   []byte
	h     hash.Hash
	msg   []byte
	sum   []byte
	token [52]byte // base32 of the 32-byte sum
}

var uidMACs = sync.Pool{New: func() any { return new(uidMAC) }}

// uidEncoding is base32 (RFC 4648) in lower case, as UIDs are written.
var uidEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ReadableCalendarUID is the UID outreach gave mission's copy of session
// before UIDs were keyed, "pre<round>-<session>-<mission>@<domain>". Anyone
// can write it, so it is used, and a reply carrying it matched, only for
// the copies that already went out with it: a mission's calendar holds
// that UID, and it must not change under it.
func ReadableCalendarUID(round int, domain, mission, session string) string {
	return "pre" + strconv.Itoa(round) + "-" + strings.ToLower(session) + "-" + strings.ToLower(mission) + "@" + strings.ToLower(domain)
}
