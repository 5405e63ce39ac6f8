package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// A mission's reply page is reached by a link carrying a 128-bit random
// token. The store indexes the token by its SHA-256 hash, so a lookup
// compares hashes, never the token itself. Letters are composed from the
// store when they are sent (a retry carries current data), so the token is
// also kept sealed (AES-GCM under a key derived from the store's secret):
// every letter that carries the link carries the same one.
//
// Keys in the state bucket: page/hash/<hex sha256> → mission id, and
// page/mission/<id> → PageToken.

// PageTokenLen is the length of a reply page token as written in a link:
// 16 random bytes in unpadded base64url.
const PageTokenLen = 22

// PageToken is a mission's reply page token as stored.
type PageToken struct {
	Mission string    `json:"mission"`
	Hash    string    `json:"hash"`   // hex SHA-256 of the token
	Sealed  []byte    `json:"sealed"` // nonce || AES-GCM(token)
	Created time.Time `json:"created"`
}

func pageHashKey(hash string) string       { return "page/hash/" + hash }
func pageMissionKey(mission string) string { return "page/mission/" + mission }

// HashPageToken returns the hex SHA-256 of token, the form the store
// indexes it under.
func HashPageToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// derivedKey returns a key for purpose, derived from the store's secret.
func (t *Tx) derivedKey(purpose string) []byte {
	m := hmac.New(sha256.New, t.Secret())
	m.Write([]byte("outreach/" + purpose))
	return m.Sum(nil)
}

// PageKey returns a key derived from the store's secret for purpose (for
// instance the reply page's CSRF tokens); it changes only with the secret.
func (t *Tx) PageKey(purpose string) []byte { return t.derivedKey("page-key/" + purpose) }

// DerivedKey returns a key derived from the store's secret for purpose,
// distinct from every key the store derives for itself.
func (t *Tx) DerivedKey(purpose string) []byte { return t.derivedKey("key/" + purpose) }

func (t *Tx) pageAEAD() (cipher.AEAD, error) {
	block, err := aes.NewCipher(t.derivedKey("page-token-seal"))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// NewPageToken gives mission a new reply page token, replacing any it had
// (the old link stops working), and returns it.
func (t *Tx) NewPageToken(mission string) (string, error) {
	if _, err := t.Mission(mission); err != nil {
		return "", err
	}
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("store: page token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	aead, err := t.pageAEAD()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := aead.Seal(nonce, nonce, []byte(token), []byte(mission))
	var old PageToken
	if found, err := t.GetState(pageMissionKey(mission), &old); err != nil {
		return "", err
	} else if found {
		if err := t.stateBucket(pageHashKey(old.Hash)).Delete([]byte(pageHashKey(old.Hash))); err != nil {
			return "", err
		}
	}
	pt := PageToken{Mission: mission, Hash: HashPageToken(token), Sealed: sealed, Created: t.now()}
	if err := t.PutState(pageHashKey(pt.Hash), mission); err != nil {
		return "", err
	}
	if err := t.PutState(pageMissionKey(mission), pt); err != nil {
		return "", err
	}
	return token, nil
}

// ErrNoPageToken means the mission has no reply page token (or one that
// can no longer be read, after the store's secret changed).
var ErrNoPageToken = errors.New("store: no reply page token")

// PageToken returns mission's reply page token, for a letter's link.
func (t *Tx) PageToken(mission string) (string, error) {
	var pt PageToken
	found, err := t.GetState(pageMissionKey(mission), &pt)
	if err != nil {
		return "", err
	}
	if !found {
		return "", ErrNoPageToken
	}
	aead, err := t.pageAEAD()
	if err != nil {
		return "", err
	}
	if len(pt.Sealed) < aead.NonceSize() {
		return "", ErrNoPageToken
	}
	n := aead.NonceSize()
	token, err := aead.Open(nil, pt.Sealed[:n], pt.Sealed[n:], []byte(mission))
	if err != nil || HashPageToken(string(token)) != pt.Hash {
		return "", ErrNoPageToken
	}
	return string(token), nil
}

// MissionByPageToken returns the mission whose reply page token is token.
// It looks the token up by its hash and checks the hash held for the
// mission in constant time; any failure is ErrNotFound, whatever its cause.
func (t *Tx) MissionByPageToken(token string) (string, error) {
	hash := HashPageToken(token)
	var mission string
	found, err := t.GetState(pageHashKey(hash), &mission)
	if err != nil || !found {
		return "", ErrNotFound
	}
	var pt PageToken
	if found, err := t.GetState(pageMissionKey(mission), &pt); err != nil || !found {
		return "", ErrNotFound
	}
	if subtle.ConstantTimeCompare([]byte(pt.Hash), []byte(hash)) != 1 {
		return "", ErrNotFound
	}
	return mission, nil
}

// PageState is what a mission last gave on its reply page besides its
// answers: its delegates and a comment.
type PageState struct {
	Delegates []PageDelegate `json:"delegates,omitempty"`
	Comment   string         `json:"comment,omitempty"`
	// Submitted is when the page was last submitted; Submissions counts them.
	Submitted   time.Time `json:"submitted,omitzero"`
	Submissions int       `json:"submissions,omitempty"`
}

// PageDelegate is one delegate named on a reply page.
type PageDelegate struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
}

func pageStateKey(mission string) string { return "page/state/" + mission }

// PageState returns what mission last gave on its reply page.
func (t *Tx) PageState(mission string) (PageState, error) {
	var ps PageState
	_, err := t.GetState(pageStateKey(mission), &ps)
	return ps, err
}

// PutPageState records what mission gave on its reply page.
func (t *Tx) PutPageState(mission string, ps PageState) error {
	return t.PutState(pageStateKey(mission), ps)
}

func copySequenceKey(mission, session string) string {
	return "page/sequence/" + mission + "/" + session
}

// CopySequence returns how far mission's own copy of session has been
// revised beyond the session's SEQUENCE: each cancellation of the copy
// alone (the mission gave the session up) and each request sent again
// after one adds one, so every client takes the newer message for newer.
func (t *Tx) CopySequence(mission, session string) int {
	var n int
	if found, err := t.GetState(copySequenceKey(mission, session), &n); err != nil || !found {
		return 0
	}
	return n
}

// BumpCopySequence adds one to mission's copy of session (see
// CopySequence) and returns the new value.
func (t *Tx) BumpCopySequence(mission, session string) (int, error) {
	n := t.CopySequence(mission, session) + 1
	return n, t.PutState(copySequenceKey(mission, session), n)
}
