package jobs

import (
	"fmt"
	"strings"

	"outreach"
	"outreach/ical"
	"outreach/mailer"
	"outreach/store"
	"outreach/templates"
)

// The two messages a reply page sends: the cancellation of a session a
// mission gave up (one inline METHOD:CANCEL, like a session's own
// cancellation), and the summary of its answers. Both are plain text in
// the mission's language; they are notes the engine writes, not letters.

// pageText holds a reply page message's wording in one language.
type pageText struct {
	withdrawSubject string // %s: the session's calendar title
	withdraw        string // %[1]s organiser, %[2]s mission's title, %[3]s session title, %[4]s date, %[5]s time, %[6]s room, %[7]s how the mission said so (withdrawnBy)
	// withdrawnBy says how the mission gave the session up, by the
	// source of its answer; closeBy replaces close after such an answer
	// not given on the reply page.
	withdrawnBy                                      map[outreach.SourceKind]string
	closeBy                                          string
	again                                            string // %s: the page's link
	summarySubject                                   string
	summary                                          string // %[1]s organiser, %[2]s mission's title
	attend, decline, undecided, tentative, cancelled string
	delegates, comment, change, contact              string
	close                                            string
}

var pageTexts = map[outreach.Language]pageText{
	outreach.English: {
		withdrawSubject: "%s (removed from your calendar)",
		withdraw:        "%[1]s acknowledges that the %[2]s will not attend the Pre-session \"%[3]s\" (%[4]s, %[5]s Geneva time, %[6]s), %[7]s.\n\nThe calendar message attached removes this Pre-session from the delegation's calendar.",
		withdrawnBy: map[outreach.SourceKind]string{outreach.FromWeb: "as it indicated on its reply page",
			outreach.FromEmail: "as it indicated in its reply", outreach.FromStaff: "as it informed us"},
		closeBy:        "This note was written automatically after the delegation's answer was recorded.",
		again:          "Should the delegation's plans change again, its reply page remains open:\n%s",
		summarySubject: "UPR Pre-sessions: your answers as recorded",
		summary:        "%[1]s thanks the %[2]s for its answers, recorded as follows:",
		attend:         "will attend", decline: "will not attend", undecided: "not yet decided", tentative: "tentative", cancelled: "cancelled",
		delegates: "Delegates:", comment: "Comment:",
		change:  "The answers can be changed on the reply page until %s:\n%s",
		contact: "For any question: %s.",
		close:   "This note was written automatically after the reply page was submitted.",
	},
	outreach.French: {
		withdrawSubject: "%s (retirée de votre calendrier)",
		withdraw:        "%[1]s prend note que la %[2]s ne participera pas à la Pré-session « %[3]s » (%[4]s, %[5]s, heure de Genève, %[6]s), %[7]s.\n\nLe message de calendrier joint retire cette Pré-session du calendrier de la délégation.",
		withdrawnBy: map[outreach.SourceKind]string{outreach.FromWeb: "comme elle l'a indiqué sur sa page de réponse",
			outreach.FromEmail: "comme elle l'a indiqué dans sa réponse", outreach.FromStaff: "comme elle nous en a informés"},
		closeBy:        "Cette note a été écrite automatiquement après l'enregistrement de la réponse de la délégation.",
		again:          "Si les projets de la délégation changent à nouveau, sa page de réponse reste ouverte :\n%s",
		summarySubject: "Pré-sessions de l'EPU : vos réponses enregistrées",
		summary:        "%[1]s remercie la %[2]s de ses réponses, enregistrées comme suit :",
		attend:         "participera", decline: "ne participera pas", undecided: "pas encore décidé", tentative: "provisoire", cancelled: "annulée",
		delegates: "Délégués :", comment: "Commentaire :",
		change:  "Les réponses peuvent être modifiées sur la page de réponse jusqu'au %s :\n%s",
		contact: "Pour toute question : %s.",
		close:   "Cette note a été écrite automatiquement après l'envoi de la page de réponse.",
	},
	outreach.Spanish: {
		withdrawSubject: "%s (retirada de su calendario)",
		withdraw:        "%[1]s toma nota de que la %[2]s no asistirá a la Pre-sesión «%[3]s» (%[4]s, %[5]s, hora de Ginebra, %[6]s), %[7]s.\n\nEl mensaje de calendario adjunto retira esta Pre-sesión del calendario de la delegación.",
		withdrawnBy: map[outreach.SourceKind]string{outreach.FromWeb: "como indicó en su página de respuesta",
			outreach.FromEmail: "como indicó en su respuesta", outreach.FromStaff: "como nos comunicó"},
		closeBy:        "Esta nota se escribió automáticamente tras registrarse la respuesta de la delegación.",
		again:          "Si los planes de la delegación cambian de nuevo, su página de respuesta sigue abierta:\n%s",
		summarySubject: "Pre-sesiones del EPU: sus respuestas registradas",
		summary:        "%[1]s agradece a la %[2]s sus respuestas, registradas como sigue:",
		attend:         "asistirá", decline: "no asistirá", undecided: "aún no decidido", tentative: "provisional", cancelled: "cancelada",
		delegates: "Delegados:", comment: "Comentario:",
		change:  "Las respuestas pueden modificarse en la página de respuesta hasta el %s:\n%s",
		contact: "Para cualquier consulta: %s.",
		close:   "Esta nota se escribió automáticamente tras el envío de la página de respuesta.",
	},
}

func textOf(l outreach.Language) pageText {
	if t, ok := pageTexts[l]; ok {
		return t
	}
	return pageTexts[outreach.English]
}

// composePage writes a withdrawal or a page summary for it, from what the
// store holds now.
func (e *Engine) composePage(t *templates.Set, tx *store.Tx, it outreach.OutboxItem, rd roundData, revs map[string]int) (*mailer.Message, error) {
	m, err := tx.Mission(it.Key.Mission)
	if err != nil {
		return nil, err
	}
	var to []mailer.Address
	for _, c := range m.Usable() {
		to = append(to, mailer.Address{Name: m.Title(), Email: c.Email})
	}
	if len(to) == 0 {
		return nil, errNoAddress
	}
	replyTo := e.ReplyAddress(tx, m.ID)
	msg := &mailer.Message{
		MessageID: it.MessageID,
		From:      mailer.Address{Name: e.organiserName(), Email: e.event.Mailbox.Email},
		To:        to,
		ReplyTo:   &mailer.Address{Name: e.organiserName(), Email: replyTo},
		Date:      e.now(),
		Headers:   [][2]string{{"Auto-Submitted", "auto-generated"}, {"X-Auto-Response-Suppress", "OOF, AutoReply"}},
	}
	lang := m.Language
	tx0 := textOf(lang)
	link := e.pageLink(tx, m.ID)
	closing := tx0.close
	var b strings.Builder
	switch it.Key.Kind {
	case outreach.Withdrawal:
		var s *outreach.Session
		for i := range rd.sessions {
			if rd.sessions[i].SuR == it.Key.Session {
				s = &rd.sessions[i]
			}
		}
		if s == nil {
			return nil, fmt.Errorf("session %s no longer exists", it.Key.Session)
		}
		ct := e.calendarText(t, lang, *s, rd)
		ev := e.calendarEvent(t, m, *s, rd, "DECLINED")
		ev.Status = "CANCELLED"
		ev.Sequence += tx.CopySequence(m.ID, s.SuR)
		ics, err := ical.Cancel(ev, ical.WithProdID(ProdID))
		if err != nil {
			return nil, err
		}
		msg.Calendar = &mailer.Calendar{Method: "CANCEL", Data: ics}
		revs[s.SuR] = s.Sequence
		msg.Subject = fmt.Sprintf(tx0.withdrawSubject, ct.summary)
		r, err := tx.RSVP(m.ID, s.SuR)
		if err != nil {
			return nil, err
		}
		by, ok := tx0.withdrawnBy[r.Source.Kind]
		if !ok {
			by = tx0.withdrawnBy[outreach.FromEmail]
		}
		if r.Source.Kind != outreach.FromWeb {
			closing = tx0.closeBy
		}
		fmt.Fprintf(&b, tx0.withdraw, e.event.Organiser, m.Title(), ct.summary,
			templates.FullDate(lang, s.Start), templates.TimeRange(s.Start, s.End), s.Room, by)
		if link != "" && e.now().Before(e.pageDeadline()) {
			b.WriteString("\n\n")
			fmt.Fprintf(&b, tx0.again, link)
		}
	case outreach.PageSummary:
		msg.Subject = tx0.summarySubject
		fmt.Fprintf(&b, tx0.summary, e.event.Organiser, m.Title())
		b.WriteString("\n\n")
		for _, s := range rd.sessions {
			r, err := tx.RSVP(m.ID, s.SuR)
			if err != nil {
				return nil, err
			}
			answer := tx0.undecided
			switch {
			case s.Status == outreach.Cancelled:
				answer = tx0.cancelled
			case r.Status == outreach.Accepted:
				answer = tx0.attend
			case r.Status == outreach.Declined:
				answer = tx0.decline
			case r.Status == outreach.Tentative:
				answer = tx0.tentative
			}
			fmt.Fprintf(&b, "  %s, %s  %s: %s\n", templates.ShortDate(lang, s.Start), templates.Clock(s.Start),
				rd.names[s.SuR].In(lang), answer)
		}
		ps, err := tx.PageState(m.ID)
		if err != nil {
			return nil, err
		}
		if len(ps.Delegates) > 0 {
			b.WriteString("\n" + tx0.delegates + "\n")
			for _, d := range ps.Delegates {
				line := "  " + outreach.HeaderText(d.Name)
				if d.Email != "" {
					line += " <" + d.Email + ">"
				}
				b.WriteString(line + "\n")
			}
		}
		if strings.TrimSpace(ps.Comment) != "" {
			b.WriteString("\n" + tx0.comment + "\n")
			for _, l := range strings.Split(outreach.HeaderText(ps.Comment), "\n") {
				b.WriteString("  " + strings.TrimRight(l, "\r") + "\n")
			}
		}
		if link != "" && e.now().Before(e.pageDeadline()) {
			b.WriteString("\n")
			fmt.Fprintf(&b, tx0.change, templates.FullDate(lang, e.local(e.pageDeadline())), link)
			b.WriteString("\n")
		}
	default:
		return nil, fmt.Errorf("not a reply page message: %s", it.Key.Kind)
	}
	b.WriteString("\n\n")
	fmt.Fprintf(&b, tx0.contact, e.pageContact())
	b.WriteString("\n\n-- \n" + e.event.Organiser + "\n" + closing + "\n")
	msg.Text = b.String()
	return msg, nil
}

// pageContact is whom a mission writes to about its answers: the staff
// address, else the organiser mailbox, with the telephone when known.
func (e *Engine) pageContact() string {
	c := e.event.Staff.Email
	if c == "" {
		c = e.event.Mailbox.Email
	}
	if e.event.Phone != "" {
		c += ", " + e.event.Phone
	}
	return c
}
