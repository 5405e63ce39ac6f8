package outreach

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"strings"
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
	m := hmac.New(sha256.New, key)
	m.Write([]byte("calendar-uid\x00" + strconv.Itoa(round) + "\x00" + strings.ToUpper(mission) + "\x00" + strings.ToUpper(session)))
	token := uidEncoding.EncodeToString(m.Sum(nil))[:26]
	return "pre" + strconv.Itoa(round) + "-" + strings.ToLower(session) + "-" + token + "@" + strings.ToLower(domain)
}

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
