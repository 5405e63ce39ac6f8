package jobs

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"outreach"
	"outreach/ical"
	"outreach/ical/icaltest"
	"outreach/internal/imaptest"
	"outreach/internal/smtptest"
	"outreach/mailer/inbox"
	"outreach/store"
)

// The organiser mailbox of the 28th round, as the IMAP account intake reads.
const (
	organiserLogin    = "rsvp@presessions.example"
	organiserPassword = "Palais-des-Nations-28!"
)

// intakeFolders are where intake files messages in these tests.
var intakeFolders = Folders{Processed: "processed", Review: "review", Bounces: "bounces"}

// memIMAP is an imapmemserver on loopback holding the organiser mailbox.
type memIMAP struct {
	addr string
	srv  *imaptest.Server
}

// startMemIMAP runs an in-memory IMAP4rev2 server (MOVE, UIDPLUS) on
// 127.0.0.1 with an empty INBOX.
func startMemIMAP(t *testing.T) *memIMAP {
	t.Helper()
	srv := imaptest.Start(t, organiserLogin, organiserPassword)
	return &memIMAP{addr: srv.Addr, srv: srv}
}

// dial logs another client in, as a mail client would.
func (s *memIMAP) dial(t *testing.T) *imapclient.Client {
	t.Helper()
	c, err := s.srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// deliver appends each message to INBOX, as the MTA delivering it would.
func (s *memIMAP) deliver(t *testing.T, msgs ...[]byte) {
	t.Helper()
	for _, raw := range msgs {
		if _, err := s.srv.Append("INBOX", raw); err != nil {
			t.Fatal(err)
		}
	}
}

// serverMessage is a message as it sits on the IMAP server.
type serverMessage struct {
	UID   imap.UID
	Flags []imap.Flag
	Raw   []byte
}

func (m serverMessage) messageID() string {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		return ""
	}
	return msg.Header.Get("Message-ID")
}

// mailbox lists a mailbox's messages without changing their flags; a
// mailbox that does not exist is empty.
func (s *memIMAP) mailbox(t *testing.T, name string) []serverMessage {
	t.Helper()
	c := s.dial(t)
	defer c.Close()
	return listMailbox(t, c, name)
}

func listMailbox(t *testing.T, c *imapclient.Client, name string) []serverMessage {
	t.Helper()
	sel, err := c.Select(name, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo {
			return nil
		}
		t.Fatalf("examine %s: %v", name, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	bufs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{
		UID: true, Flags: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatalf("fetch %s: %v", name, err)
	}
	var out []serverMessage
	for _, b := range bufs {
		out = append(out, serverMessage{UID: b.UID, Flags: b.Flags, Raw: b.FindBodySection(&imap.FetchItemBodySection{})})
	}
	slices.SortFunc(out, func(a, b serverMessage) int { return int(a.UID) - int(b.UID) })
	return out
}

func messageIDsOf(ms []serverMessage) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.messageID())
	}
	slices.Sort(ids)
	return ids
}

// intakeWatcher is the watcher `outreach inbox sync` runs: plain text on
// loopback, the organiser's INBOX, the intake folders.
func intakeWatcher(t *testing.T, addr string, h inbox.Handler) *inbox.Watcher {
	t.Helper()
	w, err := inbox.NewWatcher(inbox.Options{
		Addr:           addr,
		TLS:            inbox.Plain,
		Username:       organiserLogin,
		Password:       organiserPassword,
		Folders:        []string{intakeFolders.Processed, intakeFolders.Review, intakeFolders.Bounces},
		CommandTimeout: 20 * time.Second,
		Backoff:        func(int) time.Duration { return 10 * time.Millisecond },
	}, h)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// syncInbox reads everything new once, as `outreach inbox sync` does.
func (f *fixture) syncInbox(addr string) inbox.Stats {
	f.t.Helper()
	st, err := intakeWatcher(f.t, addr, f.e.Intake("INBOX", intakeFolders)).SyncOnce(context.Background())
	if err != nil {
		f.t.Fatalf("inbox sync: %v", err)
	}
	return st
}

// inviteAndFlush invites the missions named and sends the invitations.
func (f *fixture) inviteAndFlush(missions ...string) {
	f.t.Helper()
	for _, m := range missions {
		if _, err := f.e.Invite(m, "test"); err != nil {
			f.t.Fatal(err)
		}
	}
	rep, err := f.e.Flush(context.Background(), 0)
	if err != nil {
		f.t.Fatal(err)
	}
	if rep.Sent != len(missions) || rep.Failed != 0 {
		f.t.Fatalf("flush of %d invitations: %+v", len(missions), rep)
	}
}

// flushAll sends whatever is due and returns what the SMTP server received
// in this flush.
func (f *fixture) flushAll() []smtptest.Message {
	f.t.Helper()
	before := f.smtp.Count()
	if _, err := f.e.Flush(context.Background(), 0); err != nil {
		f.t.Fatal(err)
	}
	return f.smtp.Messages()[before:]
}

func (f *fixture) rsvp(mission, session string) outreach.RSVP {
	f.t.Helper()
	var r outreach.RSVP
	if err := f.st.View(func(tx *store.Tx) error {
		var err error
		r, err = tx.RSVP(mission, session)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *fixture) history(mission, session string) []outreach.RSVP {
	f.t.Helper()
	var h []outreach.RSVP
	if err := f.st.View(func(tx *store.Tx) error {
		var err error
		h, err = tx.History(mission, session)
		return err
	}); err != nil {
		f.t.Fatal(err)
	}
	return h
}

// allHistory returns every recorded answer of every mission.
func (f *fixture) allHistory() []outreach.RSVP {
	f.t.Helper()
	ms, err := f.e.Missions()
	if err != nil {
		f.t.Fatal(err)
	}
	var out []outreach.RSVP
	for _, m := range ms {
		out = append(out, f.history(m.ID, "")...)
	}
	return out
}

func (f *fixture) status() Status {
	f.t.Helper()
	st, err := f.e.Status()
	if err != nil {
		f.t.Fatal(err)
	}
	return st
}

func tallyOf(st Status, sur string) outreach.SessionTally {
	for _, t := range st.Sessions {
		if t.SuR == sur {
			return t
		}
	}
	return outreach.SessionTally{}
}

func (f *fixture) openReviews() []outreach.ReviewItem {
	f.t.Helper()
	items, err := f.e.Reviews(outreach.ReviewOpen)
	if err != nil {
		f.t.Fatal(err)
	}
	return items
}

// pendingOutbox lists the messages waiting to be sent.
func (f *fixture) pendingOutbox() []outreach.OutboxItem {
	f.t.Helper()
	items, err := f.e.Outbox()
	if err != nil {
		f.t.Fatal(err)
	}
	var out []outreach.OutboxItem
	for _, it := range items {
		if it.State.Pending() {
			out = append(out, it)
		}
	}
	return out
}

func (f *fixture) replyAddress(mission string) string {
	f.t.Helper()
	var addr string
	f.st.View(func(tx *store.Tx) error {
		addr = f.e.ReplyAddress(tx, mission)
		return nil
	})
	return addr
}

// --- replies written the way clients and people write them ---

// windowsZone is the VTIMEZONE Outlook and Exchange put in replies: a
// Windows zone name, not an IANA one.
const windowsZone = "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\n" +
	"TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n" +
	"BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n" +
	"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"

// outlookAnswer is an iMIP message as Outlook/Exchange sends it when the
// attendee clicks Accept, Decline, Tentative or Propose New Time: a
// multipart/alternative whose calendar part is base64, METHOD REPLY or
// COUNTER, no ORGANIZER, Windows time-zone names.
type outlookAnswer struct {
	from, name string // attendee address and display name
	uid        string
	method     string // REPLY or COUNTER
	partStat   string
	sequence   int
	dtstamp    time.Time
	start      string // DTSTART local time in W. Europe, e.g. 20171011T140000
	messageID  string
	comment    string
	// noDTStamp leaves DTSTAMP out, as Exchange sometimes does; dtstamp is
	// then only the message's Date.
	noDTStamp bool
}

func (a outlookAnswer) raw() []byte {
	verb := map[string]string{"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentative"}[a.partStat]
	if a.method == "COUNTER" {
		verb = "New Time Proposed"
	}
	subject := verb + ": UPR Pre-session"
	start := a.start
	if start == "" {
		start = "20171010T140000"
	}
	st, _ := time.Parse("20060102T150405", start)
	var ics strings.Builder
	ics.WriteString("BEGIN:VCALENDAR\r\nMETHOD:" + a.method + "\r\nPRODID:Microsoft Exchange Server 2010\r\nVERSION:2.0\r\n")
	ics.WriteString(windowsZone)
	ics.WriteString("BEGIN:VEVENT\r\n")
	fmt.Fprintf(&ics, "ATTENDEE;PARTSTAT=%s;CN=%s:mailto:%s\r\n", a.partStat, a.name, a.from)
	if a.comment != "" {
		fmt.Fprintf(&ics, "COMMENT;LANGUAGE=en-US:%s\r\n", a.comment)
	}
	fmt.Fprintf(&ics, "SUMMARY;LANGUAGE=en-US:%s\r\n", subject)
	fmt.Fprintf(&ics, "DTSTART;TZID=W. Europe Standard Time:%s\r\n", start)
	fmt.Fprintf(&ics, "DTEND;TZID=W. Europe Standard Time:%s\r\n", st.Add(time.Hour).Format("20060102T150405"))
	fmt.Fprintf(&ics, "UID:%s\r\n", a.uid)
	ics.WriteString("CLASS:PUBLIC\r\nPRIORITY:5\r\n")
	if !a.noDTStamp {
		fmt.Fprintf(&ics, "DTSTAMP:%s\r\n", a.dtstamp.UTC().Format("20060102T150405Z"))
	}
	fmt.Fprintf(&ics, "TRANSP:OPAQUE\r\nSEQUENCE:%d\r\nX-MICROSOFT-CDO-APPT-SEQUENCE:%d\r\n", a.sequence, a.sequence)
	ics.WriteString("X-MICROSOFT-CDO-OWNERAPPTID:-1203950837\r\nX-MICROSOFT-CDO-REPLYTIME:" + a.dtstamp.UTC().Format("20060102T150405Z") + "\r\n")
	ics.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")

	var b strings.Builder
	fmt.Fprintf(&b, "From: %s <%s>\r\n", a.name, a.from)
	fmt.Fprintf(&b, "To: UPR Pre-sessions <%s>\r\n", organiserLogin)
	fmt.Fprintf(&b, "Subject: %s\r\n", subject)
	fmt.Fprintf(&b, "Thread-Topic: UPR Pre-session\r\nThread-Index: AdMmCzfGm1a2c3Rq9kS0bW9xR1Yw==\r\n")
	fmt.Fprintf(&b, "Date: %s\r\n", a.dtstamp.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: %s\r\n", a.messageID)
	b.WriteString("Content-Language: en-US\r\nX-MS-Has-Attach:\r\nX-MS-TNEF-Correlator:\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/alternative;\r\n\tboundary=\"_000_AM6PR0702MB35_\"\r\n\r\n")
	b.WriteString("--_000_AM6PR0702MB35_\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	b.WriteString(a.comment + "\r\n\r\n")
	b.WriteString("--_000_AM6PR0702MB35_\r\nContent-Type: text/calendar; charset=\"utf-8\"; method=" + a.method + "\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(ics.String()))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n\r\n--_000_AM6PR0702MB35_--\r\n")
	return []byte(b.String())
}

// letter is a plain e-mail written by a person.
type letter struct {
	from, name string
	to         string
	subject    string
	messageID  string
	inReplyTo  string
	date       time.Time
	body       string
	headers    []string
}

func (l letter) raw() []byte {
	var b strings.Builder
	if l.name != "" {
		fmt.Fprintf(&b, "From: %s <%s>\r\n", mime.QEncoding.Encode("utf-8", l.name), l.from)
	} else {
		fmt.Fprintf(&b, "From: %s\r\n", l.from)
	}
	to := l.to
	if to == "" {
		to = organiserLogin
	}
	fmt.Fprintf(&b, "To: %s\r\n", to)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", l.subject))
	fmt.Fprintf(&b, "Date: %s\r\n", l.date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: %s\r\n", l.messageID)
	if l.inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: %s\r\nReferences: %s\r\n", l.inReplyTo, l.inReplyTo)
	}
	for _, h := range l.headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	w.Write([]byte(strings.ReplaceAll(l.body, "\n", "\r\n")))
	w.Close()
	b.Write(qp.Bytes())
	b.WriteString("\r\n")
	return []byte(b.String())
}

// postfixBounce is the DSN Postfix returns when the mission's server
// refuses one of our messages (RFC 3464, the original's headers only).
func postfixBounce(recipient, originalID, messageID string, at time.Time) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: MAILER-DAEMON@mx.presessions.example (Mail Delivery System)\r\n")
	fmt.Fprintf(&b, "To: %s\r\n", organiserLogin)
	fmt.Fprintf(&b, "Subject: Undelivered Mail Returned to Sender\r\n")
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: %s\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n", at.Format(time.RFC1123Z), messageID)
	b.WriteString("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"8A1F43E0C2.1504512345/mx.presessions.example\"\r\n\r\n")
	b.WriteString("This is a MIME-encapsulated message.\r\n\r\n")
	b.WriteString("--8A1F43E0C2.1504512345/mx.presessions.example\r\nContent-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
	b.WriteString("This is the mail system at host mx.presessions.example.\r\n\r\nI'm sorry to have to inform you that your message could not\r\n")
	b.WriteString("be delivered to one or more recipients. It's attached below.\r\n\r\n")
	fmt.Fprintf(&b, "<%s>: host mx.%s said: 550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox table\r\n\r\n", recipient, domainPart(recipient), recipient)
	b.WriteString("--8A1F43E0C2.1504512345/mx.presessions.example\r\nContent-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n")
	b.WriteString("Reporting-MTA: dns; mx.presessions.example\r\nX-Postfix-Queue-ID: 8A1F43E0C2\r\nArrival-Date: " + at.Add(-time.Minute).Format(time.RFC1123Z) + "\r\n\r\n")
	fmt.Fprintf(&b, "Final-Recipient: rfc822; %s\r\nOriginal-Recipient: rfc822;%s\r\nAction: failed\r\nStatus: 5.1.1\r\n", recipient, recipient)
	fmt.Fprintf(&b, "Remote-MTA: dns; mx.%s\r\nDiagnostic-Code: smtp; 550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox table\r\n\r\n", domainPart(recipient), recipient)
	b.WriteString("--8A1F43E0C2.1504512345/mx.presessions.example\r\nContent-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers\r\n\r\n")
	fmt.Fprintf(&b, "From: UPR Pre-sessions <%s>\r\nTo: %s\r\nSubject: UPR Pre-sessions: 28th UPR Working Group session\r\n", organiserLogin, recipient)
	fmt.Fprintf(&b, "Message-ID: %s\r\nDate: %s\r\n\r\n", originalID, at.Add(-2*time.Minute).Format(time.RFC1123Z))
	b.WriteString("--8A1F43E0C2.1504512345/mx.presessions.example--\r\n")
	return []byte(b.String())
}

func domainPart(addr string) string {
	_, d, _ := strings.Cut(addr, "@")
	return d
}

// exchangeOOO is an Exchange out-of-office notice.
func exchangeOOO(from, name, messageID string, at time.Time) []byte {
	return letter{from: from, name: name, subject: "Automatic reply: UPR Pre-sessions: 28th UPR Working Group session",
		messageID: messageID, date: at,
		headers: []string{"Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All", "X-MS-Exchange-Inbox-Rules-Loop: " + from},
		body:    "I am out of the office until 18 September with limited access to e-mail.\nFor urgent matters, please contact the Mission's general line.\n"}.raw()
}

// --- reading what outreach sent ---

// mimePart is one leaf of a sent message.
type mimePart struct {
	contentType string
	params      map[string]string
	parent      string // media type of the enclosing multipart
	data        []byte // decoded
}

// leafParts walks a message and returns its decoded leaves.
func leafParts(t *testing.T, raw []byte) (*mail.Message, []mimePart) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out []mimePart
	var walk func(h map[string][]string, body io.Reader, parent string)
	walk = func(h map[string][]string, body io.Reader, parent string) {
		ct := "text/plain"
		if v := h["Content-Type"]; len(v) > 0 {
			ct = v[0]
		}
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header, p, mt)
			}
		}
		data, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		cte := ""
		if v := h["Content-Transfer-Encoding"]; len(v) > 0 {
			cte = strings.ToLower(strings.TrimSpace(v[0]))
		}
		switch cte {
		case "base64":
			data, err = io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(bytes.Map(func(r rune) rune {
				if r == '\r' || r == '\n' {
					return -1
				}
				return r
			}, data))))
		case "quoted-printable":
			data, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(data)))
		}
		if err != nil {
			t.Fatalf("decode %s part: %v", cte, err)
		}
		out = append(out, mimePart{contentType: mt, params: params, parent: parent, data: data})
	}
	walk(msg.Header, msg.Body, "")
	return msg, out
}

// calendarPart returns the one text/calendar part of a message that is not
// an attachment, and fails the test unless there is exactly one.
func calendarPart(t *testing.T, raw []byte) (*mail.Message, mimePart, ical.Reply) {
	t.Helper()
	msg, parts := leafParts(t, raw)
	var cals []mimePart
	for _, p := range parts {
		if p.contentType == "text/calendar" {
			cals = append(cals, p)
		}
	}
	if len(cals) != 1 {
		t.Fatalf("message %s has %d calendar parts, want 1", msg.Header.Get("Message-ID"), len(cals))
	}
	evs, err := ical.ParseReplies(cals[0].data)
	if err != nil || len(evs) != 1 {
		t.Fatalf("calendar part: %d events, %v\n%s", len(evs), err, cals[0].data)
	}
	return msg, cals[0], evs[0]
}

// invitationUID returns the UID of the calendar attachment for session in
// the invitation the mission received.
func invitationUID(t *testing.T, raw []byte, session string, e *Engine) string {
	t.Helper()
	_, parts := leafParts(t, raw)
	want := fmt.Sprintf("pre%d-%s-", e.event.UPRSession, strings.ToLower(session))
	for _, p := range parts {
		if p.contentType != "text/calendar" {
			continue
		}
		evs, err := ical.ParseReplies(p.data)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if strings.HasPrefix(ev.UID, want) {
				return ev.UID
			}
		}
	}
	t.Fatalf("no calendar attachment for %s in the invitation", session)
	return ""
}

// icsValue returns the value of the first property name in an unfolded
// iCalendar object, or "".
func icsValue(data []byte, name string) string {
	unfolded := strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n ", ""), "\r\n\t", "")
	for _, line := range strings.Split(unfolded, "\r\n") {
		head, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		prop, _, _ := strings.Cut(head, ";")
		if strings.EqualFold(prop, name) {
			return value
		}
	}
	return ""
}

func decodedSubject(t *testing.T, msg *mail.Message) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sentTo returns the messages received for any address of mission.
func sentTo(msgs []smtptest.Message, m outreach.Mission) []smtptest.Message {
	var out []smtptest.Message
	for _, msg := range msgs {
		for _, c := range m.Contacts {
			if slices.Contains(msg.To, c.Email) {
				out = append(out, msg)
				break
			}
		}
	}
	return out
}

// The way missions answer, as delivered to the organiser mailbox after
// the invitations went out.
type intakeScene struct {
	outlookAccept, frenchLetter, decline, ooo, bounce, counter, stranger []byte
}

func (f *fixture) scene() intakeScene {
	f.t.Helper()
	at := f.clock.Now().Add(2 * time.Hour)
	var s intakeScene
	s.outlookAccept = outlookAnswer{from: "geneva@aut.mission.example", name: "Permanent Mission of Austria",
		uid: f.e.UID("AUT", "JPN"), method: "REPLY", partStat: "ACCEPTED", dtstamp: at,
		messageID: "<AM6PR0702MB3541A1@AM6PR0702MB3541.eurprd07.prod.outlook.com>"}.raw()
	s.frenchLetter = letter{from: "j.dupont@diplomatie-belge.example", name: "Jean Dupont",
		to: "Pré-sessions EPU <" + f.replyAddress("BEL") + ">", subject: "RE: Pré-sessions de l'EPU",
		messageID: "<5a1b2c3d.1@diplomatie-belge.example>", date: at.Add(time.Minute),
		body: "Madame, Monsieur,\n\n" +
			"La Mission permanente de la Belgique présente ses compliments et a l'honneur de confirmer sa participation " +
			"aux pré-sessions sur le Bénin et sur la République tchèque.\n\n" +
			"Veuillez agréer, Madame, Monsieur, l'assurance de notre haute considération.\n\nJean Dupont\nPremier secrétaire\n\n" +
			"Le 4 sept. 2017 à 09:00, Pré-sessions EPU <" + f.replyAddress("BEL") + "> a écrit :\n" +
			"> La Mission permanente est invitée à toutes les pré-sessions : Argentine, Bénin, Tchéquie, Gabon, Ghana,\n" +
			"> Guatemala, Japon, Pakistan, Pérou, République de Corée, Sri Lanka, Suisse, Ukraine, Zambie.\n"}.raw()
	s.decline = letter{from: "geneva@per.mission.example", name: "Misión Permanente del Perú",
		subject: "RE: Pre-sesiones del EPU", messageID: "<CAF=per.1@mail.per.mission.example>",
		inReplyTo: f.item(invitationKey("PER")).MessageID, date: at.Add(2 * time.Minute),
		body: "Estimados señores:\n\nLa Misión Permanente del Perú lamenta informar que no podrá asistir a la pre-sesión sobre Ucrania.\n\nAtentamente,\nMisión Permanente del Perú\n"}.raw()
	s.ooo = exchangeOOO("geneva@alb.mission.example", "Permanent Mission of Albania", "<ooo.alb.1@alb.mission.example>", at.Add(3*time.Minute))
	s.bounce = postfixBounce("geneva@afg.mission.example", f.item(invitationKey("AFG")).MessageID, "<20170904091500.8A1F43E0C2@mx.presessions.example>", at.Add(4*time.Minute))
	s.counter = outlookAnswer{from: "geneva@kor.mission.example", name: "Permanent Mission of the Republic of Korea",
		uid: f.e.UID("KOR", "JPN"), method: "COUNTER", partStat: "TENTATIVE", dtstamp: at.Add(5 * time.Minute),
		start: "20171011T160000", messageID: "<SL2P216MB0123@SL2P216MB0123.KORP216.PROD.OUTLOOK.COM>"}.raw()
	s.stranger = letter{from: "events@ngo-watch.example", name: "NGO Watch", subject: "Pre-session on Japan",
		messageID: "<stranger.1@ngo-watch.example>", date: at.Add(6 * time.Minute),
		body: "Dear colleagues,\n\nWe will attend the pre-session on Japan.\n\nBest regards,\nNGO Watch\n"}.raw()
	return s
}

var sceneMissions = []string{"AUT", "BEL", "PER", "ALB", "AFG", "KOR"}

// Every kind of answer arrives in the organiser mailbox; one sync records
// each as staff then see it in `outreach status`, `sessions show` and
// `review list`, files every message, deletes none, and answers only the
// letter that needs a calendar request.
func TestIntakeRecordsEveryKindOfReply(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush(sceneMissions...)
	srv := startMemIMAP(t)
	sc := f.scene()
	all := [][]byte{sc.outlookAccept, sc.frenchLetter, sc.decline, sc.ooo, sc.bounce, sc.counter, sc.stranger}
	srv.deliver(t, all...)

	st := f.syncInbox(srv.addr)
	if st.Fetched != 7 || st.Filed != 7 || st.LastUID != 7 {
		t.Fatalf("sync: %+v, want 7 fetched and filed, last UID 7", st)
	}

	checkSceneAnswersRecorded(t, f)
	checkSceneStatus(t, f)
	checkSceneReviewItems(t, f)
	checkSceneSessionJPN(t, f)
	checkSceneFiledOnServer(t, f, srv, sc)

	// Only the letter is answered: a confirmation per session accepted, to
	// Belgium, and one summary of its answers; nothing to the
	// out-of-office, the decline or the bounce.
	sent := f.flushAll()
	bel, _ := f.e.Mission("BEL")
	if len(sent) != 3 || len(sentTo(sent, bel)) != 3 {
		var to [][]string
		for _, m := range sent {
			to = append(to, m.To)
		}
		t.Fatalf("after intake %d messages went out to %v, want 2 confirmations and a summary to Belgium", len(sent), to)
	}

	// A second sync finds nothing new.
	if again := f.syncInbox(srv.addr); again.Fetched != 0 {
		t.Errorf("second sync fetched %d", again.Fetched)
	}
}

// checkSceneAnswersRecorded: the recorded answers, each pointing at the
// message it came from, and no others.
func checkSceneAnswersRecorded(t *testing.T, f *fixture) {
	t.Helper()
	check := func(mission, session string, want outreach.Status, kind outreach.SourceKind, msgID string) {
		t.Helper()
		r := f.rsvp(mission, session)
		if r.Status != want || r.Source.Kind != kind || r.Source.MessageID != msgID {
			t.Errorf("%s/%s: %v from %s %q, want %v from %s %q", mission, session, r.Status, r.Source.Kind, r.Source.MessageID, want, kind, msgID)
		}
	}
	check("AUT", "JPN", outreach.Accepted, outreach.FromCalendar, "<AM6PR0702MB3541A1@AM6PR0702MB3541.eurprd07.prod.outlook.com>")
	check("BEL", "BEN", outreach.Accepted, outreach.FromEmail, "<5a1b2c3d.1@diplomatie-belge.example>")
	check("BEL", "CZE", outreach.Accepted, outreach.FromEmail, "<5a1b2c3d.1@diplomatie-belge.example>")
	check("PER", "UKR", outreach.Declined, outreach.FromEmail, "<CAF=per.1@mail.per.mission.example>")
	if h := f.allHistory(); len(h) != 4 {
		t.Errorf("history holds %d answers, want 4: %+v", len(h), h)
	}
	for _, m := range []string{"ALB", "KOR", "AFG"} {
		if h := f.history(m, ""); len(h) != 0 {
			t.Errorf("%s: answers recorded %+v, want none", m, h)
		}
	}
}

// checkSceneStatus: outreach status gives the tallies, the bounce and the
// review count.
func checkSceneStatus(t *testing.T, f *fixture) {
	t.Helper()
	status := f.status()
	for sur, want := range map[string][3]int{"JPN": {1, 0, 0}, "BEN": {1, 0, 0}, "CZE": {1, 0, 0}, "UKR": {0, 1, 0}, "ARG": {0, 0, 0}} {
		tl := tallyOf(status, sur)
		if got := [3]int{tl.Accepted, tl.Declined, tl.Tentative}; got != want || tl.Invited != len(sceneMissions) {
			t.Errorf("status %s: accepted/declined/tentative %v invited %d, want %v invited %d", sur, got, tl.Invited, want, len(sceneMissions))
		}
	}
	if !slices.Equal(status.Coverage.Unreachable, []string{"AFG"}) {
		t.Errorf("universality report: unreachable %v, want [AFG]", status.Coverage.Unreachable)
	}
	for _, d := range status.Missions {
		if d.Mission == "AFG" && !slices.Equal(d.Bounced, []string{"geneva@afg.mission.example"}) {
			t.Errorf("status AFG bounced %v", d.Bounced)
		}
	}
	afg, _ := f.e.Mission("AFG")
	if c := afg.Contacts[0]; !c.Undeliverable || !strings.Contains(c.Bounce, "5.1.1") {
		t.Errorf("AFG contact after the bounce: %+v", c)
	}
	if status.Review != 2 {
		t.Errorf("status: %d open review items, want 2", status.Review)
	}
}

// checkSceneReviewItems: outreach review list holds the COUNTER and the
// stranger, with reasons; the COUNTER records nothing.
func checkSceneReviewItems(t *testing.T, f *fixture) {
	t.Helper()
	items := f.openReviews()
	reasons := map[string]outreach.ReviewItem{}
	for _, it := range items {
		reasons[it.MessageID] = it
	}
	counter := reasons["<SL2P216MB0123@SL2P216MB0123.KORP216.PROD.OUTLOOK.COM>"]
	if counter.Mission != "KOR" || !strings.Contains(counter.Reason, "new time") {
		t.Errorf("COUNTER review item: %+v", counter)
	}
	stranger := reasons["<stranger.1@ngo-watch.example>"]
	if stranger.Mission != "" || !strings.Contains(stranger.Reason, "unknown sender") || stranger.From != "events@ngo-watch.example" {
		t.Errorf("stranger review item: %+v", stranger)
	}
	if r := f.rsvp("KOR", "JPN"); r.Status != outreach.None {
		t.Errorf("a COUNTER recorded %v for KOR/JPN", r.Status)
	}
}

// checkSceneSessionJPN: outreach sessions show JPN.
func checkSceneSessionJPN(t *testing.T, f *fixture) {
	t.Helper()
	d, err := f.e.SessionDetail("JPN")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range d.Missions {
		switch line.Mission {
		case "AUT":
			if line.Status != "accepted" || line.Source != "calendar" || line.Sent != 0 {
				t.Errorf("sessions show JPN, AUT: %+v", line)
			}
		case "KOR", "ALB":
			if line.Status != "none" || line.Sent != 0 {
				t.Errorf("sessions show JPN, %s: %+v", line.Mission, line)
			}
		case "FRA":
			if line.Sent != -1 {
				t.Errorf("sessions show JPN, FRA was never invited: %+v", line)
			}
		}
	}
}

// checkSceneFiledOnServer: on the server every message is filed by kind,
// none deleted, INBOX empty, and the checkpoint is at the last UID.
func checkSceneFiledOnServer(t *testing.T, f *fixture, srv *memIMAP, sc intakeScene) {
	t.Helper()
	wantFolders := map[string][][]byte{
		"processed": {sc.outlookAccept, sc.frenchLetter, sc.decline, sc.ooo},
		"review":    {sc.counter, sc.stranger},
		"bounces":   {sc.bounce},
	}
	for folder, want := range wantFolders {
		var ids []string
		for _, raw := range want {
			ids = append(ids, serverMessage{Raw: raw}.messageID())
		}
		slices.Sort(ids)
		if got := messageIDsOf(srv.mailbox(t, folder)); !slices.Equal(got, ids) {
			t.Errorf("folder %s holds %v, want %v", folder, got, ids)
		}
	}
	if left := srv.mailbox(t, "INBOX"); len(left) != 0 {
		t.Errorf("INBOX still holds %d messages", len(left))
	}
	for _, m := range append(srv.mailbox(t, "processed"), srv.mailbox(t, "review")...) {
		if slices.Contains(m.Flags, imap.FlagDeleted) {
			t.Errorf("message %s flagged \\Deleted", m.messageID())
		}
	}
	cp, err := f.e.Intake("INBOX", intakeFolders).Checkpoint(context.Background())
	if err != nil || cp.LastUID != 7 || cp.UIDValidity == 0 {
		t.Errorf("checkpoint %+v, %v; want last UID 7", cp, err)
	}
}

// A letter accepting a session is answered with a calendar request for it:
// text/calendar; method=REQUEST inside the alternatives, the UID of the
// attachment the mission was invited with, the Subject equal to the
// SUMMARY, in the mission's language. Accepting that request in a client
// sends a REPLY that intake records.
func TestIntakeEmailedAcceptIsConfirmedWithTheInvitationsEvent(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush(sceneMissions...)
	bel, _ := f.e.Mission("BEL")
	invitations := sentTo(f.smtp.Messages(), bel)
	if len(invitations) != 1 {
		t.Fatalf("Belgium received %d invitations", len(invitations))
	}
	srv := startMemIMAP(t)
	srv.deliver(t, f.scene().frenchLetter)
	f.syncInbox(srv.addr)

	pending := f.pendingOutbox()
	var keys []string
	for _, it := range pending {
		keys = append(keys, it.Key.String())
	}
	slices.Sort(keys)
	if want := []string{"confirmation/BEL/BEN/0", "confirmation/BEL/CZE/0", "page-summary/BEL//letter-"}; len(keys) != 3 ||
		!slices.Equal(keys[:2], want[:2]) || !strings.HasPrefix(keys[2], want[2]) {
		t.Fatalf("outbox after the letter: %v, want %v and the summary", keys, want)
	}
	var sent []smtptest.Message
	for _, m := range f.flushAll() {
		if !strings.Contains(string(m.Data), "method=REQUEST") {
			continue // the summary
		}
		sent = append(sent, m)
	}
	if len(sent) != 2 {
		t.Fatalf("%d calendar requests sent, want 2 confirmations", len(sent))
	}
	for _, m := range sent {
		msg, part, ev := calendarPart(t, m.Data)
		subject := decodedSubject(t, msg)
		session := "BEN"
		if strings.Contains(ev.UID, "-cze-") {
			session = "CZE"
		}
		if want := invitationUID(t, invitations[0].Data, session, f.e); ev.UID != want {
			t.Errorf("confirmation UID %q, the invitation's attachment has %q", ev.UID, want)
		}
		if part.params["method"] != "REQUEST" || ev.Method != "REQUEST" || part.parent != "multipart/alternative" {
			t.Errorf("%s: calendar part method=%q METHOD:%s inside %s, want REQUEST inside multipart/alternative",
				session, part.params["method"], ev.Method, part.parent)
		}
		if subject != ev.Summary {
			t.Errorf("%s: Subject %q, SUMMARY %q: Exchange titles the event from the Subject", session, subject, ev.Summary)
		}
		if !strings.Contains(ev.Summary, "pré-session") && !strings.Contains(ev.Summary, "Pré-session") {
			t.Errorf("%s: SUMMARY %q is not in French, Belgium's language", session, ev.Summary)
		}
		if ev.PartStat != "ACCEPTED" || ev.Sequence != 0 {
			t.Errorf("%s: attendee %s SEQUENCE %d, want ACCEPTED at 0", session, ev.PartStat, ev.Sequence)
		}
		if err := icaltest.Validate(part.data); err != nil {
			t.Errorf("%s: the confirmation's calendar is invalid: %v", session, err)
		}
		if f.item(outreach.OutboxKey{Kind: outreach.Confirmation, Mission: "BEL", Session: session, Revision: "0"}).State != outreach.Sent {
			t.Errorf("%s: confirmation not marked sent", session)
		}
	}

	// Belgium's colleague clicks Accept on the Benin request in Outlook.
	srv.deliver(t, outlookAnswer{from: "geneva@bel.mission.example", name: "Mission permanente de la Belgique",
		uid: f.e.UID("BEL", "BEN"), method: "REPLY", partStat: "ACCEPTED", dtstamp: f.clock.Now().Add(3 * time.Hour),
		messageID: "<DB6PR07MB.bel.2@DB6PR07MB.eurprd07.prod.outlook.com>"}.raw())
	if st := f.syncInbox(srv.addr); st.Fetched != 1 {
		t.Fatalf("second sync fetched %d", st.Fetched)
	}
	r := f.rsvp("BEL", "BEN")
	if r.Status != outreach.Accepted || r.Source.Kind != outreach.FromCalendar || r.Source.MessageID != "<DB6PR07MB.bel.2@DB6PR07MB.eurprd07.prod.outlook.com>" {
		t.Errorf("BEL/BEN after the calendar accept: %+v", r)
	}
	if h := f.history("BEL", "BEN"); len(h) != 2 {
		t.Errorf("BEL/BEN history has %d entries, want the letter and the calendar reply", len(h))
	}
	if p := f.pendingOutbox(); len(p) != 0 {
		t.Errorf("a calendar accept queued %v; it needs no confirmation", p)
	}
}

// The same message delivered twice — two copies in one sync, and a copy
// appended again after it was filed, and a message without a Message-ID
// delivered twice — counts once.
func TestIntakeSameMessageTwiceCountsOnce(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush(sceneMissions...)
	srv := startMemIMAP(t)
	sc := f.scene()
	noID := letter{from: "geneva@aut.mission.example", name: "Permanent Mission of Austria", subject: "Pre-session on Ghana",
		date: f.clock.Now(), body: "Dear colleagues,\n\nThe Permanent Mission of Austria will attend the pre-session on Ghana.\n"}.raw()
	noID = bytes.Replace(noID, []byte("Message-ID: \r\n"), nil, 1)
	srv.deliver(t, sc.outlookAccept, sc.outlookAccept, sc.frenchLetter, noID, noID)
	if st := f.syncInbox(srv.addr); st.Fetched != 5 || st.Filed != 5 {
		t.Fatalf("first sync: %+v", st)
	}
	// The MTA delivers the letter again (a retry after a lost 250).
	srv.deliver(t, sc.frenchLetter)
	if st := f.syncInbox(srv.addr); st.Fetched != 1 || st.Filed != 1 {
		t.Fatalf("second sync: %+v", st)
	}

	for _, k := range [][2]string{{"AUT", "JPN"}, {"BEL", "BEN"}, {"BEL", "CZE"}, {"AUT", "GHA"}} {
		if h := f.history(k[0], k[1]); len(h) != 1 {
			t.Errorf("%s/%s recorded %d times", k[0], k[1], len(h))
		}
	}
	status := f.status()
	for sur, want := range map[string]int{"JPN": 1, "BEN": 1, "CZE": 1, "GHA": 1} {
		if got := tallyOf(status, sur).Accepted; got != want {
			t.Errorf("status %s: %d accepted, want %d", sur, got, want)
		}
	}
	sn, err := f.e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if sn.Replies["rsvp"] != 3 {
		t.Errorf("snapshot counts %d RSVP messages, want 3: %v", sn.Replies["rsvp"], sn.Replies)
	}
	if got := pendingKinds(f); got != "confirmation:3 page-summary:1" {
		t.Errorf("queued %s, want 3 confirmations (Benin, Czechia, Ghana) and one summary of the letter answering two", got)
	}
	// Every copy is filed with the original; none left in INBOX, none deleted.
	if n := len(srv.mailbox(t, "processed")); n != 6 {
		t.Errorf("processed holds %d messages, want all 6 copies", n)
	}
	if n := len(srv.mailbox(t, "INBOX")); n != 0 {
		t.Errorf("INBOX holds %d", n)
	}
}

// crashingIntake stops the process at message number at (0-based): before
// recording it, or after recording it but before it is filed.
type crashingIntake struct {
	*Intake
	at          int
	afterRecord bool
	seen        int
}

var errCrash = errors.New("process killed")

func (c *crashingIntake) Handle(ctx context.Context, msg inbox.Message) (string, error) {
	n := c.seen
	c.seen++
	if n < c.at {
		return c.Intake.Handle(ctx, msg)
	}
	if c.afterRecord {
		if _, err := c.Intake.Handle(ctx, msg); err != nil {
			return "", err
		}
	}
	return "", errCrash
}

// HandleGroup records the messages before the crash as a group; a group
// starting at the crash is refused, so the Watcher hands its first
// message over to Handle, which crashes.
func (c *crashingIntake) HandleGroup(ctx context.Context, msgs []inbox.Message) ([]string, error) {
	k := min(c.at-c.seen, len(msgs))
	if k <= 0 {
		return nil, errors.New("the group reaches the crash")
	}
	folders, err := c.Intake.HandleGroup(ctx, msgs[:k])
	c.seen += len(folders)
	return folders, err
}

// The process dies in the middle of a sync and starts again on the same
// store: nothing is lost and nothing is counted twice.
func TestIntakeRestartMidRun(t *testing.T) {
	for _, tc := range []struct {
		name        string
		afterRecord bool
	}{
		{"before-record", false},
		{"after-record-before-filing", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, smtptest.Hooks{})
			f.inviteAndFlush(sceneMissions...)
			srv := startMemIMAP(t)
			sc := f.scene()
			srv.deliver(t, sc.outlookAccept, sc.frenchLetter, sc.decline, sc.ooo, sc.bounce, sc.counter, sc.stranger)

			// Killed while handling the French letter (UID 2).
			h := &crashingIntake{Intake: f.e.Intake("INBOX", intakeFolders), at: 1, afterRecord: tc.afterRecord}
			if _, err := intakeWatcher(t, srv.addr, h).SyncOnce(context.Background()); !errors.Is(err, errCrash) {
				t.Fatalf("sync: %v, want the crash", err)
			}
			f.restart()
			st := f.syncInbox(srv.addr)
			wantFetched := 6
			if tc.afterRecord {
				wantFetched = 5 // the letter was recorded with its checkpoint
			}
			wantRefiled := 0
			if tc.afterRecord {
				wantRefiled = 1 // ... and filed now, where it was meant to go
			}
			if st.Fetched != wantFetched || st.Refiled != wantRefiled || st.LastUID != 7 {
				t.Errorf("sync after restart: %+v, want %d fetched up to UID 7, %d refiled", st, wantFetched, wantRefiled)
			}

			f.checkSceneRecordedOnce()
			filed := len(srv.mailbox(t, "processed")) + len(srv.mailbox(t, "review")) + len(srv.mailbox(t, "bounces"))
			inboxLeft := srv.mailbox(t, "INBOX")
			if filed+len(inboxLeft) != 7 {
				t.Errorf("%d filed + %d in INBOX: a message was lost", filed, len(inboxLeft))
			}
			for _, m := range inboxLeft {
				if slices.Contains(m.Flags, imap.FlagDeleted) {
					t.Errorf("message %s flagged \\Deleted", m.messageID())
				}
			}
			if len(inboxLeft) != 0 {
				t.Errorf("INBOX holds %v after the second sync", messageIDsOf(inboxLeft))
			}
			if ids := messageIDsOf(srv.mailbox(t, "processed")); !slices.Contains(ids, serverMessage{Raw: sc.frenchLetter}.messageID()) {
				t.Errorf("processed holds %v, want the French letter", ids)
			}
			if st := f.syncInbox(srv.addr); st.Fetched != 0 || st.Refiled != 0 {
				t.Errorf("a third sync: %+v", st)
			}
		})
	}
}

// A message too large to read goes to review once: handed over again under
// a new UIDVALIDITY, it is known by the Message-ID in its envelope. Two
// different messages without one, at the same UID under two UIDVALIDITYs,
// are two review items.
func TestIntakeOversizeMessageReviewedOnce(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	in := f.e.Intake("INBOX", intakeFolders)
	ctx := context.Background()
	const size = 40 << 20
	for _, msg := range []inbox.Message{
		{UIDValidity: 1, UID: 5, Size: size, MessageID: "<scan.big@mfa.example>"},
		{UIDValidity: 1, UID: 5, Size: size, MessageID: "<scan.big@mfa.example>"}, // after a crash
		{UIDValidity: 2, UID: 3, Size: size, MessageID: "<scan.big@mfa.example>"}, // mailbox rebuilt
	} {
		folder, err := in.Handle(ctx, msg)
		if err != nil || folder != intakeFolders.Review {
			t.Fatalf("Handle(%+v) = %q, %v; want the review folder", msg, folder, err)
		}
	}
	items := f.openReviews()
	if len(items) != 1 || !strings.Contains(items[0].Reason, "too large") {
		t.Fatalf("%d review items %+v, want one for the large message", len(items), items)
	}

	for _, msg := range []inbox.Message{
		{UIDValidity: 2, UID: 9, Size: size},
		{UIDValidity: 3, UID: 9, Size: size + 1},
	} {
		if _, err := in.Handle(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.openReviews()); n != 3 {
		t.Errorf("%d review items, want 3: two messages without a Message-ID are two", n)
	}
	if cp, err := in.Checkpoint(ctx); err != nil || cp != (inbox.Checkpoint{UIDValidity: 3, LastUID: 9}) {
		t.Errorf("checkpoint %+v, %v", cp, err)
	}
}

// checkSceneRecordedOnce checks that the scene's messages were each
// recorded exactly once, as `outreach status` and `review list` show it.
func (f *fixture) checkSceneRecordedOnce() {
	f.t.Helper()
	for _, k := range [][2]string{{"AUT", "JPN"}, {"BEL", "BEN"}, {"BEL", "CZE"}, {"PER", "UKR"}} {
		if h := f.history(k[0], k[1]); len(h) != 1 {
			f.t.Errorf("%s/%s recorded %d times", k[0], k[1], len(h))
		}
	}
	if n := len(f.allHistory()); n != 4 {
		f.t.Errorf("%d answers recorded, want 4", n)
	}
	st := f.status()
	if st.Review != 2 {
		f.t.Errorf("%d review items, want 2", st.Review)
	}
	if !slices.Equal(st.Coverage.Unreachable, []string{"AFG"}) {
		f.t.Errorf("unreachable %v, want [AFG]", st.Coverage.Unreachable)
	}
	if tl := tallyOf(st, "BEN"); tl.Accepted != 1 {
		f.t.Errorf("status BEN: %d accepted, want 1", tl.Accepted)
	}
	// Belgium's letter answers two sessions: two calendar requests and
	// one summary of what was recorded, each queued once.
	if got := pendingKinds(f); got != "confirmation:2 page-summary:1" {
		f.t.Errorf("queued %s, want 2 confirmations and Belgium's summary", got)
	}
}

// pendingKinds counts the messages waiting in the outbox by kind:
// "confirmation:2 page-summary:1".
func pendingKinds(f *fixture) string {
	n := map[outreach.MessageKind]int{}
	for _, it := range f.pendingOutbox() {
		n[it.Key.Kind]++
	}
	var out []string
	for k, c := range n {
		out = append(out, fmt.Sprintf("%s:%d", k, c))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// A mission changes its mind from a client that leaves DTSTAMP out of the
// REPLY (Exchange does at times): the later answer holds, by the message's
// date, instead of being taken for an older one.
func TestIntakeReplyWithoutDTStampReplacesEarlierAnswer(t *testing.T) {
	f := newFixture(t, smtptest.Hooks{})
	f.inviteAndFlush("AUT")
	srv := startMemIMAP(t)
	at := f.clock.Now().Add(time.Hour)
	srv.deliver(t,
		outlookAnswer{from: "geneva@aut.mission.example", name: "Permanent Mission of Austria", uid: f.e.UID("AUT", "JPN"),
			method: "REPLY", partStat: "ACCEPTED", dtstamp: at, messageID: "<aut.accept@aut.mission.example>"}.raw(),
		outlookAnswer{from: "geneva@aut.mission.example", name: "Permanent Mission of Austria", uid: f.e.UID("AUT", "JPN"),
			method: "REPLY", partStat: "DECLINED", dtstamp: at.Add(24 * time.Hour), noDTStamp: true,
			messageID: "<aut.decline@aut.mission.example>"}.raw())
	f.syncInbox(srv.addr)
	if r := f.rsvp("AUT", "JPN"); r.Status != outreach.Declined || r.Source.MessageID != "<aut.decline@aut.mission.example>" {
		t.Errorf("AUT/JPN: %v from %s, want the later decline", r.Status, r.Source.MessageID)
	}
	if tl := tallyOf(f.status(), "JPN"); tl.Accepted != 0 || tl.Declined != 1 {
		t.Errorf("status JPN: accepted %d declined %d", tl.Accepted, tl.Declined)
	}
}
