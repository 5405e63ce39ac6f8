package message

import (
	"fmt"
	"strings"
	"time"
)

func zurich() *time.Location {
	loc, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		return time.FixedZone("CEST", 2*3600)
	}
	return loc
}

// sampleICS is a small METHOD:REQUEST calendar for one session, CRLF lines.
func sampleICS(method, sur, uid string, start time.Time) []byte {
	lines := []string{
		"BEGIN:VCALENDAR",
		"VERSION:2.0",
		"PRODID:-//UPR Pre-sessions//outreach//EN",
		"METHOD:" + method,
		"BEGIN:VEVENT",
		"UID:" + uid,
		"DTSTAMP:20170901T080000Z",
		"SEQUENCE:0",
		"DTSTART:" + start.UTC().Format("20060102T150405Z"),
		"DTEND:" + start.Add(time.Hour).UTC().Format("20060102T150405Z"),
		"SUMMARY:Pre-session on " + sur,
		"LOCATION:Salle XXIII\\, Palais des Nations",
		"ORGANIZER;CN=\"Pre-session Secretariat\":mailto:rsvp@invites.example.org",
		"ATTENDEE;CN=\"Permanent Mission of Côte d'Ivoire\";ROLE=REQ-PARTICIPANT;",
		" PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:mission.ci@mfa.example",
		"STATUS:CONFIRMED",
		"END:VEVENT",
		"END:VCALENDAR",
	}
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

// presessions28 are the States under Review of the 28th UPR session.
var presessions28 = []string{
	"Argentina", "Benin", "Czechia", "Gabon", "Ghana", "Guatemala", "Japan",
	"Pakistan", "Peru", "Republic of Korea", "Sri Lanka", "Switzerland",
	"Ukraine", "Zambia",
}

// invitation is an invitation-shaped message: text and HTML in the
// mission's language, one .ics per session.
func invitation(id int) *Message {
	loc := zurich()
	m := &Message{
		MessageID: fmt.Sprintf("<inv.r28.CIV.%d@invites.example.org>", id),
		From:      Address{Name: "Secrétariat des pré-sessions", Email: "rsvp@invites.example.org"},
		To: []Address{
			{Name: "Mission permanente de la Côte d'Ivoire", Email: "mission.ci@mfa.example"},
			{Name: "Korea, Republic of \"Geneva\"", Email: "geneva@mofa.example"},
		},
		ReplyTo:      &Address{Name: "UPR Pre-sessions", Email: "rsvp+civ@invites.example.org"},
		Subject:      "Invitation : pré-sessions de l'EPU, 28e session (Genève, 10–13 octobre 2017)",
		Date:         time.Date(2017, 9, 1, 10, 0, 0, 0, loc),
		EnvelopeFrom: "bounce+civ@invites.example.org",
		Headers: [][2]string{
			{"X-Auto-Response-Suppress", "OOF, AutoReply"},
			{"X-Outreach-Kind", "invitation"},
		},
		Text: "Excellence,\n\nLa Mission permanente est invitée aux pré-sessions de l'Examen " +
			"périodique universel (EPU), du 10 au 13 octobre 2017 au Palais des Nations.\n" +
			".Une ligne qui commence par un point.\n.\n" +
			strings.Repeat("Ligne longue sans retour à la ligne pour éprouver le quoted-printable. ", 4) + "\n",
		HTML: "<!DOCTYPE html><html><body><p>Excellence,</p><p>La Mission permanente est invitée " +
			"aux <b>pré-sessions</b> de l'EPU.</p><table>" + strings.Repeat("<tr><td>Japon</td><td>10:00–11:00</td></tr>", 3) +
			"</table></body></html>\n",
	}
	start := time.Date(2017, 10, 10, 9, 0, 0, 0, loc)
	for i, sur := range presessions28 {
		m.Attachments = append(m.Attachments, Attachment{
			Filename:    sur + ".ics",
			ContentType: "text/calendar; charset=UTF-8; method=REQUEST",
			Data:        sampleICS("REQUEST", sur, fmt.Sprintf("r28-%02d-civ@invites.example.org", i), start.Add(time.Duration(i)*time.Hour)),
		})
	}
	return m
}
