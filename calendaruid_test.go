package outreach

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// calendarUIDOnce is CalendarUID as it was written at first, with an HMAC
// made for each UID: the reference the reused HMAC must give.
func calendarUIDOnce(key []byte, round int, domain, mission, session string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("calendar-uid\x00" + strconv.Itoa(round) + "\x00" + strings.ToUpper(mission) + "\x00" + strings.ToUpper(session)))
	token := uidEncoding.EncodeToString(m.Sum(nil))[:26]
	return "pre" + strconv.Itoa(round) + "-" + strings.ToLower(session) + "-" + token + "@" + strings.ToLower(domain)
}

// TestCalendarUIDReusedHMAC: UIDs made under several keys, in turn and
// concurrently, are those of an HMAC made for each.
func TestCalendarUIDReusedHMAC(t *testing.T) {
	keys := [][]byte{[]byte("0123456789abcdef0123456789abcdef"), []byte("another key"), {}, []byte(strings.Repeat("k", 100))}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				key := keys[(i+w)%len(keys)]
				mission, session := fmt.Sprintf("m%03d", i), []string{"JPN", "civ", "Nld", "TÜR", "İTA"}[i%5]
				domain := []string{"Presessions.example", "ÉCOLE.example", "x.org"}[i%3]
				if got, want := CalendarUID(key, 28+i%2, domain, mission, session), calendarUIDOnce(key, 28+i%2, domain, mission, session); got != want {
					t.Errorf("%q %s %s: %s, want %s", key, mission, session, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}
