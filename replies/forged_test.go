package replies

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"outreach"
)

// The forged-reply suite: calendar replies that name a mission's contact
// as ATTENDEE and carry the UID of that mission's invitation, written the
// way Outlook, Gmail, Apple Calendar and Thunderbird write them, but sent
// by someone else — another domain, a look-alike domain, another mission,
// or the mission's own address with a failed DMARC/SPF verdict from our
// receiving server. None may record an answer; each goes to review with a
// reason. The same messages from the mission's own address, unflagged,
// are recorded: the check is on who sent them, not on their shape.

type forgeClient struct {
	name string
	// build returns the message body part(s) and the top-level
	// Content-Type for a calendar part cal and a text comment.
	build func(cal, text string) (contentType, body string)
}

var forgeClients = []forgeClient{
	{"outlook", func(cal, text string) (string, string) {
		b := "_000_forge_outlook_"
		return "multipart/alternative; boundary=\"" + b + "\"",
			"--" + b + "\r\nContent-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(text) +
				"--" + b + "\r\nContent-Type: text/calendar; charset=\"utf-8\"; method=REPLY\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(cal) +
				"--" + b + "--\r\n"
	}},
	{"gmail", func(cal, text string) (string, string) {
		m, a := "000000000000forgemixed", "000000000000forgealt"
		return "multipart/mixed; boundary=\"" + m + "\"",
			"--" + m + "\r\nContent-Type: multipart/alternative; boundary=\"" + a + "\"\r\n\r\n" +
				"--" + a + "\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\n" + text + "\r\n" +
				"--" + a + "\r\nContent-Type: text/calendar; charset=\"UTF-8\"; method=REPLY\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + cal +
				"--" + a + "--\r\n" +
				"--" + m + "\r\nContent-Type: application/ics; name=\"invite.ics\"\r\nContent-Disposition: attachment; filename=\"invite.ics\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(cal) +
				"--" + m + "--\r\n"
	}},
	{"apple", func(cal, text string) (string, string) {
		b := "Apple-Mail=_FORGE-0001"
		return "multipart/alternative; boundary=\"" + b + "\"",
			"--" + b + "\r\nContent-Transfer-Encoding: 7bit\r\nContent-Type: text/plain;\r\n\tcharset=utf-8\r\n\r\n" + text + "\r\n" +
				"--" + b + "\r\nContent-Transfer-Encoding: base64\r\nContent-Type: text/calendar;\r\n\tcharset=utf-8;\r\n\tmethod=REPLY\r\n\r\n" + b64(cal) +
				"--" + b + "--\r\n"
	}},
	{"thunderbird", func(cal, text string) (string, string) {
		b := "------------forgeTB0123456789"
		return "multipart/mixed; boundary=\"" + b + "\"",
			"This is a multi-part message in MIME format.\r\n--" + b + "\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + text + "\r\n" +
				"--" + b + "\r\nContent-Type: text/calendar; charset=UTF-8; method=REPLY\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + cal +
				"--" + b + "\r\nContent-Type: application/ics; name=\"invite.ics\"\r\nContent-Disposition: attachment; filename=\"invite.ics\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(cal) +
				"--" + b + "--\r\n"
	}},
}

func b64(s string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	return b.String() + enc + "\r\n"
}

// forgeTarget is a mission whose calendar answer is forged, in its language.
type forgeTarget struct {
	mission, contact, title, session, partstat, comment string
}

var forgeTargets = []forgeTarget{
	{"JPN", "geneva@jpn.mission.example", "Permanent Mission of Japan", "KOR", "ACCEPTED", "Two delegates will attend."},
	{"FRA", "humanrights@fra.mission.example", "Mission permanente de la France", "GHA", "ACCEPTED", "La Mission participera."},
	{"MEX", "upr@mex.mission.example", "Misión Permanente de México", "PER", "ACCEPTED", "La Misión asistirá."},
	{"BEN", "geneva@ben.mission.example", "Mission permanente du Bénin", "UKR", "DECLINED", "La Mission ne pourra pas participer."},
	{"PER", "geneva@per.mission.example", "Misión Permanente del Perú", "ARG", "TENTATIVE", "Por confirmar."},
}

// forgeSender is who really sent the message, and what our receiving
// server said of it.
type forgeSender struct {
	name   string
	from   func(t forgeTarget) string
	sender string // a Sender header, when set
	auth   string // an Authentication-Results header, when set
	forged bool
}

var forgeSenders = []forgeSender{
	{name: "attacker domain", forged: true, from: func(forgeTarget) string { return "Geneva Desk <calendar@attacker.example>" }},
	{name: "look-alike domain", forged: true, from: func(t forgeTarget) string {
		return t.title + " <geneva@" + strings.ToLower(t.mission) + "-mission.example>"
	}},
	{name: "mission domain as a subdomain of another", forged: true, from: func(t forgeTarget) string {
		return t.title + " <geneva@" + strings.ToLower(t.mission) + ".mission.example.attacker.example>"
	}},
	{name: "another mission's contact", forged: true, from: func(t forgeTarget) string {
		if t.mission == "GBR" {
			return "<geneva@irl.mission.example>"
		}
		return "Permanent Mission of the United Kingdom <upr@gbr.mission.example>"
	}},
	{name: "personal address, display name of the mission", forged: true, from: func(t forgeTarget) string {
		return "\"" + t.title + "\" <" + strings.ToLower(t.mission) + ".geneva.delegate@gmail.example>"
	}},
	{name: "own address, DMARC fail", forged: true, from: func(t forgeTarget) string { return t.title + " <" + t.contact + ">" },
		auth: "mx.presessions.example; dkim=none; spf=softfail smtp.mailfrom=attacker.example; dmarc=fail (p=NONE) header.from=%s"},
	{name: "own address, SPF fail", forged: true, from: func(t forgeTarget) string { return t.title + " <" + t.contact + ">" },
		auth: "mx.presessions.example; spf=fail (sender IP is 192.0.2.66) smtp.mailfrom=%s; dkim=none"},
	{name: "own address, DKIM fail", forged: true, from: func(t forgeTarget) string { return t.title + " <" + t.contact + ">" },
		auth: "mx.presessions.example; dkim=fail (signature did not verify) header.d=%s; spf=none; dmarc=none"},
	{name: "attacker with the mission in Sender", forged: true, from: func(forgeTarget) string { return "<rsvp-bot@attacker.example>" },
		sender: "<relay@attacker.example>"},
	// Genuine: the mission's contact, its domain, or a colleague sending
	// on behalf of the mission's shared address.
	{name: "own contact", from: func(t forgeTarget) string { return t.title + " <" + t.contact + ">" },
		auth: "mx.presessions.example; dkim=pass header.d=%s; spf=pass; dmarc=pass"},
	{name: "colleague at the mission's domain", from: func(t forgeTarget) string {
		return "First Secretary <first.secretary@" + strings.ToLower(t.mission) + ".mission.example>"
	}},
}

func forgedMessage(c forgeClient, t forgeTarget, s forgeSender, i int) []byte {
	prodid := map[string]string{"outlook": "Microsoft Exchange Server 2010", "gmail": "-//Google Inc//Google Calendar 70.9054//EN",
		"apple": "-//Apple Inc.//macOS 13.4//EN", "thunderbird": "-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN"}[c.name]
	cal := strings.Join([]string{"BEGIN:VCALENDAR", "METHOD:REPLY", "PRODID:" + prodid, "VERSION:2.0", "BEGIN:VEVENT",
		"ATTENDEE;PARTSTAT=" + t.partstat + ";CN=\"" + t.title + "\":mailto:" + t.contact,
		"COMMENT:" + t.comment,
		"UID:" + testUID(t.session, t.mission), "DTSTAMP:20170918T091512Z", "SEQUENCE:0",
		"SUMMARY:UPR Pre-session", "END:VEVENT", "END:VCALENDAR"}, "\r\n") + "\r\n"
	ct, body := c.build(cal, t.comment)
	var h strings.Builder
	if s.auth != "" {
		domain := t.contact[strings.IndexByte(t.contact, '@')+1:]
		fmt.Fprintf(&h, "Authentication-Results: "+s.auth+"\r\n", domain)
	}
	h.WriteString("From: " + s.from(t) + "\r\n")
	if s.sender != "" {
		h.WriteString("Sender: " + s.sender + "\r\n")
	}
	h.WriteString("To: UPR Pre-sessions <" + testMailbox + ">\r\n")
	h.WriteString("Subject: Accepted: UPR Pre-session\r\n")
	fmt.Fprintf(&h, "Message-ID: <forge-%d-%s@%s.example>\r\n", i, c.name, strings.ToLower(t.mission))
	h.WriteString("Date: Mon, 18 Sep 2017 09:15:12 +0000\r\nMIME-Version: 1.0\r\nContent-Type: " + ct + "\r\n\r\n")
	return []byte(h.String() + body)
}

func TestForgedCalendarReplies(t *testing.T) {
	forged, genuine := 0, 0
	i := 0
	for _, c := range forgeClients {
		for _, tg := range forgeTargets {
			for _, s := range forgeSenders {
				i++
				raw := forgedMessage(c, tg, s, i)
				r := classifyChecked(t, raw)
				name := c.name + "/" + tg.mission + "/" + s.name
				if s.forged {
					forged++
					if r.Kind != Review || len(r.Sessions) != 0 {
						t.Errorf("%s: %s %v (%s), want review recording nothing", name, r.Kind, r.Sessions, r.Reason)
					}
					continue
				}
				genuine++
				want := partStatus(tg.partstat)
				if r.Kind != RSVP || r.Mission != tg.mission || r.Sessions[tg.session] != want {
					t.Errorf("%s: %s %s %v (%s), want %s %s for %s", name, r.Kind, r.Mission, r.Sessions, r.Reason, tg.mission, want, tg.session)
				}
			}
		}
	}
	t.Logf("%d forged calendar replies went to review, %d genuine ones recorded", forged, genuine)
	if forged < 50 {
		t.Fatalf("the suite has %d forged messages, want at least 50", forged)
	}
}

// TestForgedReplyReason: staff must see why a calendar answer was held.
func TestForgedReplyReason(t *testing.T) {
	tg := forgeTargets[0]
	for _, s := range forgeSenders[:1] {
		r := classifyChecked(t, forgedMessage(forgeClients[0], tg, s, 0))
		if r.Kind != Review || !strings.Contains(r.Reason, "calendar@attacker.example") || !strings.Contains(r.Reason, "forged") {
			t.Fatalf("%s: %s %q, want a reason naming the sender and the risk", s.name, r.Kind, r.Reason)
		}
	}
	_ = outreach.Accepted
}
