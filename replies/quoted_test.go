package replies

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"mime"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"outreach"
	"outreach/directory"
	"outreach/templates"
)

var genQuoted = flag.Bool("gen-quoted", false, "rewrite testdata/corpus/quoted-*: replies quoting the real invitation of the 28th round")

// TestQuotedInvitations classifies the quoted-invitation suite: replies
// whose quote of our invitation (pasted, under an Outlook header block in
// Russian, Chinese, Arabic, Italian or German, after "Am ... schrieb"
// without "> ", forwarded, inside an HTML <div>, re-wrapped, or the HTML
// turned into plain text) has no quote marker the text reader knows. The
// rule: no answer is ever taken from the invitation's own text, so every
// session the result holds is one the mission's own words answer.
func TestQuotedInvitations(t *testing.T) {
	dir := testDirectory(t)
	n, misread := 0, 0
	for _, c := range loadCorpus(t) {
		if !strings.HasPrefix(c.name, "quoted-") {
			continue
		}
		n++
		got := Classify(c.raw, dir)
		for id, st := range got.Sessions {
			if c.want.Sessions[id] != st.String() {
				t.Errorf("%s: session %s %s taken from the quoted invitation (reason: %s)", c.name, id, st, got.Reason)
			}
		}
		ok := t.Run(c.name, func(t *testing.T) {
			checkResult(t, got, c.want)
			// The mission's own words are what is left: nothing of the
			// quote's header block, of the invitation or of its footer.
			for _, s := range []string{"presessions.example", "Invitation", "UPR Info", "Pre-sessions", "Pré-sessions", "Pre-sesiones"} {
				if strings.Contains(got.Excerpt, s) {
					t.Errorf("the own text holds %q of the quote: %q", s, got.Excerpt)
				}
			}
		})
		if !ok {
			misread++
		}
	}
	if n < 50 {
		t.Errorf("the suite has %d messages, want at least 50", n)
	}
	t.Logf("%d quoted-invitation messages, %d misread", n, misread)
}

// quotedCase is one reply of the suite: who writes, in which client style,
// and what the mission's own words above (or around) the quote say.
type quotedCase struct {
	name    string
	mission string
	lang    outreach.Language
	style   string
	answer  string // ack, accept, decline, two, empty
	thread  bool   // In-Reply-To our invitation
	note    string
}

// The mission's own words, by language and answer; the expected sessions.
var quotedAnswers = map[string]struct {
	text     map[outreach.Language]string
	sessions map[string]string
}{
	"ack": {text: map[outreach.Language]string{
		outreach.English: "Thank you, well received.",
		outreach.French:  "Merci, bien reçu.",
		outreach.Spanish: "Gracias, acusamos recibo.",
	}},
	"empty": {text: map[outreach.Language]string{}},
	"accept": {text: map[outreach.Language]string{
		outreach.English: "Dear colleagues,\n\nWe will attend the pre-session on Japan.\n\nBest regards,\nKatya",
		outreach.French:  "Madame, Monsieur,\n\nLa Mission participera à la pré-session sur le Japon.\n\nCordialement,\nAmélie",
		outreach.Spanish: "Estimados colegas:\n\nAsistiremos a la pre-sesión sobre el Japón.\n\nSaludos cordiales,\nLucía",
	}, sessions: map[string]string{"JPN": "accepted"}},
	"decline": {text: map[outreach.Language]string{
		outreach.English: "Dear colleagues,\nThe Mission regrets that it will not be able to attend the pre-session on Peru.\nKind regards",
		outreach.French:  "Bonjour,\nLa Mission regrette de ne pas pouvoir participer à la pré-session sur le Pérou.\nBien cordialement",
		outreach.Spanish: "Buenos días:\nLamentamos no poder asistir a la pre-sesión sobre el Perú.\nAtentamente",
	}, sessions: map[string]string{"PER": "declined"}},
	"two": {text: map[outreach.Language]string{
		outreach.English: "Good morning,\n\nOur delegation will attend the pre-sessions on Ghana and Ukraine.\n\nRegards,\nM. Haddad",
		outreach.French:  "Bonjour,\n\nNotre délégation assistera aux pré-sessions sur le Ghana et l'Ukraine.\n\nSalutations,\nM. Diallo",
		outreach.Spanish: "Buenos días,\n\nNuestra delegación asistirá a las pre-sesiones sobre Ghana y Ucrania.\n\nSaludos,\nJ. Pérez",
	}, sessions: map[string]string{"GHA": "accepted", "UKR": "accepted"}},
}

// quotedCases: every style in the languages its clients are used in, with
// short answers of every kind.
func quotedCases() []quotedCase {
	var cs []quotedCase
	add := func(style, note string, rows ...string) {
		for _, r := range rows {
			f := strings.Fields(r) // mission lang answer [nothread]
			c := quotedCase{name: style + "-" + strings.ToLower(f[0]) + "-" + f[2], mission: f[0], lang: outreach.Language(f[1]),
				style: style, answer: f[2], thread: len(f) < 4, note: note}
			cs = append(cs, c)
		}
	}
	add("outlook-ru", "Outlook desktop in Russian quotes the invitation under От:/Отправлено:/Кому:/Тема:.",
		"RUS en ack", "RUS en accept", "RUS en two", "RUS en empty", "MAR fr decline")
	add("outlook-zh", "Outlook desktop in Chinese quotes the invitation under 发件人:/发送时间:/收件人:/主题:.",
		"CHN en ack", "CHN en accept", "CHN en decline", "CHN en empty", "SEN fr two")
	add("outlook-ar", "Outlook desktop in Arabic quotes the invitation under من:/تاريخ الإرسال:/إلى:/الموضوع:.",
		"EGY en ack", "EGY en two", "TUN fr ack", "TUN fr accept", "MAR fr empty")
	add("outlook-it", "Outlook desktop in Italian quotes the invitation under Da:/Inviato:/A:/Oggetto:.",
		"ITA en ack", "ITA en accept", "ITA en decline", "ESP es two")
	add("outlook-de", "Outlook desktop in German quotes the invitation under Von:/Gesendet:/An:/Betreff:, with no separator line.",
		"DEU en ack", "DEU en two", "BEL fr accept")
	add("gmail", "Gmail's attribution line and '> ' quote.",
		"NOR en accept", "BEN fr ack", "MEX es decline")
	add("gmail-unquoted", "Gmail's attribution line, the quote marks lost on the way (copied into a new message).",
		"AUS en two", "FRA fr decline", "CHL es ack")
	add("schrieb", "\"Am ... schrieb UPR Info <...>:\" with the invitation below it and no '>'.",
		"DEU en accept", "BEL fr ack", "CUB es two")
	add("apple-forward", "Apple Mail's forwarded-message block, forwarded within the mission with a note above it.",
		"CAN en ack", "CIV fr two", "COL es accept")
	add("paste", "The invitation pasted below the answer, no header at all.",
		"JPN en ack nothread", "JPN en accept", "FRA fr ack nothread", "SEN fr accept nothread", "MEX es ack", "PER es decline nothread", "CUB es empty")
	add("paste-rewrapped", "The invitation pasted after passing through a client that re-wraps at 66 columns and collapses spaces.",
		"NOR en decline", "FRA fr accept", "COL es two")
	add("rewrapped-quote", "A '> ' quote re-wrapped by a second client: continuation lines lost their '>'.",
		"AUS en accept", "BEN fr decline", "ESP es ack")
	add("inline", "The answer written inside the '> ' quote, below the schedule (interleaved reply).",
		"NOR en accept", "SEN fr two", "PER es decline")
	add("paste-below", "The invitation pasted above, the answer written below it (bottom posting).",
		"AUS en decline", "MAR fr accept", "COL es two")
	add("schedule-only", "Only the schedule block pasted above the answer.",
		"CAN en accept", "TUN fr ack", "CHL es two")
	add("trimmed-quote", "The quote trimmed by the writer to the opening paragraph and the schedule, under an Italian Outlook header.",
		"ITA en two", "BEN fr accept", "MEX es ack")
	add("nested-forward", "Forwarded inside the mission with a Russian or Spanish Outlook header and a colleague's note, then answered: the invitation two levels down.",
		"RUS en accept", "CIV fr ack", "CUB es decline")
	add("plain-conversion", "The HTML invitation turned into plain text by a client (one table cell a line) and quoted below the answer.",
		"CAN en two", "CIV fr ack", "CHL es accept")
	add("html-div", "An HTML reply quoting the invitation inside a plain <div> (no class, no blockquote).",
		"JPN en ack", "RUS en decline", "FRA fr ack", "TUN fr two", "MEX es accept", "PER es empty")
	add("html-blockquote", "An HTML reply quoting inside <blockquote type=\"cite\">.",
		"NOR en two", "SEN fr ack", "ESP es decline")
	add("html-divrplyfwdmsg", "Outlook on the web: the quote follows <div id=\"divRplyFwdMsg\"> with a French header.",
		"ITA en accept", "BEL fr ack", "COL es two")
	add("html-bordertop", "Outlook desktop HTML: the header block inside <div style=\"border-top:solid #E1E1E1 1.0pt\">, in Russian or Chinese or Spanish.",
		"RUS en ack", "CHN en accept", "CIV fr decline", "CUB es ack")
	return cs
}

// TestGenerateQuoted writes the suite with -gen-quoted. The quoted text is
// the real invitation rendered from templates/ for the 28th round.
func TestGenerateQuoted(t *testing.T) {
	if !*genQuoted {
		t.Skip("run with -gen-quoted to rewrite testdata/corpus/quoted-*")
	}
	set, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := directory.Missions()
	if err != nil {
		t.Fatal(err)
	}
	ev, ss, err := directory.Round28()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]outreach.Mission{}
	names := map[string]outreach.Names{}
	for _, m := range ms {
		byID[m.ID] = m
		names[m.ID] = m.Names
	}
	for i, c := range quotedCases() {
		m := byID[c.mission]
		reply := "rsvp+" + testToken(m.ID) + "@" + testDomain
		inv, err := set.Render(templates.Invitation, c.lang, templates.Data{Event: ev, Mission: m, Sessions: ss, SuRNames: names,
			ReplyTo: reply, Now: time.Date(2017, time.September, 15, 9, 30, 0, 0, ev.Location)})
		if err != nil {
			t.Fatal(err)
		}
		raw := quotedMessage(c, i, m, inv, reply)
		a := quotedAnswers[c.answer]
		kind := "unrelated"
		if len(a.sessions) > 0 {
			kind = "rsvp"
		}
		mission := m.ID
		want := map[string]any{"kind": kind, "mission": mission, "sessions": a.sessions, "bounced_address": nil, "delegates": 0,
			"note": c.note + " Answer: " + c.answer + "; nothing may be read from the quoted invitation."}
		js, _ := json.MarshalIndent(want, "", "  ")
		base := filepath.Join("testdata", "corpus", "quoted-"+c.name)
		if err := os.WriteFile(base+".eml", raw, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(base+".json", append(js, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Localized Outlook header blocks: From, Sent, To, Subject labels and a
// sent date written the client's way.
var outlookHeaders = map[string][5]string{
	"ru": {"От:", "Отправлено:", "Кому:", "Тема:", "15 сентября 2017 г. 10:00"},
	"zh": {"发件人:", "发送时间:", "收件人:", "主题:", "2017年9月15日 10:00"},
	"ar": {"من:", "تاريخ الإرسال:", "إلى:", "الموضوع:", "15 سبتمبر، 2017 10:00 ص"},
	"it": {"Da:", "Inviato:", "A:", "Oggetto:", "venerdì 15 settembre 2017 10:00"},
	"de": {"Von:", "Gesendet:", "An:", "Betreff:", "Freitag, 15. September 2017 10:00"},
	"fr": {"De :", "Envoyé :", "À :", "Objet :", "vendredi 15 septembre 2017 10:00"},
	"es": {"De:", "Enviado el:", "Para:", "Asunto:", "viernes, 15 de septiembre de 2017 10:00"},
}

var subjectPrefix = map[string]string{"ru": "RE: ", "zh": "答复: ", "ar": "رد: ", "it": "R: ", "de": "AW: ", "fr": "RE : ", "es": "RE: "}

func ownText(c quotedCase) string { return quotedAnswers[c.answer].text[c.lang] }

// quotedHTML is the HTML body (and subject) of a reply in one of the
// HTML styles; false for a style that is not one.
func quotedHTML(c quotedCase, m outreach.Mission, inv templates.Message, reply, subject string) (string, string, bool) {
	from := m.Contacts[0].Email
	own := ownText(c)
	var htmlBody string
	switch c.style {
	case "html-div":
		htmlBody = htmlOwn(own) + "<br><div>" + htmlInner(inv.HTML) + "</div>"
	case "html-blockquote":
		htmlBody = htmlOwn(own) + "<br><div class=\"reply\">Le 15 sept. 2017 à 10:00, UPR Pre-sessions &lt;" + reply + "&gt; a écrit :<br></div>" +
			"<blockquote type=\"cite\">" + htmlInner(inv.HTML) + "</blockquote>"
	case "html-divrplyfwdmsg":
		h := outlookHeaders["fr"]
		htmlBody = htmlOwn(own) + "<hr style=\"display:inline-block;width:98%\" tabindex=\"-1\"><div id=\"divRplyFwdMsg\" dir=\"ltr\"><font face=\"Calibri, sans-serif\" style=\"font-size:11pt\" color=\"#000000\"><b>" +
			h[0] + "</b> UPR Pre-sessions &lt;" + reply + "&gt;<br><b>" + h[1] + "</b> " + h[4] + "<br><b>" + h[2] + "</b> " + html.EscapeString(m.Titles.FR) + "<br><b>" + h[3] + "</b> " +
			html.EscapeString(inv.Subject) + "</font><div>&nbsp;</div></div>" + htmlInner(inv.HTML)
	case "html-bordertop":
		loc := map[outreach.Language]string{outreach.English: "ru", outreach.French: "zh", outreach.Spanish: "es"}[c.lang]
		if c.mission == "CHN" {
			loc = "zh"
		}
		h := outlookHeaders[loc]
		subject = subjectPrefix[loc] + inv.Subject
		htmlBody = htmlOwn(own) + "<div><div style=\"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm\"><p class=\"MsoNormal\"><b><span lang=\"EN-US\">" +
			h[0] + "</span></b><span lang=\"EN-US\"> UPR Pre-sessions &lt;" + reply + "&gt;<br><b>" + h[1] + "</b> " + h[4] + "<br><b>" + h[2] + "</b> " +
			html.EscapeString(m.Titles.EN) + " &lt;" + from + "&gt;<br><b>" + h[3] + "</b> " + html.EscapeString(inv.Subject) + "<o:p></o:p></span></p></div></div>" +
			"<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>" + htmlInner(inv.HTML)
	default:
		return "", subject, false
	}
	return htmlBody, subject, true
}

func quotedMessage(c quotedCase, i int, m outreach.Mission, inv templates.Message, reply string) []byte {
	from := m.Contacts[0].Email
	own := ownText(c)
	us := "UPR Pre-sessions <" + reply + ">"
	subject := "RE: " + inv.Subject
	var plain, htmlBody string
	cte := "8bit"
	crlf := i%2 == 0
	switch c.style {
	case "outlook-ru", "outlook-zh", "outlook-ar", "outlook-it", "outlook-de":
		loc := strings.TrimPrefix(c.style, "outlook-")
		h := outlookHeaders[loc]
		subject = subjectPrefix[loc] + inv.Subject
		sep := "________________________________\n"
		if loc == "de" {
			sep = ""
		}
		if loc == "ru" && c.answer == "two" {
			sep = "-----Исходное сообщение-----\n"
		}
		plain = own + "\n\n" + sep + h[0] + " " + us + "\n" + h[1] + " " + h[4] + "\n" + h[2] + " " + m.Titles.EN + " <" + from + ">\n" +
			h[3] + " " + inv.Subject + "\n\n" + inv.Text + "\n"
		cte = "quoted-printable"
	case "gmail":
		attr := map[outreach.Language]string{
			outreach.English: "On Fri, 15 Sep 2017 at 10:00, UPR Pre-sessions <" + reply + "> wrote:",
			outreach.French:  "Le ven. 15 sept. 2017 à 10:00, UPR Pre-sessions <" + reply + "> a écrit :",
			outreach.Spanish: "El vie., 15 sept. 2017 a las 10:00, UPR Pre-sessions (<" + reply + ">) escribió:",
		}[c.lang]
		plain = own + "\n\n" + attr + "\n\n" + prefixLines(inv.Text, "> ") + "\n"
	case "gmail-unquoted":
		attr := map[outreach.Language]string{
			outreach.English: "On Fri, Sep 15, 2017 at 10:00 AM UPR Pre-sessions <" + reply + ">\nwrote:",
			outreach.French:  "Le ven. 15 sept. 2017 à 10:00, UPR Pre-sessions <" + reply + "> a\nécrit :",
			outreach.Spanish: "El vie, 15 sept 2017 a las 10:00, UPR Pre-sessions <" + reply + ">\nescribió:",
		}[c.lang]
		plain = own + "\n\n" + attr + "\n\n" + inv.Text + "\n"
	case "schrieb":
		plain = own + "\n\nAm 15.09.2017 um 10:00 schrieb UPR Pre-sessions <" + reply + ">:\n\n" + inv.Text + "\n"
		subject = "AW: " + inv.Subject
	case "apple-forward":
		begin := map[outreach.Language]string{outreach.English: "Begin forwarded message:", outreach.French: "Début du message réexpédié :",
			outreach.Spanish: "Inicio del mensaje reenviado:"}[c.lang]
		plain = own + "\n\n" + begin + "\n\nFrom: " + us + "\nSubject: " + inv.Subject + "\nDate: 15 September 2017 at 10:00:00 CEST\nTo: " +
			m.Titles.EN + " <" + from + ">\n\n" + inv.Text + "\n"
		subject = "Fwd: " + inv.Subject
	case "paste":
		if !c.thread {
			subject = map[outreach.Language]string{outreach.English: "UPR pre-sessions", outreach.French: "Pré-sessions EPU",
				outreach.Spanish: "Pre-sesiones EPU"}[c.lang]
		}
		plain = own + "\n\n" + inv.Text + "\n"
	case "paste-rewrapped":
		plain = own + "\n\n" + rewrap(strings.Join(strings.Fields(strings.ReplaceAll(inv.Text, "\n", " \x00 ")), " "), 66) + "\n"
		cte = "quoted-printable"
	case "rewrapped-quote":
		plain = own + "\n\n" + brokenRewrap(inv.Text, 72) + "\n"
	case "inline":
		before, after, _ := strings.Cut(inv.Text, "\n\n"+strings.SplitN(strings.Split(inv.Text, "\n\n")[len(strings.Split(inv.Text, "\n\n"))-4], "\n", 2)[0])
		after = strings.SplitN(strings.Split(inv.Text, "\n\n")[len(strings.Split(inv.Text, "\n\n"))-4], "\n", 2)[0] + after
		attr := map[outreach.Language]string{
			outreach.English: "On 15/09/2017 10:00, UPR Pre-sessions wrote:",
			outreach.French:  "Le 15/09/2017 à 10:00, UPR Pre-sessions a écrit :",
			outreach.Spanish: "El 15/09/2017 a las 10:00, UPR Pre-sessions escribió:",
		}[c.lang]
		plain = attr + "\n" + prefixLines(before, "> ") + "\n\n" + own + "\n\n" + prefixLines(after, "> ") + "\n"
	case "paste-below":
		plain = inv.Text + "\n\n" + own + "\n"
	case "schedule-only":
		paras := strings.Split(inv.Text, "\n\n")
		var sched []string
		for _, p := range paras {
			if strings.Contains(p, "XXIV") {
				sched = append(sched, p)
			}
		}
		plain = own + "\n\n" + strings.Join(sched, "\n\n") + "\n"
	case "trimmed-quote":
		h := outlookHeaders["it"]
		paras := strings.Split(inv.Text, "\n\n")
		keep := []string{paras[0]}
		for _, p := range paras {
			if strings.Contains(p, "XXIV") {
				keep = append(keep, p)
			}
		}
		plain = own + "\n\n" + h[0] + " " + us + "\n" + h[1] + " " + h[4] + "\n" + h[2] + " " + from + "\n" + h[3] + " " + inv.Subject + "\n\n" +
			strings.Join(keep, "\n\n") + "\n[...]\n"
		subject = "R: " + inv.Subject
	case "nested-forward":
		loc := map[outreach.Language]string{outreach.English: "ru", outreach.French: "fr", outreach.Spanish: "es"}[c.lang]
		h := outlookHeaders[loc]
		colleague := "humanrights@" + strings.ToLower(m.ID) + ".mission.example"
		note := map[outreach.Language]string{outreach.English: "FYI. Please advise which pre-sessions we should cover.",
			outreach.French:  "Pour information. Merci de me dire à quelles pré-sessions nous assisterons.",
			outreach.Spanish: "Para su información. ¿A cuáles pre-sesiones asistiremos?"}[c.lang]
		plain = own + "\n\n________________________________\n" + h[0] + " " + colleague + "\n" + h[1] + " 16.09.2017 9:12\n" + h[2] + " " + from + "\n" +
			h[3] + " FW: " + inv.Subject + "\n\n" + note + "\n\n________________________________\n" + h[0] + " " + us + "\n" + h[1] + " " + h[4] + "\n" +
			h[2] + " " + colleague + "\n" + h[3] + " " + inv.Subject + "\n\n" + inv.Text + "\n"
		cte = "quoted-printable"
	case "plain-conversion":
		plain = own + "\n\n" + htmlToPlain(inv.HTML) + "\n"
	default:
		var ok bool
		if htmlBody, subject, ok = quotedHTML(c, m, inv, reply, subject); !ok {
			panic("unknown style " + c.style)
		}
	}
	var b bytes.Buffer
	w := func(s string) { b.WriteString(s + "\n") }
	w("Received: from mail." + strings.ToLower(m.ID) + ".mission.example (mail." + strings.ToLower(m.ID) + ".mission.example [198.51.100." + fmt.Sprint(10+i) + "])")
	w("\tby mx.presessions.example (Postfix) with ESMTPS id " + fmt.Sprintf("Q%05X", 0x1A2B0+i*7919))
	w("\tfor <" + reply + ">; Mon, 18 Sep 2017 10:12:00 +0200")
	w("From: " + mime.QEncoding.Encode("utf-8", "Mission "+m.ID) + " <" + from + ">")
	w("To: UPR Pre-sessions <" + reply + ">")
	w("Subject: " + mime.BEncoding.Encode("utf-8", subject))
	w(fmt.Sprintf("Date: Mon, 18 Sep 2017 %02d:%02d:00 +0200", 9+i%8, (i*7)%60))
	w(fmt.Sprintf("Message-ID: <quoted-%03d.%s@mail.%s.mission.example>", i, strings.ToLower(m.ID), strings.ToLower(m.ID)))
	if c.thread {
		id := testMessageID("invitation", m.ID, "")
		w("In-Reply-To: " + id)
		w("References: " + id)
	}
	w("MIME-Version: 1.0")
	switch {
	case htmlBody != "" && i%3 == 0:
		// HTML only.
		w("Content-Type: text/html; charset=\"utf-8\"")
		w("Content-Transfer-Encoding: quoted-printable")
		w("")
		b.WriteString(qp("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body>" + htmlBody + "</body></html>"))
	case htmlBody != "":
		// The client's own text version of the HTML goes with it.
		w("Content-Type: multipart/alternative; boundary=\"alt-" + fmt.Sprint(i) + "\"")
		w("")
		w("--alt-" + fmt.Sprint(i))
		w("Content-Type: text/plain; charset=\"utf-8\"")
		w("Content-Transfer-Encoding: quoted-printable")
		w("")
		b.WriteString(qp(htmlToPlain(htmlBody)))
		w("")
		w("--alt-" + fmt.Sprint(i))
		w("Content-Type: text/html; charset=\"utf-8\"")
		w("Content-Transfer-Encoding: quoted-printable")
		w("")
		b.WriteString(qp("<html><body>" + htmlBody + "</body></html>"))
		w("")
		w("--alt-" + fmt.Sprint(i) + "--")
	case cte == "quoted-printable":
		w("Content-Type: text/plain; charset=\"utf-8\"")
		w("Content-Transfer-Encoding: quoted-printable")
		w("")
		b.WriteString(qp(plain))
	default:
		w("Content-Type: text/plain; charset=utf-8; format=flowed")
		w("Content-Transfer-Encoding: 8bit")
		w("")
		b.WriteString(plain)
	}
	out := b.String()
	if crlf {
		out = strings.ReplaceAll(out, "\n", "\r\n")
	}
	return []byte(out)
}

func qp(s string) string {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(strings.ReplaceAll(s, "\n", "\r\n")))
	w.Close()
	return strings.ReplaceAll(b.String(), "\r\n", "\n") + "\n"
}

func prefixLines(s, p string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = strings.TrimSpace(p)
		} else {
			lines[i] = p + l
		}
	}
	return strings.Join(lines, "\n")
}

// rewrap joins words into lines of at most n characters; "\x00" marks a
// line break of the original, kept as one.
func rewrap(s string, n int) string {
	var out []string
	cur := ""
	for _, w := range strings.Fields(s) {
		if w == "\x00" {
			out = append(out, cur)
			cur = ""
			continue
		}
		if cur != "" && len(cur)+1+len(w) > n {
			out = append(out, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	return strings.Join(append(out, cur), "\n")
}

// brokenRewrap quotes s with "> " and wraps long lines at n the way a
// client that re-wraps a quote does: the continuation loses its "> ".
func brokenRewrap(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		q := "> " + l
		for len(q) > n {
			cut := strings.LastIndex(q[:n], " ")
			if cut <= 2 {
				break
			}
			out = append(out, q[:cut])
			q = q[cut+1:]
		}
		out = append(out, q)
	}
	return strings.Join(out, "\n")
}

var (
	tagRe   = regexp.MustCompile(`(?s)<[^>]*>`)
	headRe  = regexp.MustCompile(`(?is)<head.*?</head>`)
	blockRe = regexp.MustCompile(`(?i)</?(?:p|div|tr|table|br|h\d|hr|blockquote)\b[^>]*>`)
	cellRe  = regexp.MustCompile(`(?i)</t[dh]>`)
	bodyRe  = regexp.MustCompile(`(?is)<body[^>]*>(.*)</body>`)
)

// htmlToPlain is a client's "plain text" version of HTML: a block a line,
// table cells a line each, tags dropped, entities decoded.
func htmlToPlain(s string) string {
	s = headRe.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "\n", " ")
	s = cellRe.ReplaceAllString(s, "\n")
	s = blockRe.ReplaceAllString(s, "\n")
	s = html.UnescapeString(tagRe.ReplaceAllString(s, ""))
	var out []string
	blank := false
	for _, l := range strings.Split(s, "\n") {
		l = strings.Join(strings.Fields(strings.ReplaceAll(l, "\u00a0", " ")), " ")
		if l == "" {
			if !blank {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

func htmlInner(s string) string {
	if m := bodyRe.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return s
}

func htmlOwn(own string) string {
	var b strings.Builder
	for _, l := range strings.Split(own, "\n") {
		if l == "" {
			b.WriteString("<div><br></div>")
			continue
		}
		b.WriteString("<div dir=\"ltr\">" + html.EscapeString(l) + "</div>")
	}
	return b.String()
}

// TestInvitationRecognised renders the real invitation (for a third of the
// missions, the reminder to missions that have not answered) of every
// mission in every language, as text and as HTML read the way Classify
// reads it, and checks that dropInvitation leaves nothing of it: the
// phrases of invitation.go still match the templates.
func TestInvitationRecognised(t *testing.T) {
	set, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := directory.Missions()
	if err != nil {
		t.Fatal(err)
	}
	ev, ss, err := directory.Round28()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]outreach.Names{}
	for _, m := range ms {
		names[m.ID] = m.Names
	}
	for i, m := range ms {
		for _, lang := range outreach.Languages {
			inv, err := set.Render(templates.Invitation, lang, templates.Data{Event: ev, Mission: m, Sessions: ss, SuRNames: names,
				ReplyTo: "rsvp+" + testToken(m.ID) + "@" + testDomain, Now: time.Date(2017, time.September, 15, 9, 30, 0, 0, ev.Location)})
			if err != nil {
				t.Fatal(err)
			}
			if i%3 == 1 {
				// The reminder to missions that have not answered repeats the
				// schedule, in full or for the sessions not yet answered.
				var answers map[string]outreach.Status
				if i%2 == 0 {
					answers = map[string]outreach.Status{"ARG": outreach.Accepted, "KOR": outreach.Declined, "JPN": outreach.Tentative}
				}
				inv, err = set.Render(templates.ReminderNoAnswer, lang, templates.Data{Event: ev, Mission: m, Sessions: ss, SuRNames: names,
					Answers: answers, ReplyTo: "rsvp+" + testToken(m.ID) + "@" + testDomain,
					Now: time.Date(2017, time.September, 26, 9, 30, 0, 0, ev.Location)})
				if err != nil {
					t.Fatal(err)
				}
			}
			forms := map[string]string{"text": inv.Text}
			if i%5 == 0 || len(m.Titles.EN) > 40 {
				forms["html"], forms["converted"] = htmlLetter(inv.HTML), htmlToPlain(inv.HTML)
			}
			for form, text := range forms {
				if left := strings.TrimSpace(dropInvitation(text, testMailbox)); left != "" {
					t.Errorf("%s %s %s: left of the invitation: %q", m.ID, lang, form, shorten(left, 300))
				}
			}
		}
	}
}

// TestInvitationEchoKept: a mission's letter that repeats words of the
// invitation, or lists the sessions it will attend with times and rooms,
// is its own text and is kept whole.
func TestInvitationEchoKept(t *testing.T) {
	for _, text := range []string{
		"The Permanent Mission of Japan presents its compliments to UPR Info and, with reference to its invitation to the UPR Pre-sessions, to be held from 10 to 13 October 2017 ahead of the 28th session of the Universal Periodic Review (UPR) Working Group, has the honour to inform that its delegation will attend the pre-session on Peru.",
		"La Mission permanente du Bénin présente ses compliments à UPR Info et, se référant à son invitation aux Pré-sessions de l'Examen périodique universel (EPU), qui se tiendront du 10 au 13 octobre 2017, a l'honneur de l'informer que sa délégation assistera à la pré-session sur le Ghana.",
		"We will attend:\n10:00–11:00  Room XXIV  Argentina\n14:00–15:00  Room XXV   Japan\n10:00–11:00  Room XXIV  Peru\nBest regards",
		"Asistiremos a las siguientes Pre-sesiones:\n- 10:00–11:00, Sala XXIV, Argentina\n- 11:30–12:30, Sala XXIV, Ucrania\nAtentamente",
	} {
		if got := dropInvitation(text, testMailbox); got != text {
			t.Errorf("own text cut:\n%s\n→\n%s", text, got)
		}
	}
}

// TestQuoteStart: what a client writes above a quote is found whatever
// its language, and the mission's own lines above it are kept.
func TestQuoteStart(t *testing.T) {
	for _, c := range []struct {
		text string
		want int // the first line dropped
	}{
		{"Merci.\n\n________________________________\nОт: UPR <rsvp@presessions.example>\nОтправлено: 15 сентября 2017 г.\nКому: A <a@x.example>;\n B <b@x.example>\nТема: Invitation\n\nINVITATION", 2},
		{"Thanks.\n\n\u200fمن: UPR <rsvp@presessions.example>\n\u200fتاريخ الإرسال: 15 سبتمبر\n\u200fإلى: a@x.example\n\u200fالموضوع: Invitation\n\nINVITATION", 2},
		{"Gracias.\nAm 15.09.2017 um 10:00 schrieb UPR Pre-sessions <rsvp@presessions.example>:\n\nINVITATION", 1},
		{"Le 15 sept. 2017 à 10:00, UPR Pre-sessions <rsvp@presessions.example> a\nécrit :\n\nINVITATION", 0},
		{"We will attend the following:\n\nINVITATION", 2},
		{"Delegation: Mr A. Sato\n\nINVITATION", 2},
		{"To rsvp@presessions.example:\nWe will attend the pre-session on Japan.\n\nINVITATION", 3},
		{"Bien reçu.\n\nLe Secrétariat\n\nUPR Pre-sessions <rsvp+abc@presessions.example>\n15/09/2017 10:00\n\nA\ngeneva@ben.mission.example\ncc\n\nObjet\nInvitation : Pré-sessions\n\nINVITATION", 4},
	} {
		lines := strings.Split(c.text, "\n")
		first := len(lines) - 1
		if got := quoteStart(lines, first, testMailbox); got != c.want {
			t.Errorf("quoteStart = %d, want %d, in\n%s", got, c.want, c.text)
		}
	}
}
