package store

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestPageTokenStoredHashed(t *testing.T) {
	s, path := openTemp(t)
	var token string
	err := s.Update(func(tx *Tx) error {
		if err := tx.PutMission(japan()); err != nil {
			return err
		}
		var err error
		token, err = tx.NewPageToken("JPN")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(token) != PageTokenLen {
		t.Fatalf("token %q: length %d, want %d", token, len(token), PageTokenLen)
	}
	err = s.View(func(tx *Tx) error {
		if m, err := tx.MissionByPageToken(token); err != nil || m != "JPN" {
			t.Errorf("MissionByPageToken = %q, %v; want JPN", m, err)
		}
		if got, err := tx.PageToken("JPN"); err != nil || got != token {
			t.Errorf("PageToken = %q, %v; want the token issued", got, err)
		}
		for _, guess := range []string{"", strings.Repeat("A", PageTokenLen), token[:PageTokenLen-1] + "x", strings.ToUpper(token)} {
			if guess == token {
				continue
			}
			if _, err := tx.MissionByPageToken(guess); !errors.Is(err, ErrNotFound) {
				t.Errorf("MissionByPageToken(%q) = %v, want ErrNotFound", guess, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(token)) {
		t.Error("the token is written in clear in the store file")
	}
	if !bytes.Contains(raw, []byte(HashPageToken(token))) {
		t.Error("the token's hash is not in the store file")
	}
}

func TestNewPageTokenRevokesTheOld(t *testing.T) {
	s, _ := openTemp(t)
	var first, second string
	err := s.Update(func(tx *Tx) error {
		if err := tx.PutMission(japan()); err != nil {
			return err
		}
		var err error
		if first, err = tx.NewPageToken("JPN"); err != nil {
			return err
		}
		second, err = tx.NewPageToken("JPN")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(func(tx *Tx) error {
		if _, err := tx.MissionByPageToken(first); !errors.Is(err, ErrNotFound) {
			t.Errorf("old token still opens the page: %v", err)
		}
		if m, err := tx.MissionByPageToken(second); err != nil || m != "JPN" {
			t.Errorf("new token: %q, %v", m, err)
		}
		if _, err := tx.PageToken("XXX"); !errors.Is(err, ErrNoPageToken) {
			t.Errorf("PageToken of a mission without one: %v", err)
		}
		return nil
	})
	err = s.Update(func(tx *Tx) error {
		_, err := tx.NewPageToken("XXX")
		return err
	})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("token for an unknown mission: %v", err)
	}
}

func TestPageTokenUnreadableAfterSecretChange(t *testing.T) {
	s, _ := openTemp(t)
	err := s.Update(func(tx *Tx) error {
		if err := tx.PutMission(japan()); err != nil {
			return err
		}
		if _, err := tx.NewPageToken("JPN"); err != nil {
			return err
		}
		return tx.SetSecret(bytes.Repeat([]byte{7}, 32))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(func(tx *Tx) error {
		if _, err := tx.PageToken("JPN"); !errors.Is(err, ErrNoPageToken) {
			t.Errorf("PageToken after the secret changed: %v, want ErrNoPageToken", err)
		}
		return nil
	})
}
