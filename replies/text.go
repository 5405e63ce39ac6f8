package replies

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

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
	return cleanText(strings.Join(out, "\n"))
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

// sentence is one sentence of a letter.
type sentence struct {
	text     string
	question bool
	colon    bool // ends with a colon: a list follows
}

// abbreviations that end with a full stop inside a sentence.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "dra": true, "prof": true, "st": true, "no": true, "nos": true,
	"nr": true, "e.g": true, "i.e": true, "etc": true, "vs": true, "approx": true, "amb": true, "h.e": true, "s.e": true,
	"mme": true, "mlle": true, "sr": true, "sra": true, "srta": true, "sres": true, "sras": true, "lic": true,
	"ing": true, "excmo": true, "excma": true, "dña": true, "dna": true, "tel": true, "fax": true, "art": true,
	"cf": true, "ca": true, "jr": true, "rep": true, "ref": true, "av": true, "ch": true, "bd": true, "p": true,
	"pp": true, "mm": true, "messrs": true, "gen": true, "col": true, "ud": true, "uds": true, "sgto": true,
}

// sentences splits a letter into sentences. Lines of a paragraph are
// joined unless a line is short or ends a sentence, so wrapped prose reads
// as one text while greetings, list items and signature lines stay apart.
func sentences(text string) []sentence {
	var chunks []string
	var cur strings.Builder
	prev := ""
	flush := func() {
		if cur.Len() > 0 {
			chunks = append(chunks, cur.String())
			cur.Reset()
		}
		prev = ""
	}
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			flush()
			continue
		}
		if cur.Len() > 0 && !joinLines(prev, l) {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(l)
		prev = l
	}
	flush()
	var out []sentence
	for _, c := range chunks {
		for _, s := range splitSentences(c) {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			end := strings.TrimRight(s, ` "')»”’`)
			out = append(out, sentence{
				text:     s,
				question: strings.HasSuffix(end, "?") || strings.HasPrefix(s, "¿"),
				colon:    strings.HasSuffix(end, ":"),
			})
		}
	}
	return out
}

func joinLines(prev, next string) bool {
	if utf8.RuneCountInString(prev) < 30 {
		return false
	}
	switch prev[len(prev)-1] {
	case '.', '!', '?', ':', ';':
		return false
	}
	r, _ := utf8.DecodeRuneInString(next)
	if r == '-' || r == '*' || r == '•' || r == '·' || r == '–' {
		return false
	}
	return true
}

// splitSentences splits a paragraph at ". ", "! " and "? " unless the full
// stop ends an abbreviation or an initial, or a lower-case word follows.
func splitSentences(p string) []string {
	var out []string
	start := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		j := i + 1
		for j < len(p) && strings.IndexByte(`"')»`, p[j]) >= 0 {
			j++
		}
		if j < len(p) && p[j] != ' ' {
			continue
		}
		k := j
		for k < len(p) && p[k] == ' ' {
			k++
		}
		if k >= len(p) {
			continue
		}
		if c == '.' {
			w := lastWord(p[start:i])
			if abbreviations[strings.ToLower(w)] || utf8.RuneCountInString(w) == 1 {
				continue
			}
			r, _ := utf8.DecodeRuneInString(p[k:])
			if unicode.IsLower(r) {
				continue
			}
		}
		out = append(out, p[start:j])
		start = k
		i = k - 1
	}
	return append(out, p[start:])
}

// lastWord returns the word (letters and inner dots) ending s.
func lastWord(s string) string {
	end := len(s)
	i := end
	for i > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:i])
		if !unicode.IsLetter(r) && r != '.' {
			break
		}
		i -= n
	}
	return strings.Trim(s[i:end], ".")
}

// excerpt returns the start of text, about n characters, cut at a word.
func excerpt(text string, n int) string {
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	cut := 0
	count := 0
	for i := range text {
		if count == n {
			cut = i
			break
		}
		count++
	}
	s := text[:cut]
	if sp := strings.LastIndexAny(s, " \n"); sp > n/2 {
		s = s[:sp]
	}
	return strings.TrimSpace(s) + "…"
}

// firstLines returns the opening of a letter after its greeting, about n
// characters, on one line: what staff see as the mission's own words.
func firstLines(text string, n int) string {
	var kept []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			if len(kept) > 0 {
				break
			}
			continue
		}
		if len(kept) == 0 && salutation(fold(l)) && utf8.RuneCountInString(l) < 60 {
			continue
		}
		kept = append(kept, l)
	}
	return excerpt(strings.Join(kept, " "), n)
}
