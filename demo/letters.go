package demo

import (
	"fmt"
	"mime"
	"strings"
	"time"

	"outreach"
)

// The letters simulated missions write, in the register of a diplomatic
// note, in the mission's working language.

// list joins names the way each language does: "A, B and C".
func list(lang outreach.Language, names []string) string {
	and := map[outreach.Language]string{outreach.English: " and ", outreach.French: " et ", outreach.Spanish: " y "}[lang]
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + and + names[len(names)-1]
}

func closing(lang outreach.Language, title, organiser string) string {
	switch lang {
	case outreach.French:
		return fmt.Sprintf("La %s saisit cette occasion pour renouveler à %s les assurances de sa haute considération.", title, organiser)
	case outreach.Spanish:
		return fmt.Sprintf("La %s aprovecha la oportunidad para reiterar a %s las seguridades de su más alta consideración.", title, organiser)
	}
	return fmt.Sprintf("The %s avails itself of this opportunity to renew to %s the assurances of its highest consideration.", title, organiser)
}

// acceptLetter confirms the named sessions (all of them when all is set)
// and names the delegates.
func acceptLetter(lang outreach.Language, title, organiser string, names []string, all bool, delegates []string) string {
	var b strings.Builder
	switch lang {
	case outreach.French:
		fmt.Fprintf(&b, "La %s présente ses compliments à %s et a l'honneur de confirmer ", title, organiser)
		if all {
			b.WriteString("sa participation à toutes les pré-sessions de la 28e session de l'EPU.")
		} else if len(names) == 1 {
			fmt.Fprintf(&b, "sa participation à la pré-session consacrée au pays suivant : %s.", names[0])
		} else {
			fmt.Fprintf(&b, "sa participation aux pré-sessions consacrées aux pays suivants : %s.", list(lang, names))
		}
		if len(delegates) > 0 {
			fmt.Fprintf(&b, "\n\nLa Mission sera représentée par %s.", list(lang, delegates))
		}
	case outreach.Spanish:
		fmt.Fprintf(&b, "La %s saluda atentamente a %s y tiene el honor de confirmar ", title, organiser)
		if all {
			b.WriteString("su participación en todas las pre-sesiones del 28º período de sesiones del EPU.")
		} else if len(names) == 1 {
			fmt.Fprintf(&b, "su participación en la pre-sesión sobre el siguiente país: %s.", names[0])
		} else {
			fmt.Fprintf(&b, "su participación en las pre-sesiones sobre los siguientes países: %s.", list(lang, names))
		}
		if len(delegates) > 0 {
			fmt.Fprintf(&b, "\n\nLa Misión estará representada por %s.", list(lang, delegates))
		}
	default:
		fmt.Fprintf(&b, "The %s presents its compliments to %s and has the honour to confirm that the Mission will attend ", title, organiser)
		if all {
			b.WriteString("all the pre-sessions of the 28th UPR session.")
		} else if len(names) == 1 {
			fmt.Fprintf(&b, "the pre-session on %s.", names[0])
		} else {
			fmt.Fprintf(&b, "the pre-sessions on %s.", list(lang, names))
		}
		if len(delegates) > 0 {
			fmt.Fprintf(&b, "\n\nThe Mission will be represented by %s.", list(lang, delegates))
		}
	}
	b.WriteString("\n\n" + closing(lang, title, organiser))
	return b.String()
}

// declineLetter regrets every session.
func declineLetter(lang outreach.Language, title, organiser string) string {
	switch lang {
	case outreach.French:
		return fmt.Sprintf("La %s présente ses compliments à %s et a le regret de l'informer qu'elle ne participera pas aux pré-sessions, faute de disponibilité pendant cette période.\n\n%s",
			title, organiser, closing(lang, title, organiser))
	case outreach.Spanish:
		return fmt.Sprintf("La %s saluda atentamente a %s y lamenta informarle que no podrá asistir a las pre-sesiones por compromisos previos.\n\n%s",
			title, organiser, closing(lang, title, organiser))
	}
	return fmt.Sprintf("The %s presents its compliments to %s and regrets that it will not be able to attend the pre-sessions owing to prior commitments.\n\n%s",
		title, organiser, closing(lang, title, organiser))
}

// changeLetter withdraws from one session the mission had accepted.
func changeLetter(lang outreach.Language, title, organiser, name string) string {
	switch lang {
	case outreach.French:
		return fmt.Sprintf("Suite à notre précédent courrier, la %s a le regret d'informer %s qu'elle ne pourra finalement pas participer à la pré-session consacrée au pays suivant : %s.\n\n%s",
			title, organiser, name, closing(lang, title, organiser))
	case outreach.Spanish:
		return fmt.Sprintf("En relación con nuestra comunicación anterior, la %s lamenta informar a %s que finalmente no podrá asistir a la pre-sesión sobre el siguiente país: %s.\n\n%s",
			title, organiser, name, closing(lang, title, organiser))
	}
	return fmt.Sprintf("Further to our earlier note, the %s regrets to inform %s that it will no longer be able to attend the pre-session on %s.\n\n%s",
		title, organiser, name, closing(lang, title, organiser))
}

// personalNote is a colleague writing from a personal address, with no
// reference to the invitation: it claims a mission, and only a person can
// tell whether to believe it.
func personalNote(mission, session string) string {
	return fmt.Sprintf("Dear colleagues,\n\nI write on behalf of the Permanent Mission of %s: we will attend the pre-session on %s. My work account is not available this week.\n\nBest regards", mission, session)
}

// quoted is the invitation as an Outlook reply quotes it below the answer:
// it names every State under Review, and must not count.
func quoted(org outreach.Address, to, subject string, sent time.Time, sessions []outreach.Session, names map[string]outreach.Names) string {
	var b strings.Builder
	b.WriteString("\n\n________________________________\n")
	fmt.Fprintf(&b, "From: %s <%s>\nSent: %s\nTo: %s\nSubject: %s\n\n", org.Name, org.Email, sent.Format("Monday, 2 January 2006 15:04"), to, subject)
	b.WriteString("The organisers have the honour to invite the Mission to the following pre-sessions:\n")
	for _, s := range sessions {
		fmt.Fprintf(&b, "- %s: %s, %s\n", names[s.SuR].EN, s.Start.Format("Monday 2 January 2006, 15:04"), s.Room)
	}
	b.WriteString("Please reply to this message naming the sessions you will attend, or accept the attached calendar events.\n")
	return b.String()
}

func oooText(lang outreach.Language, until time.Time, contact string) (prefix, body string) {
	switch lang {
	case outreach.French:
		return "Réponse automatique : ", fmt.Sprintf("Je suis absent(e) du bureau jusqu'au %d %s avec un accès limité à ma messagerie. Pour toute question urgente, veuillez écrire à %s.",
			until.Day(), frMonth[until.Month()], contact)
	case outreach.Spanish:
		return "Respuesta automática: ", fmt.Sprintf("Estaré fuera de la oficina hasta el %d de %s con acceso limitado al correo. Para asuntos urgentes, escriba a %s.",
			until.Day(), esMonth[until.Month()], contact)
	}
	return "Automatic reply: ", fmt.Sprintf("Thank you for your message. I am out of the office until %s with limited access to e-mail. For urgent matters, please write to %s.",
		until.Format("2 January 2006"), contact)
}

var frMonth = map[time.Month]string{9: "septembre", 10: "octobre", 11: "novembre"}
var esMonth = map[time.Month]string{9: "septiembre", 10: "octubre", 11: "noviembre"}

// dsn is a Postfix "Undelivered Mail Returned to Sender" report for one
// recipient of the message whose headers are quoted.
func dsn(to, bad, host string, now time.Time, msgID, origID, origSubject, origFrom string) []byte {
	var w msgWriter
	w.header("Return-Path", "<>")
	w.header("From", "MAILER-DAEMON@"+host+" (Mail Delivery System)")
	w.header("To", "<"+to+">")
	w.header("Subject", "Undelivered Mail Returned to Sender")
	w.header("Date", now.Format(time.RFC1123Z))
	w.header("Message-ID", msgID)
	w.header("Auto-Submitted", "auto-replied")
	w.header("MIME-Version", "1.0")
	w.header("Content-Type", `multipart/report; report-type=delivery-status; boundary="B1.`+host+`"`)
	w.line("")
	w.line("This is a MIME-encapsulated message.")
	w.line("")
	w.line("--B1." + host)
	w.line("Content-Description: Notification")
	w.line("Content-Type: text/plain; charset=us-ascii")
	w.line("")
	w.line("This is the mail system at host " + host + ".")
	w.line("")
	w.line("I'm sorry to have to inform you that your message could not")
	w.line("be delivered to one or more recipients. It's attached below.")
	w.line("")
	w.line("                   The mail system")
	w.line("")
	w.line("<" + bad + ">: host " + host + "[192.0.2.25] said: 550 5.1.1 <" + bad + ">:")
	w.line("    Recipient address rejected: User unknown in virtual mailbox table (in")
	w.line("    reply to RCPT TO command)")
	w.line("")
	w.line("--B1." + host)
	w.line("Content-Description: Delivery report")
	w.line("Content-Type: message/delivery-status")
	w.line("")
	w.line("Reporting-MTA: dns; " + host)
	w.line("X-Postfix-Queue-ID: 3xKq1B4Zr9z9sDq")
	w.line("X-Postfix-Sender: rfc822; " + to)
	w.line("Arrival-Date: " + now.Add(-time.Minute).Format(time.RFC1123Z))
	w.line("")
	w.line("Final-Recipient: rfc822; " + bad)
	w.line("Original-Recipient: rfc822;" + bad)
	w.line("Action: failed")
	w.line("Status: 5.1.1")
	w.line("Remote-MTA: dns; " + host)
	w.line("Diagnostic-Code: smtp; 550 5.1.1 <" + bad + ">: Recipient address rejected: User")
	w.line("    unknown in virtual mailbox table")
	w.line("")
	w.line("--B1." + host)
	w.line("Content-Description: Undelivered Message Headers")
	w.line("Content-Type: text/rfc822-headers")
	w.line("")
	w.line("From: " + origFrom)
	w.line("To: " + bad)
	w.line("Subject: " + mimeWord(origSubject))
	w.line("Message-ID: " + origID)
	w.line("")
	w.line("--B1." + host + "--")
	return w.b.Bytes()
}

func mimeWord(s string) string {
	if needsEncoding(s) {
		return mime.QEncoding.Encode("utf-8", s)
	}
	return s
}
