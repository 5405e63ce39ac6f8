package demo

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strconv"
	"strings"
)

// A simulated mission reads outreach's messages with the standard
// library's MIME reader (net/mail, mime/multipart) and the few lines of
// iCalendar below, deliberately not with outreach's own reader: a mission's
// client is not outreach, and a message only outreach could read would not
// be noticed otherwise.

// received is what a simulated mission reads in a message from outreach.
type received struct {
	MessageID, Subject, ReplyTo, From string
	To                                []string
	// Text is the first plain-text body.
	Text      string
	Calendars []calObject
}

// calObject is one iCalendar object of a received message.
type calObject struct {
	Method string
	// Attached is true for a .ics attachment, false for an inline part.
	Attached bool
	Events   []calEvent
}

// calEvent holds the properties of a VEVENT a calendar client keeps.
type calEvent struct {
	UID, Summary, Location, Status string
	DTStart, DTEnd                 string // the raw values, e.g. 20171010T100000
	Sequence                       int
	Attendee, AttendeeCN           string
	Organizer                      string
}

func readReceived(raw []byte) (received, error) {
	var r received
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return r, err
	}
	dec := new(mime.WordDecoder)
	r.Subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
	r.MessageID = strings.TrimSpace(msg.Header.Get("Message-Id"))
	if a, err := mail.ParseAddress(msg.Header.Get("Reply-To")); err == nil {
		r.ReplyTo = a.Address
	}
	if a, err := mail.ParseAddress(msg.Header.Get("From")); err == nil {
		r.From = a.Address
	}
	if as, err := msg.Header.AddressList("To"); err == nil {
		for _, a := range as {
			r.To = append(r.To, a.Address)
		}
	}
	err = walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"),
		msg.Header.Get("Content-Disposition"), msg.Body, &r, 0)
	return r, err
}

func walk(ctype, cte, disp string, body io.Reader, r *received, depth int) error {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") && depth < 8 {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"),
				p.Header.Get("Content-Disposition"), p, r, depth+1); err != nil {
				return err
			}
		}
	}
	isText := mt == "text/plain" && r.Text == "" && !strings.HasPrefix(strings.ToLower(strings.TrimSpace(disp)), "attachment")
	if mt != "text/calendar" && mt != "application/ics" && !isText {
		return nil
	}
	var rd io.Reader = body
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		rd = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		rd = quotedprintable.NewReader(body)
	}
	data, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	if isText {
		r.Text = string(data)
		return nil
	}
	obj := parseCalendar(data)
	obj.Attached = strings.HasPrefix(strings.ToLower(strings.TrimSpace(disp)), "attachment")
	r.Calendars = append(r.Calendars, obj)
	return nil
}

// parseCalendar reads the few properties a simulated client needs from an
// iCalendar object outreach wrote (unfolded, unescaped).
func parseCalendar(data []byte) calObject {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.ReplaceAll(text, "\n ", "")
	var obj calObject
	var ev *calEvent
	inTZ := false
	for _, line := range strings.Split(text, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		prop, params, _ := strings.Cut(name, ";")
		prop = strings.ToUpper(prop)
		switch {
		case prop == "BEGIN" && value == "VTIMEZONE":
			inTZ = true
		case prop == "END" && value == "VTIMEZONE":
			inTZ = false
		case inTZ:
		case prop == "METHOD":
			obj.Method = value
		case prop == "BEGIN" && value == "VEVENT":
			obj.Events = append(obj.Events, calEvent{})
			ev = &obj.Events[len(obj.Events)-1]
		case prop == "END" && value == "VEVENT":
			ev = nil
		case ev == nil:
		case prop == "UID":
			ev.UID = value
		case prop == "SUMMARY":
			ev.Summary = unescape(value)
		case prop == "LOCATION":
			ev.Location = unescape(value)
		case prop == "STATUS":
			ev.Status = value
		case prop == "DTSTART":
			ev.DTStart = value
		case prop == "DTEND":
			ev.DTEnd = value
		case prop == "SEQUENCE":
			ev.Sequence, _ = strconv.Atoi(value)
		case prop == "ORGANIZER":
			ev.Organizer = strings.TrimPrefix(strings.ToLower(value), "mailto:")
		case prop == "ATTENDEE":
			ev.Attendee = strings.TrimPrefix(strings.ToLower(value), "mailto:")
			for _, p := range splitParams(params) {
				if k, v, ok := strings.Cut(p, "="); ok && strings.EqualFold(k, "CN") {
					ev.AttendeeCN = strings.Trim(v, `"`)
				}
			}
		}
	}
	return obj
}

func splitParams(s string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case r == ';' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func unescape(s string) string {
	r := strings.NewReplacer(`\n`, "\n", `\N`, "\n", `\,`, ",", `\;`, ";", `\\`, `\`)
	return r.Replace(s)
}

func escapeText(s string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`)
	return r.Replace(s)
}
