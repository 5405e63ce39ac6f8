package replies

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Our invitation, recognised by its content. A mission's client may quote
// it under a header outreach cannot read (Outlook in Russian or Chinese,
// "Am ... schrieb" with no "> "), paste it with no header, quote it inside
// an HTML <div>, re-wrap it or turn its HTML into text; whatever was done
// to it, its sentences and its schedule remain, and none of its words is
// the mission's answer.
//
// invitationPhrases are the fixed sentences of templates/*/invitation and
// of the contact and closing blocks in English, French and Spanish, cut
// where the templates insert a name, a date or an address. The example
// answer the invitation gives ("We will attend the Pre-sessions on ...")
// is left out: a mission writes the same words. TestInvitationRecognised
// renders the real invitations and checks that these phrases still find
// every line of them.
var invitationPhrases = []string{
	// English.
	"presents its compliments to the",
	"and has the honour to invite it to the UPR Pre-sessions, to be held",
	"session of the Universal Periodic Review (UPR) Working Group.",
	"The Pre-sessions offer civil society organisations (CSOs) and national human rights institutions (NHRIs) the opportunity to brief Permanent Missions on the human rights situation in the States under Review, and to engage in direct dialogue with States before the review, so that their concerns and recommendations can be taken into consideration.",
	"Each Pre-session lasts one hour. CSO and NHRI speakers take the floor for 5 to 7 minutes each to present their assessment of the human rights situation since the previous review and of the progress made in implementing its recommendations.",
	"In keeping with the principles of transparency and universality, all Permanent Missions are invited to every Pre-session, including the States under Review.",
	"Please note that the dates and venue are provisional, pending final confirmation from the United Nations.",
	"The Pre-sessions will be held as follows (Geneva time):",
	"would be grateful if the Permanent Mission could indicate",
	"which Pre-sessions its delegation will attend. It may simply reply to this email",
	"naming the Pre-sessions in plain words",
	"and, if possible, the names of its delegates; or it may accept the calendar invitations attached to this email, one for each Pre-session.",
	"For any question,", "can be reached by telephone on", "or by email at", "Further information is available at",
	"avails itself of this opportunity to renew to the", "the assurances of its highest consideration.",
	"Time (Geneva) State under Review Room",
	// French.
	"présente ses compliments à la",
	"et a l'honneur de l'inviter aux Pré-sessions de l'Examen périodique universel (EPU), qui se tiendront",
	"session du Groupe de travail sur l'EPU.",
	"Les Pré-sessions offrent aux organisations de la société civile (OSC) et aux institutions nationales des droits de l'homme (INDH) la possibilité d'informer les missions permanentes de la situation des droits de l'homme dans les États sous examen et de dialoguer directement avec les États avant l'examen, afin que leurs préoccupations et leurs recommandations soient prises en considération.",
	"Chaque Pré-session dure une heure. Les intervenants des OSC et des INDH disposent chacun de 5 à 7 minutes pour présenter leur évaluation de la situation des droits de l'homme depuis l'examen précédent et des progrès accomplis dans la mise en œuvre des recommandations.",
	"Conformément aux principes de transparence et d'universalité, toutes les missions permanentes sont invitées à chacune des Pré-sessions, y compris les États sous examen.",
	"précise que les dates et le lieu restent provisoires, dans l'attente de la confirmation définitive de l'Organisation des Nations Unies.",
	"Les Pré-sessions se tiendront comme suit (heure de Genève) :",
	"saurait gré à la Mission permanente de bien vouloir lui indiquer",
	"les Pré-sessions auxquelles sa délégation assistera. Il suffit de répondre à ce courriel",
	"en nommant simplement les Pré-sessions",
	"et, si possible, les noms des délégués, ou d'accepter les invitations de calendrier jointes à ce courriel, une par Pré-session.",
	"Pour toute question,", "se tient à la disposition de la Mission permanente par téléphone au", "ou par courriel à l'adresse",
	"De plus amples informations sont disponibles sur",
	"saisit cette occasion pour renouveler à la", "les assurances de sa haute considération.",
	"Heure (Genève) État sous examen Salle",
	// Spanish.
	"saluda atentamente a la",
	"y tiene el honor de invitarla a las Pre-sesiones del Examen Periódico Universal (EPU), que se celebrarán",
	"período de sesiones del Grupo de Trabajo sobre el EPU.",
	"Las Pre-sesiones ofrecen a las organizaciones de la sociedad civil (OSC) y a las instituciones nacionales de derechos humanos (INDH) la oportunidad de informar a las misiones permanentes sobre la situación de los derechos humanos en los Estados examinados y de dialogar directamente con los Estados antes del examen, a fin de que sus preocupaciones y recomendaciones se tengan en cuenta.",
	"Cada Pre-sesión dura una hora. Los oradores de las OSC y de las INDH disponen de 5 a 7 minutos cada uno para presentar su evaluación de la situación de los derechos humanos desde el examen anterior y de los progresos realizados en la aplicación de las recomendaciones.",
	"De conformidad con los principios de transparencia y universalidad, todas las misiones permanentes están invitadas a cada una de las Pre-sesiones, incluidos los Estados examinados.",
	"desea señalar que las fechas y el lugar son provisionales, a la espera de la confirmación definitiva de las Naciones Unidas.",
	"Las Pre-sesiones se celebrarán de la siguiente manera (hora de Ginebra):",
	"agradecería a la Misión Permanente que tuviera a bien indicar",
	"a qué Pre-sesiones asistirá su delegación. Basta con responder a este correo",
	"nombrando las Pre-sesiones con sus propias palabras",
	"y, de ser posible, los nombres de los delegados, o bien aceptar las invitaciones de calendario adjuntas a este correo, una por cada Pre-sesión.",
	"Para cualquier consulta,", "queda a disposición de la Misión Permanente en el teléfono", "o por correo electrónico en la dirección",
	"Encontrará más información en",
	"aprovecha la oportunidad para reiterar a la", "las seguridades de su más alta consideración.",
	"Hora (Ginebra) Estado examinado Sala",
	// The reminder to missions that have not answered, which repeats the
	// schedule: the same rule holds for it.
	"and wishes to recall its invitation to the UPR Pre-sessions, to be held",
	"session of the UPR Working Group.",
	"thanks the Permanent Mission for the answers already received. No answer has been received yet for the following Pre-sessions (Geneva time):",
	"No answer from the Permanent Mission has been received yet.",
	"would be grateful to know", "which of these Pre-sessions the delegation will attend. A reply to this email",
	"naming the Pre-sessions in plain words is sufficient; accepting the calendar invitations received with the invitation works as well.",
	"et se permet de lui rappeler son invitation aux Pré-sessions de l'EPU, qui se tiendront",
	"remercie la Mission permanente des réponses déjà reçues. Aucune réponse n'a encore été reçue pour les Pré-sessions suivantes (heure de Genève) :",
	"n'a pas encore reçu de réponse de la Mission permanente.",
	"Une simple réponse à ce courriel", "nommant les Pré-sessions suffit ; il est aussi possible d'accepter les invitations de calendrier reçues avec l'invitation.",
	"y se permite recordarle su invitación a las Pre-sesiones del EPU, que se celebrarán",
	"agradece a la Misión Permanente las respuestas ya recibidas. Aún no se ha recibido respuesta para las siguientes Pre-sesiones (hora de Ginebra):",
	"Aún no se ha recibido la respuesta de la Misión Permanente.",
	"agradecería saber", "a cuáles de estas Pre-sesiones asistirá la delegación. Basta con una respuesta a este correo",
	"que nombre las Pre-sesiones; también es posible aceptar las invitaciones de calendario recibidas con la invitación.",
}

// shingleSize is the number of words in a row that must be the
// invitation's for them to count as quoted: long enough that a mission's
// own sentence does not match by chance.
const shingleSize = 5

// Thresholds of a quoted invitation: a line is the invitation's when at
// least half of its words are; a run of such lines is the invitation when
// it holds at least minQuotedWords of them, which no letter echoing a
// phrase of the invitation ("your invitation to the UPR Pre-sessions to be
// held ...") reaches and any quote of a paragraph or of the schedule does.
const (
	minQuotedWords = 40
	maxQuoteGap    = 8 // lines of other text (day headings, a name) inside one quote
)

// invitationShingles holds every run of shingleSize words of the
// phrases, and whole phrases of three or four words ("saluda atentamente
// a la").
var invitationShingles = sync.OnceValue(func() map[shingle]bool {
	set := map[shingle]bool{}
	for _, p := range invitationPhrases {
		ws := words(p)
		if len(ws) >= 3 && len(ws) < shingleSize {
			set[shingleOf(ws)] = true
		}
		for i := 0; i+shingleSize <= len(ws); i++ {
			set[shingleOf(ws[i:i+shingleSize])] = true
		}
	}
	return set
})

// shingle is a run of up to shingleSize folded words.
type shingle [shingleSize]string

func shingleOf(ws []word) shingle {
	var s shingle
	for i, w := range ws {
		s[i] = w.text
	}
	return s
}

// word is one word of a text: letters and digits, folded, with its line.
type word struct {
	text string
	line int
}

func words(s string) []word {
	var out []word
	line := 0
	start := -1
	flush := func(end int) {
		if start >= 0 {
			out = append(out, word{text: foldWord(s[start:end]), line: line})
			start = -1
		}
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if start < 0 {
				start = i
			}
		case r == '\n':
			flush(i)
			line++
		default:
			flush(i)
		}
	}
	flush(len(s))
	return out
}

// foldWord folds one word, without copying one that is already folded.
func foldWord(w string) string {
	for i := 0; i < len(w); i++ {
		if c := w[i]; c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' {
			return fold(w)
		}
	}
	return w
}

func wordTexts(ws []word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.text
	}
	return out
}

// isTime reports whether w is an hour or minutes of a clock time.
func isTime(w string) bool {
	return len(w) >= 1 && len(w) <= 2 && w[0] >= '0' && w[0] <= '9' && (len(w) == 1 || w[1] >= '0' && w[1] <= '9')
}

var romanRe = regexp.MustCompile(`^[ivxlc]+$`)

// markSchedule marks the lines of the schedule block: a time range
// ("10:00–11:00") with, within a few words, a room ("Room XXIV", "Salle
// XXV", "Sala XXIV"), whichever order the text or HTML put them in.
func markSchedule(ws []word, marked []bool) {
	for i := 0; i+3 < len(ws); i++ {
		if !(isTime(ws[i].text) && len(ws[i+1].text) == 2 && isTime(ws[i+1].text) && isTime(ws[i+2].text) && len(ws[i+3].text) == 2 && isTime(ws[i+3].text)) {
			continue
		}
		for k := i + 4; k+1 < len(ws) && k < i+10; k++ {
			switch ws[k].text {
			case "room", "salle", "sala":
			default:
				continue
			}
			if romanRe.MatchString(ws[k+1].text) {
				for j := i; j <= k+1; j++ {
					marked[j] = true
				}
				i = k + 1
				break
			}
		}
	}
}

// dropInvitation returns text without the quoted invitation it holds:
// each run of lines that are the invitation's, with the header block or
// attribution line just above it and the place and date line just below.
// Text with no such run is returned as it is.
func dropInvitation(text, mailbox string) string {
	ws := words(text)
	if len(ws) < minQuotedWords {
		return text
	}
	marked := markInvitation(ws)
	lines := strings.Split(text, "\n")
	total, hits := lineHits(len(lines), ws, marked)
	drop := make([]bool, len(lines))
	found := false
	for l := 0; l < len(lines); l++ {
		if !invitationLine(hits, total, l) {
			continue
		}
		first, last, weight := invitationRun(hits, total, l)
		l = last
		if weight < minQuotedWords {
			continue
		}
		found = true
		dropQuote(lines, ws, marked, hits, total, first, last, mailbox, drop)
	}
	if !found {
		return text
	}
	var out []string
	for l, s := range lines {
		if !drop[l] {
			out = append(out, s)
		}
	}
	return strings.Join(out, "\n")
}

// markInvitation marks the words of ws that are the invitation's: runs
// of its phrases, and its schedule.
func markInvitation(ws []word) []bool {
	shingles := invitationShingles()
	marked := make([]bool, len(ws))
	for i := range ws {
		for n := 3; n <= shingleSize && i+n <= len(ws); n++ {
			if shingles[shingleOf(ws[i:i+n])] {
				for k := i; k < i+n; k++ {
					marked[k] = true
				}
			}
		}
	}
	markSchedule(ws, marked)
	return marked
}

// lineHits counts, for each of n lines, its words (total) and those of
// them that are the invitation's (hits).
func lineHits(n int, ws []word, marked []bool) (total, hits []int) {
	total = make([]int, n)
	hits = make([]int, n)
	for i, w := range ws {
		total[w.line]++
		if marked[i] {
			hits[w.line]++
		}
	}
	return total, hits
}

// invitationLine reports whether line l is the invitation's: at least
// half of its words are.
func invitationLine(hits, total []int, l int) bool { return hits[l] > 0 && 2*hits[l] >= total[l] }

// invitationRun is the run of the invitation's lines that starts at line
// l, allowing short gaps of other text: its first and last lines and the
// number of the invitation's words in it.
func invitationRun(hits, total []int, l int) (first, last, weight int) {
	first, last, gap := l, l, 0
	for k := l; k < len(total) && gap <= maxQuoteGap; k++ {
		switch {
		case invitationLine(hits, total, k) || (hits[k] > 0 && 3*hits[k] >= total[k]):
			// Once inside the quote, a third is enough: the closing
			// sentence around a long title of a mission.
			last, weight, gap = k, weight+hits[k], 0
		case total[k] > 0:
			gap++
		}
	}
	return first, last, weight
}

// dropQuote marks to drop the quoted invitation of lines first..last:
// with the lines of the same paragraph, re-wrapped, whose phrase is too
// short to make the line the invitation's, what a client writes above
// the quote and the footer below it, which go whole; the quote itself
// keeps an interleaved answer.
func dropQuote(lines []string, ws []word, marked []bool, hits, total []int, first, last int, mailbox string, drop []bool) {
	for first > 0 && total[first-1] > 0 && hits[first-1] > 0 {
		first--
	}
	for last+1 < len(lines) && total[last+1] > 0 && hits[last+1] > 0 {
		last++
	}
	body := first
	first = quoteStart(lines, organiserLine(lines, ws, marked, first), mailbox)
	end := quoteEnd(lines, total, last, mailbox)
	for k := first; k < body; k++ {
		drop[k] = true
	}
	keepInline(lines, hits, total, body, last, drop)
	for k := last + 1; k <= end; k++ {
		drop[k] = true
	}
}

// keepInline marks the lines first..last to drop, except, in a quote
// marked with "> ", the mission's own paragraphs written between quoted
// lines (an interleaved answer): lines with no "> ", none of the
// invitation's words, starting after a blank or quoted blank line. A
// continuation line that lost its "> " in re-wrapping follows a quoted
// line directly and is dropped.
func keepInline(lines []string, hits, total []int, first, last int, drop []bool) {
	quoted, ours := 0, 0
	for k := first; k <= last; k++ {
		if hits[k] > 0 {
			ours++
			if strings.HasPrefix(strings.TrimSpace(lines[k]), ">") {
				quoted++
			}
		}
	}
	inQuote := ours > 0 && 5*quoted >= 4*ours
	own := false
	for k := first; k <= last; k++ {
		t := strings.TrimSpace(lines[k])
		isQuoted := strings.HasPrefix(t, ">")
		switch {
		case !inQuote:
		case t == "":
			own = false
			continue
		case !isQuoted && hits[k] == 0 && total[k] > 0 && (own || k == 0 || blankOrQuoteMark(lines[k-1])):
			own = true
			continue
		}
		own = false
		drop[k] = true
	}
}

func blankOrQuoteMark(l string) bool { return strings.Trim(l, "> \t\r") == "" }

// organiserLine returns the line of the invitation's letterhead above
// first, when there is one: the organiser's name alone on a line, as the
// HTML layout writes it, the same words that open the invitation's first
// line ("UPR Info" above "UPR Info presents its compliments ...").
func organiserLine(lines []string, ws []word, marked []bool, first int) int {
	var prefix []string
	for i, w := range ws {
		if w.line < first {
			continue
		}
		if w.line > first || marked[i] {
			break
		}
		prefix = append(prefix, w.text)
	}
	if len(prefix) == 0 || len(prefix) > 6 {
		return first
	}
	for k := first - 1; k >= 0 && first-k <= 3; k-- {
		lw := wordTexts(words(lines[k]))
		if len(lw) == 0 {
			continue
		}
		if strings.Join(lw, " ") == strings.Join(prefix, " ") {
			return k
		}
		break
	}
	return first
}
