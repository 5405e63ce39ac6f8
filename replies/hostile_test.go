package replies

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"outreach/message"
	"strings"
	"testing"
)

// Named cases of hostile and broken input (issue 7): each must be read
// without a panic, within the package limits, and classified sensibly —
// never as an answer it does not give.

// envelope is the header of a reply from Japan's contact on Japan's reply
// address, so only the body decides.
func envelope(extra string) string {
	return "From: Permanent Mission of Japan <geneva@jpn.mission.example>\r\n" +
		"To: UPR Pre-sessions <rsvp+" + testToken("JPN") + "@presessions.example>\r\n" +
		"Subject: RE: Invitation\r\n" +
		"Message-ID: <hostile@jpn.mission.example>\r\n" +
		"MIME-Version: 1.0\r\n" + extra
}

const acceptKOR = "The Permanent Mission of Japan will attend the pre-session on the Republic of Korea."

// replyCal is an Outlook-style REPLY from Japan for session sur, with
// extra lines inside the VEVENT.
func replyCal(sur, partstat string, extra ...string) string {
	lines := []string{"BEGIN:VCALENDAR", "METHOD:REPLY", "PRODID:Microsoft Exchange Server 2010", "VERSION:2.0", "BEGIN:VEVENT",
		"ATTENDEE;PARTSTAT=" + partstat + ";CN=Permanent Mission of Japan:mailto:geneva@jpn.mission.example",
		"UID:" + testUID(sur, "JPN"), "DTSTAMP:20170918T091512Z", "SEQUENCE:0"}
	lines = append(lines, extra...)
	lines = append(lines, "END:VEVENT", "END:VCALENDAR")
	return strings.Join(lines, "\r\n") + "\r\n"
}

func calMessage(cal string) []byte {
	return []byte(envelope("Content-Type: text/calendar; charset=utf-8; method=REPLY\r\n\r\n") + cal)
}

// classifyChecked classifies raw against the round and checks what must
// hold for any input.
func classifyChecked(t *testing.T, raw []byte) Result {
	t.Helper()
	r := Classify(raw, testDirectory(t))
	checkInvariants(t, r)
	return r
}

// checkInvariants are the promises of Result whatever the input: a
// reason, sessions only for an RSVP and only known ones, and no line
// breaks in the one-line fields a caller may put in a header, a log line
// or a table.
func checkInvariants(t testing.TB, r Result) {
	t.Helper()
	if r.Reason == "" {
		t.Errorf("no Reason (kind %s)", r.Kind)
	}
	if r.Kind < Unrelated || r.Kind > Review {
		t.Errorf("kind %d out of range", r.Kind)
	}
	if (r.Kind == RSVP) != (len(r.Sessions) > 0) {
		t.Errorf("kind %s with sessions %v", r.Kind, r.Sessions)
	}
	if r.Kind == RSVP && r.Mission == "" {
		t.Error("an RSVP without a mission")
	}
	known := map[string]bool{}
	for _, s := range testDirectory(t).Sessions() {
		known[s.SuR] = true
	}
	for id := range r.Sessions {
		if !known[id] {
			t.Errorf("answer for %q, not a session of the round", id)
		}
	}
	if r.Delegates < 0 || r.Delegates > 1000 {
		t.Errorf("delegates = %d", r.Delegates)
	}
	oneLine := map[string]string{"Reason": r.Reason, "Subject": r.Subject, "From": r.From, "Comment": r.Comment,
		"Mission": r.Mission, "BouncedAddress": r.BouncedAddress, "BounceStatus": r.BounceStatus,
		"BounceDiagnostic": r.BounceDiagnostic, "MessageID": r.MessageID, "InReplyTo": r.InReplyTo}
	for i, n := range r.DelegateNames {
		oneLine[fmt.Sprintf("DelegateNames[%d]", i)] = n
	}
	for i, ref := range r.References {
		oneLine[fmt.Sprintf("References[%d]", i)] = ref
	}
	if r.Calendar != nil {
		oneLine["Calendar.Attendee"] = r.Calendar.Attendee
		oneLine["Calendar.UID"] = r.Calendar.UID
	}
	for k, v := range oneLine {
		if strings.ContainsAny(v, "\r\n\x00") {
			t.Errorf("%s has a line break or NUL: %q", k, v)
		}
	}
	if len(r.Excerpt) > 4*600 {
		t.Errorf("Excerpt of %d bytes", len(r.Excerpt))
	}
}

func TestHostileDeepNesting(t *testing.T) {
	const depth = 5000
	var b strings.Builder
	b.WriteString(envelope("Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n"))
	for i := 1; i < depth; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i-1, i)
	}
	fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/plain\r\n\r\n%s\r\n", depth-1, acceptKOR)
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	raw := []byte(b.String())

	var w message.Walker
	root := w.ParseMessage(raw, 0, 0)
	if !w.Truncated {
		t.Error("5000 levels of multipart not reported as truncated")
	}
	if d := treeDepth(root); d > message.MaxDepth+1 {
		t.Errorf("tree depth %d, limit %d", d, message.MaxDepth)
	}
	r := classifyChecked(t, raw)
	// The answer lies below the depth limit: it is not read, and the
	// message is not taken for an answer.
	if r.Kind == RSVP {
		t.Errorf("kind %s from text below the depth limit", r.Kind)
	}
	if !strings.Contains(r.Reason, "nested too deeply") {
		t.Errorf("reason %q does not say the message was too deep", r.Reason)
	}
}

func TestHostileDeepAttachedMessages(t *testing.T) {
	// message/rfc822 inside message/rfc822, 3000 times, a REPLY at the bottom.
	wrap := envelope("Content-Type: message/rfc822\r\n\r\n")
	raw := append([]byte(strings.Repeat(wrap, 3000)), calMessage(replyCal("KOR", "ACCEPTED"))...)
	r := classifyChecked(t, raw)
	if r.Kind == RSVP {
		t.Errorf("a calendar reply nested in 3000 attached messages was recorded: %s", r.Reason)
	}
}

func treeDepth(n *message.Part) int {
	if n == nil {
		return 0
	}
	d := 0
	for _, k := range n.Parts {
		d = max(d, treeDepth(k))
	}
	d = max(d, treeDepth(n.Inner))
	return d + 1
}

func TestHostileThousandsOfParts(t *testing.T) {
	var b strings.Builder
	b.WriteString(envelope("Content-Type: multipart/mixed; boundary=\"p\"\r\n\r\n"))
	fmt.Fprintf(&b, "--p\r\nContent-Type: text/plain\r\n\r\n%s\r\n", acceptKOR)
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&b, "--p\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
	}
	b.WriteString("--p--\r\n")
	raw := []byte(b.String())

	var w message.Walker
	root := w.ParseMessage(raw, 0, 0)
	parts := 0
	message.Walk(root, func(*message.Part) { parts++ })
	if parts > message.MaxParts || !w.Truncated {
		t.Errorf("walker made %d parts (truncated %v), limit %d", parts, w.Truncated, message.MaxParts)
	}
	if len(root.Parts) >= 20000 {
		t.Errorf("%d parts kept", len(root.Parts))
	}
	r := classifyChecked(t, raw)
	// The first part, within the limit, is still read.
	if r.Kind != RSVP || r.Sessions["KOR"].String() != "accepted" || len(r.Sessions) != 1 {
		t.Errorf("got %s %v (%s), want the first part's answer", r.Kind, r.Sessions, r.Reason)
	}
}

func TestHostileEnormousParts(t *testing.T) {
	t.Run("text part beyond the read limit", func(t *testing.T) {
		// The answer opens a 2 MiB text part: the start is read, the
		// rest is not, so the answer goes to a person rather than being
		// recorded on half a reading.
		body := acceptKOR + "\r\n\r\n" + strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 2<<20/57)
		r := classifyChecked(t, []byte(envelope("Content-Type: text/plain; charset=utf-8\r\n\r\n")+body))
		if r.Kind != Review || !strings.Contains(r.Reason, "only its start was read") || !strings.Contains(r.Reason, "accepted Republic of Korea") {
			t.Errorf("got %s %v (%s), want a review that gives the reading", r.Kind, r.Sessions, r.Reason)
		}
	})
	t.Run("message beyond the size limit", func(t *testing.T) {
		// 40 MiB of base64 attachment after the letter: cut at maxMessage.
		var b bytes.Buffer
		b.WriteString(envelope("Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n"))
		b.WriteString("--x\r\nContent-Type: text/plain\r\n\r\n" + acceptKOR + "\r\n--x\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		line := []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 57)) + "\r\n")
		b.Write(bytes.Repeat(line, (message.MaxMessage+1<<20)/len(line)))
		b.WriteString("--x--\r\n")
		r := classifyChecked(t, b.Bytes())
		if r.Kind != RSVP || r.Sessions["KOR"].String() != "accepted" {
			t.Errorf("got %s %v (%s)", r.Kind, r.Sessions, r.Reason)
		}
	})
	t.Run("thousands of one-word sentences", func(t *testing.T) {
		body := acceptKOR + "\r\n" + strings.Repeat("Ok.\r\n", 8000)
		r := classifyChecked(t, []byte(envelope("Content-Type: text/plain\r\n\r\n")+body))
		if r.Kind != Review || !strings.Contains(r.Reason, "only its start was read") {
			t.Errorf("got %s %v (%s), want a review of a letter read in part", r.Kind, r.Sessions, r.Reason)
		}
	})
	t.Run("one endless header line", func(t *testing.T) {
		raw := []byte("Subject: " + strings.Repeat("a", 8<<20) + "\r\nFrom: x@y.example\r\n\r\nhello\r\n")
		r := classifyChecked(t, raw)
		if r.Kind == RSVP {
			t.Errorf("got %s", r.Kind)
		}
		if len(r.Subject) > 1000 {
			t.Errorf("subject of %d bytes kept", len(r.Subject))
		}
	})
	t.Run("calendar beyond its limit", func(t *testing.T) {
		pad := make([]string, 0, 30000)
		for i := 0; i < 30000; i++ {
			pad = append(pad, fmt.Sprintf("X-PAD-%d:%s", i, strings.Repeat("z", 40)))
		}
		r := classifyChecked(t, calMessage(replyCal("KOR", "ACCEPTED", pad...)))
		if r.Kind == RSVP {
			t.Errorf("an oversized calendar was recorded: %s", r.Reason)
		}
	})
}

func TestHostileCharsets(t *testing.T) {
	cases := []struct {
		name, header string
		body         []byte
		want         Kind
	}{
		{"unknown charset, ASCII text", "Content-Type: text/plain; charset=x-klingon\r\n", []byte(acceptKOR), RSVP},
		{"declared utf-8, Latin-1 bytes", "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n",
			[]byte("La Mission participera \xe0 la pr\xe9-session sur la Cor\xe9e."), RSVP},
		{"utf-16 declared, garbage", "Content-Type: text/plain; charset=utf-16\r\n", []byte{0xd8, 0x00, 0xdc}, Unrelated},
		{"charset with quotes and spaces", "Content-Type: text/plain; charset=\" 'ISO-8859-1' \"\r\n", []byte(acceptKOR), RSVP},
		{"broken base64", "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n", []byte("VGhlIE1pc3Npb24g!!!@@@===\r\n====\r\nd2lsbA"), Unrelated},
		{"broken quoted-printable", "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n", []byte("=ZZ=\r\n=4=\r\n" + acceptKOR + "=F"), RSVP},
		{"unknown transfer encoding", "Content-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n", []byte(acceptKOR), RSVP},
		{"NUL bytes and invalid UTF-8", "Content-Type: text/plain\r\n", []byte("\x00\xff\xfe" + acceptKOR + "\x00\xc3"), RSVP},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := classifyChecked(t, append([]byte(envelope(c.header+"\r\n")), c.body...))
			if r.Kind != c.want {
				t.Errorf("kind %s, want %s (%s)", r.Kind, c.want, r.Reason)
			}
			if c.want == RSVP && r.Sessions["KOR"].String() != "accepted" {
				t.Errorf("sessions %v, want KOR accepted", r.Sessions)
			}
		})
	}
	t.Run("encoded words in unknown charsets", func(t *testing.T) {
		raw := "From: =?x-unknown?Q?Mission=FF?= <geneva@jpn.mission.example>\r\nTo: rsvp@presessions.example\r\n" +
			"Subject: =?utf-8?B?!!notbase64?= =?koi8-r?Q?=F0=D2=C9=D7=C5=D4?=\r\n\r\n" + acceptKOR + "\r\n"
		r := classifyChecked(t, []byte(raw))
		if r.Kind != RSVP || r.Mission != "JPN" {
			t.Errorf("got %s %q (%s)", r.Kind, r.Mission, r.Reason)
		}
	})
}

func TestHostileCalendars(t *testing.T) {
	cases := []struct {
		name   string
		cal    string
		reason string // a substring of the review reason
	}{
		{"no UID", strings.Replace(replyCal("KOR", "ACCEPTED"), "UID:"+testUID("KOR", "JPN")+"\r\n", "", 1), "could not be read"},
		{"no ATTENDEE", strings.Replace(replyCal("KOR", "ACCEPTED"), "ATTENDEE;PARTSTAT=ACCEPTED;CN=Permanent Mission of Japan:mailto:geneva@jpn.mission.example\r\n", "", 1), ""},
		{"two ATTENDEEs", replyCal("KOR", "ACCEPTED", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:someone@else.example"), "attendees"},
		{"duplicated UID, other value", replyCal("KOR", "ACCEPTED", "UID:"+testUID("CZE", "JPN")), ""},
		{"two METHODs", strings.Replace(replyCal("KOR", "ACCEPTED"), "METHOD:REPLY\r\n", "METHOD:REPLY\r\nMETHOD:REQUEST\r\n", 1), "could not be read"},
		{"no END", strings.TrimSuffix(replyCal("KOR", "ACCEPTED"), "END:VEVENT\r\nEND:VCALENDAR\r\n"), "could not be read"},
		{"unreadable SEQUENCE", strings.Replace(replyCal("KOR", "ACCEPTED"), "SEQUENCE:0", "SEQUENCE:zero", 1), "could not be read"},
		{"PARTSTAT twice in one ATTENDEE", strings.Replace(replyCal("KOR", "ACCEPTED"), "PARTSTAT=ACCEPTED", "PARTSTAT=ACCEPTED;PARTSTAT=DECLINED", 1), ""},
		{"unknown PARTSTAT", replyCal("KOR", "X-MAYBE"), "unusual answer"},
		{"same UID answered twice differently", strings.Replace(replyCal("KOR", "ACCEPTED"), "END:VEVENT\r\n",
			"END:VEVENT\r\nBEGIN:VEVENT\r\nATTENDEE;PARTSTAT=DECLINED:mailto:geneva@jpn.mission.example\r\nUID:"+testUID("KOR", "JPN")+"\r\nDTSTAMP:20170918T091512Z\r\nSEQUENCE:0\r\nEND:VEVENT\r\n", 1), "twice, differently"},
		{"parameter with a bare quote", strings.Replace(replyCal("KOR", "ACCEPTED"), "CN=Permanent Mission of Japan", `CN="Permanent Mission of "Japan`, 1), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Subject as Outlook writes it, so a damaged calendar is
			// known for an answer that could not be read.
			raw := bytes.Replace(calMessage(c.cal), []byte("Subject: RE: Invitation"), []byte("Subject: Accepted: UPR Pre-session: Republic of Korea"), 1)
			r := classifyChecked(t, raw)
			if r.Kind == RSVP {
				t.Fatalf("a broken calendar was recorded: %v (%s)", r.Sessions, r.Reason)
			}
			if r.Kind != Review {
				t.Errorf("kind %s, want review (%s)", r.Kind, r.Reason)
			}
			if c.reason != "" && !strings.Contains(r.Reason, c.reason) {
				t.Errorf("reason %q, want it to contain %q", r.Reason, c.reason)
			}
		})
	}
	t.Run("newer revision wins within one message", func(t *testing.T) {
		cal := strings.Replace(replyCal("KOR", "DECLINED"), "END:VEVENT\r\n",
			"END:VEVENT\r\nBEGIN:VEVENT\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:geneva@jpn.mission.example\r\nUID:"+testUID("KOR", "JPN")+"\r\nDTSTAMP:20170919T091512Z\r\nSEQUENCE:1\r\nEND:VEVENT\r\n", 1)
		r := classifyChecked(t, calMessage(cal))
		if r.Kind != RSVP || r.Sessions["KOR"].String() != "accepted" {
			t.Errorf("got %s %v (%s), want the SEQUENCE 1 answer", r.Kind, r.Sessions, r.Reason)
		}
	})
}

func TestHostileLineBreaksInFields(t *testing.T) {
	crlf := base64.StdEncoding.EncodeToString([]byte("Japan\r\nBcc: victim@example.org\r\n\r\nInjected"))
	raw := "From: =?utf-8?B?" + crlf + "?= <geneva@jpn.mission.example>\r\n" +
		"To: rsvp+" + testToken("JPN") + "@presessions.example\r\n" +
		"Subject: =?utf-8?B?" + crlf + "?= =?utf-8?Q?Accepted=0D=0AX-Evil:_1?=\r\n" +
		"Message-ID: <a\r\n b@jpn.mission.example>\r\n" +
		"In-Reply-To: =?utf-8?Q?=0D=0A?= " + testMessageID("invitation", "JPN", "") + "\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
		"The Mission will attend the pre-session on Ukraine.\r\nIt will be represented by Mr. John\r\nSmith and Ms. Ana\rMoreno.\r\n"
	r := classifyChecked(t, []byte(raw))
	if r.Kind != RSVP || r.Sessions["UKR"].String() != "accepted" {
		t.Errorf("got %s %v (%s)", r.Kind, r.Sessions, r.Reason)
	}
	if strings.Contains(r.Subject, "\n") || !strings.Contains(r.Subject, "Bcc: victim") {
		t.Errorf("subject %q: want the encoded text kept, on one line", r.Subject)
	}

	t.Run("bounce", func(t *testing.T) {
		raw := "From: MAILER-DAEMON@presessions.example\r\nTo: rsvp@presessions.example\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
			"X-Failed-Recipients: =?utf-8?Q?a=0D=0Ab?=@x.example\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n" +
			"--B\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n" +
			"Final-Recipient: rfc822; evil@x.example\rBcc: victim@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
			"Diagnostic-Code: smtp; 550 5.1.1 line one\r\n\tline two\rline three\r\n--B--\r\n"
		r := classifyChecked(t, []byte(raw))
		if r.Kind != Bounce {
			t.Errorf("kind %s, want bounce (%s)", r.Kind, r.Reason)
		}
	})
	t.Run("calendar comment and attendee", func(t *testing.T) {
		cal := replyCal("KOR", "ACCEPTED", `COMMENT:We will attend.\nBcc: victim@example.org\r\n`)
		cal = strings.Replace(cal, "mailto:geneva@jpn.mission.example", "mailto:geneva@jpn.mission.example\\nX-Evil: 1", 1)
		classifyChecked(t, calMessage(cal))
	})
}

func TestHostileHTML(t *testing.T) {
	html := `<html><head><title>We will attend all the pre-sessions</title>
<script>document.write("We will attend all the pre-sessions"); var s = "</div>";</script>
<style>p:after{content:"We will attend the pre-session on Peru"}</style></head>
<body onload="alert('We will attend the pre-session on Ghana')">
<p>The Mission will attend the pre-session on <b>Japan</b>.</p>
<SCRIPT type="text/javascript">alert("We decline every pre-session")</SCRIPT>
<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>
<noscript>We will attend the pre-session on Zambia</noscript>
<p><img src="x" onerror="alert(1)"></p>
<script>never closed: we will attend the pre-session on Benin`
	r := classifyChecked(t, []byte(envelope("Content-Type: text/html; charset=utf-8\r\n\r\n")+html))
	if r.Kind != RSVP || len(r.Sessions) != 1 || r.Sessions["JPN"].String() != "accepted" {
		t.Fatalf("got %s %v (%s), want Japan accepted only", r.Kind, r.Sessions, r.Reason)
	}
	for _, s := range []string{"document.write", "alert(\"We", "content:", "onload", "onerror", "Benin"} {
		if strings.Contains(r.Excerpt, s) || strings.Contains(r.Comment, s) {
			t.Errorf("script or style text %q shown: excerpt %q, comment %q", s, r.Excerpt, r.Comment)
		}
	}
	// The escaped text is the mission's own words, shown as plain text:
	// the caller escapes it wherever it is shown as HTML.
	if !strings.Contains(r.Excerpt, "<script>alert(1)</script>") {
		t.Errorf("excerpt %q lost the letter's own (escaped) text", r.Excerpt)
	}

	t.Run("tag soup", func(t *testing.T) {
		soup := strings.Repeat("<div><scr<script>ipt>", 20000) + strings.Repeat("<", 100000) + strings.Repeat("</div>", 20000)
		classifyChecked(t, []byte(envelope("Content-Type: text/html\r\n\r\n")+soup))
	})
}

func TestHostileNoise(t *testing.T) {
	inputs := map[string][]byte{
		"empty":            nil,
		"one newline":      []byte("\n"),
		"no header":        []byte(acceptKOR),
		"header only":      []byte("From: geneva@jpn.mission.example"),
		"binary":           bytes.Repeat([]byte{0, 1, 2, 0xff, '\r', '\n', ':'}, 10000),
		"boundary empty":   []byte(envelope("Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\n--\r\n")),
		"boundary is body": []byte(envelope("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n--a\r\n--a--a--a\r\n--a")),
		"params galore":    []byte(envelope("Content-Type: text/plain;" + strings.Repeat(" a*0*=utf-8''%ff;", 5000) + "\r\n\r\nhi")),
		"fields galore":    []byte(strings.Repeat("X-A: b\r\n", 20000) + "\r\n" + acceptKOR),
		"references flood": []byte(envelope("References: "+strings.Repeat("<a@b> ", 100000)+"\r\n\r\n") + acceptKOR),
	}
	for name, raw := range inputs {
		t.Run(name, func(t *testing.T) {
			classifyChecked(t, raw)
			checkInvariants(t, Classify(raw, nil))
		})
	}
}
