package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `rsvp classify --explain` shows staff why: the sentence behind each
// session's answer, and what was not read (the signature, a quoted
// message); a control character in the sentence never reaches the terminal.
func TestClassifyExplain(t *testing.T) {
	dir, cfg := demoDir(t)
	msg := "From: Sarah Thompson <geneva@can.mission.example>\r\n" +
		"To: rsvp@presessions.example\r\n" +
		"Subject: Re: UPR Pre-sessions\r\n" +
		"Message-ID: <explain-1@can.mission.example>\r\n" +
		"Date: Thu, 21 Sep 2017 10:12:00 +0200\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Good morning,\r\n\r\n" +
		"Canada will attend all the pre-sessions except the one on Ukraine \x1b[31m.\r\n\r\n" +
		"Kind regards,\r\nSarah Thompson\r\n-- \r\nPermanent Mission of Canada\r\n\r\n" +
		"On 18 Sep 2017, UPR Pre-sessions <rsvp@presessions.example> wrote:\r\n" +
		"> We will not attend Japan.\r\n"
	eml := filepath.Join(dir, "reply.eml")
	if err := os.WriteFile(eml, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "--config", cfg, "rsvp", "classify", eml, "--explain")
	for _, want := range []string{
		"  UKR: declined\n      because (the sender's own text): \"Canada will attend all the pre-sessions except the one on Ukraine [31m.\"",
		"  JPN: accepted\n      because (the sender's own text): \"Canada will attend all",
		"set aside: quoted or forwarded text, headers of earlier messages and the signature (",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--explain does not show %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("--explain prints a raw escape character:\n%q", out)
	}
	if plain := mustRun(t, "--config", cfg, "rsvp", "classify", eml); strings.Contains(plain, "because") || strings.Contains(plain, "set aside") {
		t.Errorf("without --explain the reading is explained anyway:\n%s", plain)
	}

	var j classifyJSON
	if err := json.Unmarshal([]byte(mustRun(t, "--config", cfg, "rsvp", "classify", eml, "--explain", "--json")), &j); err != nil {
		t.Fatal(err)
	}
	if len(j.Sessions) != 14 || len(j.Because) != 14 || j.Because["UKR"][0].Zone != "the sender's own text" || len(j.SetAside) != 1 {
		t.Errorf("--explain --json: %d sessions, because %v, set aside %v", len(j.Sessions), j.Because, j.SetAside)
	}
}

// `--store FILE status` on a copy, without the configuration: a header
// from the store's own round record, each session's room, and missions
// not yet invited apart from those that have not answered.
func TestStatusOfAStoreCopy(t *testing.T) {
	dir, cfg := demoDir(t)
	mustRun(t, "--config", cfg, "rsvp", "set", "FRA", "ARG", "accepted")
	cp := filepath.Join(dir, "copy.db")
	mustRun(t, "--config", cfg, "backup", cp)
	out := mustRun(t, "--store", cp, "status")
	for _, want := range []string{
		"UPR Pre-sessions: 28th UPR Working Group session (2017-10-10 to 2017-10-13)\n",
		"ROOM", "Room XXIV", "NO ANSWER  NOT INVITED",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status of a copy does not show %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "0001-01-01") {
		t.Errorf("status of a copy shows a zero date:\n%s", out)
	}
}
