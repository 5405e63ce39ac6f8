package replies

import (
	"fmt"
	"outreach/message"
	"regexp"
	"strings"
)

// The zones of a letter's text: the sender's own answer, and what is set
// aside before any sentence is read — our invitation, quoted or pasted
// (see dropInvitation); quoted text ("> "), attribution lines ("On ...
// wrote:"), forwarded messages and the header blocks of earlier messages;
// the signature after "-- " and "Sent from my iPhone". A letterhead or a
// closing block written in the answer itself stays in it: the names in it
// say who writes (see reader.roles).

// zones are the parts of one message's text.
type zones struct {
	// answer is the sender's own text, the only part read for answers.
	answer string
	// signature is the block after the first "-- " line, up to a quote or
	// an earlier message's header: what a letter with no own text may
	// still say ("replies with only a signature").
	signature string
	// invitationLines and quotedLines count the lines set aside: our
	// invitation, and the quoted or forwarded text, earlier headers and
	// signature.
	invitationLines, quotedLines int
}

// findZones divides a message's text into its zones; mailbox is the
// organiser's address, whose domain marks our invitation's header and
// footer.
func findZones(full, mailbox string) zones {
	body := dropInvitation(full, mailbox)
	answer := newText(body)
	return zones{
		answer:          answer,
		signature:       signatureBlock(body),
		invitationLines: lineCount(full) - lineCount(body),
		quotedLines:     lineCount(body) - lineCount(answer),
	}
}

// setAside says, for staff, which zones were not read.
func (z zones) setAside() []string {
	var out []string
	if z.invitationLines > 0 {
		out = append(out, fmt.Sprintf("our invitation, quoted or pasted in the message (%d lines)", z.invitationLines))
	}
	if z.quotedLines > 0 {
		out = append(out, fmt.Sprintf("quoted or forwarded text, headers of earlier messages and the signature (%d lines)", z.quotedLines))
	}
	return out
}

// Markers of quoted mail in plain text, in the forms Outlook, Gmail, Apple
// Mail, Thunderbird and webmail write them in English, French and Spanish,
// and the header blocks of Outlook in German, Italian, Russian, Chinese and
// Arabic, which missions' clients use as often.
var (
	separatorRe = regexp.MustCompile(`(?i)^\s*[-_=*]{2,}\s*(?:original message|message d'origine|message original|mensaje original|forwarded message|message transf[ée]r[ée]|mensaje reenviado|ursprüngliche nachricht|weitergeleitete nachricht|reply message|исходное сообщение|пересылаемое сообщение|原始邮件|原始郵件|messaggio originale|messaggio inoltrato|الرسالة الأصلية)\s*[-_=*]{2,}\s*$`)
	forwardRe   = regexp.MustCompile(`(?i)^\s*(?:begin forwarded message|début du message (?:réexpédié|transféré)|inicio del mensaje reenviado)\s*:`)
	underlineRe = regexp.MustCompile(`^\s*_{8,}\s*$`)
	hdrFromRe   = regexp.MustCompile(`(?i)^[\s\p{Cf}]*\**\s*(?:from|de|von|da|van|от|发件人|寄件者|من)\s*\**\s*[:：]\s*\S`)
	hdrNextRe   = regexp.MustCompile(`(?i)^[\s\p{Cf}]*\**\s*(?:sent|envoyé|envoye|enviado|enviada|date|fecha|gesendet|datum|to|à|para|subject|objet|asunto|betreff|cc|an|inviato|data|a|oggetto|отправлено|дата|кому|тема|копия|发送时间|发件时间|日期|收件人|主题|抄送|تاريخ الإرسال|إلى|الموضوع|نسخة)\s*\**\s*[:：]`)
	attribRe    = regexp.MustCompile(`(?i)^\s*(?:on|le|el|am|op|em)\s.{0,400}?(?:wrote|a\s+écrit|a\s+ecrit|escribió|escribio|schrieb|schreef|escreveu)\s*:?\s*$`)
	wroteRe     = regexp.MustCompile(`(?i)^.{0,200}(?:<[^<>\s]+@[^<>\s]+>|@\S+\.\S+).{0,60}(?:wrote|a\s+écrit|escribió|schrieb)\s*:\s*$`)
	mobileRe    = regexp.MustCompile(`(?i)^\s*(?:sent from my|sent from outlook|envoyé de mon|envoye de mon|enviado desde mi|get outlook for|obtenir outlook pour|obtener outlook para|von meinem)\b`)
)

// newText returns the sender's own text: quoted lines ("> "), attribution
// lines, forwarded and Outlook header blocks, signatures after "-- " and
// "Sent from my iPhone" are removed.
func newText(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	if len(text) > maxTextRead {
		text = text[:maxTextRead]
	}
	lines := strings.Split(text, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, ">") {
			continue
		}
		if separatorRe.MatchString(l) || forwardRe.MatchString(l) || mobileRe.MatchString(l) || l == "-- " || t == "--" {
			break
		}
		if underlineRe.MatchString(l) && followedBy(lines, i, hdrFromRe, 3) {
			break
		}
		if hdrFromRe.MatchString(l) && followedBy(lines, i, hdrNextRe, 5) {
			break
		}
		// An attribution line, possibly wrapped over three lines: cut
		// when the quote follows unmarked (top posting), drop it when
		// "> " lines follow (the answer may come below them).
		if end, ok := attribution(lines, i); ok {
			if nextNonBlank(lines, end+1, func(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), ">") }) {
				i = end
				continue
			}
			break
		}
		out = append(out, l)
	}
	return message.CleanText(strings.Join(out, "\n"))
}

// attribution reports whether lines[i] starts an "On ... wrote:" line,
// possibly wrapped onto the next two lines, and where it ends.
func attribution(lines []string, i int) (int, bool) {
	joined := ""
	for k := i; k < len(lines) && k < i+3; k++ {
		if k > i && strings.TrimSpace(lines[k]) == "" {
			break
		}
		if joined != "" {
			joined += " "
		}
		joined += strings.TrimSpace(lines[k])
		if len(joined) > 500 {
			return 0, false
		}
		if attribRe.MatchString(joined) || (k == i && wroteRe.MatchString(joined)) {
			return k, true
		}
	}
	return 0, false
}

func followedBy(lines []string, i int, re *regexp.Regexp, within int) bool {
	for k := i + 1; k < len(lines) && k <= i+within; k++ {
		if re.MatchString(lines[k]) {
			return true
		}
	}
	return false
}

func nextNonBlank(lines []string, from int, f func(string) bool) bool {
	for k := from; k < len(lines); k++ {
		if strings.TrimSpace(lines[k]) != "" {
			return f(lines[k])
		}
	}
	return false
}

// lineCount counts the lines of text that are not blank.
func lineCount(text string) int {
	n := 0
	for l := range strings.SplitSeq(text, "\n") {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}

var (
	// sigLineRe is a line a signature block is made of: a title, the
	// mission, an address, a telephone number.
	sigLineRe = regexp.MustCompile(`(?i)\b(?:mission|permanent|counsel+or|secretary|attach[eé]|ambassador|minister|conseill|secr[eé]taire|consejer|secretari|embajad|tel|phone|fax|mobile|geneva|gen[eè]ve|ginebra|\d{4})\b|\+\d`)
	// ackLineRe is a line that says something: thanks, received, noted.
	ackLineRe = regexp.MustCompile(`(?i)\b(?:thank|thanks|merci|gracias|received|re[çc]u|recibid|noted|not[eé]|dear|bonjour|hello|estimad|regards|salutations|saludos)`)
)

// signatureOnly says whether a letter's own text is nothing but a
// signature block: two or more short lines, none a sentence or a word of
// thanks, at least one a title, the mission, an address or a number.
func signatureOnly(text string) bool {
	n, sig := 0, false
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(l), "-_"))
		if l == "" {
			continue
		}
		n++
		if len(l) > 120 || strings.ContainsAny(l[len(l)-1:], ".!?") || ackLineRe.MatchString(l) {
			return false
		}
		if sigLineRe.MatchString(l) {
			sig = true
		}
	}
	return n >= 2 && sig
}

// signatureBlock returns the lines after a body's first "-- " line, up to
// a quote or a forwarded or quoted message's header.
func signatureBlock(body string) string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		if l != "-- " && strings.TrimSpace(l) != "--" {
			continue
		}
		var out []string
		for _, s := range lines[i+1:] {
			if strings.HasPrefix(strings.TrimSpace(s), ">") || separatorRe.MatchString(s) || forwardRe.MatchString(s) || hdrFromRe.MatchString(s) || attribRe.MatchString(s) {
				break
			}
			out = append(out, s)
		}
		return strings.Join(out, "\n")
	}
	return ""
}

var (
	// A header line of a quote in any language: a short label, a colon
	// (full-width in Chinese), a value ("От: UPR Info <...>", "发件人:
	// ...", "Inviato: ...").
	quoteHeaderRe = regexp.MustCompile(`^[\s>\p{Cf}]*\**[\p{L}][\p{L}\p{M}\p{Cf} .'’-]{0,30}\**\s*[:：]\s*\S`)
	// A line that ends with a colon: an attribution ("Am ... schrieb X
	// <...>:", "On ... wrote:") or "Begin forwarded message:".
	quoteIntroRe = regexp.MustCompile(`[:：]\s*$`)
	// A separator line ("________", "-----Исходное сообщение-----").
	quoteRuleRe = regexp.MustCompile(`^[\s>]*(?:[-_=*]{2,}.*[-_=*]{2,}|[-_=*]{8,})\s*$`)
)

// quoteStart walks back from the first line of a quoted invitation over
// what a client writes above a quote: a header block, an attribution line,
// a separator, and the blank lines between them. A header block is taken
// as one when it has two lines or names an address, so that a mission's
// own "Delegation: Mr A. Sato" above the quote stays its own.
func quoteStart(lines []string, first int, mailbox string) int {
	start := headerStart(lines, first)
	// Our own address above the quote, with no sentence between: the
	// sender line of a header block whose labels have no colons (Lotus
	// Notes: "A", "cc", "Objet" on lines of their own).
	_, domain, _ := strings.Cut(strings.ToLower(mailbox), "@")
	if domain == "" {
		return start
	}
	for k := start - 1; k >= 0 && first-k <= 16; k-- {
		l := strings.ToLower(lines[k])
		if strings.Contains(l, "@"+domain) && len(l) < 400 {
			start = k
			if k > 0 && quoteRuleRe.MatchString(lines[k-1]) {
				start = k - 1
			}
			continue
		}
		// A sentence is the mission's: the walk stops there.
		if t := strings.TrimSpace(l); len(strings.Fields(t)) > 25 || strings.HasSuffix(t, ".") || strings.HasSuffix(t, "!") || strings.HasSuffix(t, "?") {
			break
		}
	}
	return start
}

// headerStart is quoteStart for the header blocks and attribution lines
// that can be read by their form.
func headerStart(lines []string, first int) int {
	start, block := first, first
	headers, addr := 0, false
	header := func() int {
		if headers >= 2 || addr {
			return block
		}
		return start
	}
	for k := first - 1; k >= 0 && first-k <= 12; k-- {
		t := strings.TrimSpace(strings.TrimLeft(lines[k], "> "))
		switch {
		case t == "":
			continue
		case quoteRuleRe.MatchString(lines[k]):
			return k
		case quoteHeaderRe.MatchString(lines[k]) && len(t) < 400:
			headers++
			addr = addr || strings.Contains(t, "@")
			block = k
		case headers > 0 && strings.Contains(t, "@") && len(t) < 400:
			// A list of recipients wrapped onto the next line.
			addr = true
			block = k
		case quoteIntroRe.MatchString(t) && len(t) < 400 && (headers > 0 || quoteIntroWordRe.MatchString(t)):
			start = k
			if wrapped := k - 1; wrapped >= 0 && strings.TrimSpace(lines[wrapped]) != "" && !quoteIntroRe.MatchString(lines[wrapped]) &&
				attributionStart(lines[wrapped]) {
				start = wrapped
			}
			return start
		default:
			return header()
		}
	}
	return header()
}

// quoteIntroWordRe: what an attribution or forwarding line says.
var quoteIntroWordRe = regexp.MustCompile(`(?i)@|wrote|écrit|ecrit|escribi|schrieb|scritto|message|mensaje|nachricht|написал|写道|كتب`)

var attributionStartRe = regexp.MustCompile(`(?i)^\s*(?:on|le|el|am|il|em|op)\s`)

func attributionStart(l string) bool { return attributionStartRe.MatchString(l) }

var closingPlaceRe = regexp.MustCompile(`(?i)^[\s>]*(?:geneva|genève|geneve|ginebra)\b`)

// quoteEnd extends the last line of a quoted invitation over its place and
// date line ("Geneva, 15 September 2017") and the footer of its HTML
// layout (our name, telephone and address).
func quoteEnd(lines []string, total []int, last int, mailbox string) int {
	end := last
	domain := ""
	if _, d, ok := strings.Cut(strings.ToLower(mailbox), "@"); ok {
		domain = d
	}
	for k, seen := last+1, 0; k < len(lines) && seen < 3; k++ {
		if total[k] == 0 {
			continue
		}
		seen++
		l := strings.ToLower(lines[k])
		if total[k] <= 20 && (closingPlaceRe.MatchString(l) || (domain != "" && strings.Contains(l, domain))) {
			end = k
			continue
		}
		break
	}
	return end
}
