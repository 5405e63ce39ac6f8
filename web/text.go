package web

import "outreach"

// text is the reply page's wording in one language. Strings with verbs
// are formatted with fmt before they reach the template, which escapes
// them.
type text struct {
	LangName   string // the language's own name, for the switch
	Title      string // the page's title
	Skip       string // skip link
	LanguageIs string // label of the language switch
	// Intro: %[1]s organiser, %[2]s mission's title, %[3]s dates phrase,
	// %[4]s venue, %[5]s the Working Group session's ordinal.
	Intro       string
	Provisional string
	Deadline    string // %s: the deadline's date and time
	Times       string // "Times are Geneva time."
	Sessions    string // heading of the sessions
	Attend      string
	NotAttend   string
	Undecided   string
	Cancelled   string
	AnswerFrom  string // %s: how the answer was recorded (only when not from this page)
	Sources     map[outreach.SourceKind]string
	Delegates   string
	DelegatesIs string // hint under the delegates heading
	Name        string // %d: the delegate's number
	Email       string // %d
	Comment     string
	CommentIs   string
	Submit      string
	OtherWays   string
	Contact     string // %s: whom to contact
	// Errors shown next to their field.
	ErrSummary, ErrAnswer, ErrName, ErrNameLong, ErrEmail, ErrEmailNoName, ErrComment, ErrForm string
	// The confirmation page.
	Thanks, Nothing, Requests, Cancels, Summary, Back string
	// The closed page.
	Closed, ClosedPost string
	Recorded           string // heading of the answers as recorded
	NotFound           string
	TooMany            string
}

var texts = map[outreach.Language]*text{
	outreach.English: {
		LangName: "English", Title: "Reply to the invitation", Skip: "Skip to the answers", LanguageIs: "Language:",
		Intro:       "%[1]s invites the %[2]s to the UPR Pre-sessions, held %[3]s (%[4]s) ahead of the %[5]s session of the Universal Periodic Review Working Group. Each Pre-session lasts one hour: civil society and national human rights institutions brief the Permanent Missions on the State under Review.",
		Provisional: "The dates and venue are provisional, pending confirmation by the United Nations.",
		Deadline:    "Please answer by %s. Until then, you can come back to this page and change your answers.",
		Times:       "Times are Geneva time.",
		Sessions:    "Pre-sessions",
		Attend:      "Will attend", NotAttend: "Will not attend", Undecided: "Not yet decided", Cancelled: "Cancelled: this Pre-session will not take place.",
		AnswerFrom: "Answer recorded from %s.",
		Sources: map[outreach.SourceKind]string{outreach.FromEmail: "a reply by email", outreach.FromCalendar: "a calendar reply",
			outreach.FromStaff: "a conversation with our staff"},
		Delegates: "Delegates (optional)", DelegatesIs: "Who will represent the mission, and where they can be written to.",
		Name: "Delegate %d: name", Email: "Delegate %d: email address",
		Comment: "Comment (optional)", CommentIs: "Anything we should know, such as a delegate for one Pre-session only.",
		Submit:     "Send the answers",
		OtherWays:  "You may also answer by replying to the invitation email, or by accepting its calendar invitations one by one.",
		Contact:    "For any question: %s.",
		ErrSummary: "Some answers need a correction:", ErrAnswer: "Choose one of the three answers.",
		ErrName: "Write the name without line breaks or special characters.", ErrNameLong: "The name is too long (120 characters at most).",
		ErrEmail: "This is not an email address, such as name@mission.example.", ErrEmailNoName: "Give the delegate's name with the address.",
		ErrComment: "The comment is too long (2,000 characters at most) or contains control characters.",
		ErrForm:    "This form has expired or was not sent from this page. Please check the answers below and send them again.",
		Thanks:     "Thank you. Your answers have been recorded.",
		Nothing:    "Nothing had changed since your last answers.",
		Requests:   "A calendar invitation is on its way for each Pre-session you will attend:",
		Cancels:    "A calendar cancellation is on its way for each Pre-session you will no longer attend:",
		Summary:    "A summary of your answers is sent to the mission's email addresses.",
		Back:       "See or change the answers",
		Closed:     "The deadline for answers has passed. These are your answers as recorded. To change them, please contact %s.",
		ClosedPost: "Your answers were not changed: the deadline has passed.",
		Recorded:   "Your answers",
		NotFound:   "This link does not open a reply page. Please use the link in the invitation email, or contact the organisers.",
		TooMany:    "Too many requests. Please wait a minute and try again.",
	},
	outreach.French: {
		LangName: "Français", Title: "Réponse à l'invitation", Skip: "Aller aux réponses", LanguageIs: "Langue :",
		Intro:       "%[1]s invite la %[2]s aux Pré-sessions de l'EPU, qui se tiendront %[3]s (%[4]s) en amont de la %[5]s session du Groupe de travail sur l'Examen périodique universel. Chaque Pré-session dure une heure : la société civile et les institutions nationales des droits de l'homme y présentent aux Missions permanentes la situation de l'État sous examen.",
		Provisional: "Les dates et le lieu sont provisoires, dans l'attente de la confirmation des Nations Unies.",
		Deadline:    "Merci de répondre avant le %s. D'ici là, vous pouvez revenir sur cette page et modifier vos réponses.",
		Times:       "Les heures sont celles de Genève.",
		Sessions:    "Pré-sessions",
		Attend:      "Participera", NotAttend: "Ne participera pas", Undecided: "Pas encore décidé", Cancelled: "Annulée : cette Pré-session n'aura pas lieu.",
		AnswerFrom: "Réponse enregistrée d'après %s.",
		Sources: map[outreach.SourceKind]string{outreach.FromEmail: "une réponse par courriel", outreach.FromCalendar: "une réponse de calendrier",
			outreach.FromStaff: "un échange avec notre équipe"},
		Delegates: "Délégués (facultatif)", DelegatesIs: "Qui représentera la Mission, et à quelle adresse lui écrire.",
		Name: "Délégué %d : nom", Email: "Délégué %d : adresse électronique",
		Comment: "Commentaire (facultatif)", CommentIs: "Toute précision utile, par exemple un délégué pour une seule Pré-session.",
		Submit:     "Envoyer les réponses",
		OtherWays:  "Vous pouvez aussi répondre au courriel d'invitation, ou accepter une à une ses invitations de calendrier.",
		Contact:    "Pour toute question : %s.",
		ErrSummary: "Certaines réponses sont à corriger :", ErrAnswer: "Choisissez l'une des trois réponses.",
		ErrName: "Écrivez le nom sans retour à la ligne ni caractère spécial.", ErrNameLong: "Le nom est trop long (120 caractères au plus).",
		ErrEmail: "Ce n'est pas une adresse électronique, comme nom@mission.example.", ErrEmailNoName: "Indiquez le nom du délégué avec l'adresse.",
		ErrComment: "Le commentaire est trop long (2 000 caractères au plus) ou contient des caractères de contrôle.",
		ErrForm:    "Ce formulaire a expiré ou n'a pas été envoyé depuis cette page. Vérifiez les réponses ci-dessous et envoyez-les à nouveau.",
		Thanks:     "Merci. Vos réponses ont été enregistrées.",
		Nothing:    "Rien n'avait changé depuis vos dernières réponses.",
		Requests:   "Une invitation de calendrier vous est envoyée pour chaque Pré-session à laquelle vous participerez :",
		Cancels:    "Une annulation de calendrier vous est envoyée pour chaque Pré-session à laquelle vous ne participerez plus :",
		Summary:    "Un récapitulatif de vos réponses est envoyé aux adresses de la Mission.",
		Back:       "Voir ou modifier les réponses",
		Closed:     "Le délai de réponse est passé. Voici vos réponses telles qu'enregistrées. Pour les modifier, veuillez contacter %s.",
		ClosedPost: "Vos réponses n'ont pas été modifiées : le délai est passé.",
		Recorded:   "Vos réponses",
		NotFound:   "Ce lien n'ouvre pas de page de réponse. Utilisez le lien du courriel d'invitation, ou contactez les organisateurs.",
		TooMany:    "Trop de requêtes. Veuillez patienter une minute et réessayer.",
	},
	outreach.Spanish: {
		LangName: "Español", Title: "Respuesta a la invitación", Skip: "Ir a las respuestas", LanguageIs: "Idioma:",
		Intro:       "%[1]s invita a la %[2]s a las Pre-sesiones del EPU, que se celebrarán %[3]s (%[4]s) antes del %[5]s período de sesiones del Grupo de Trabajo sobre el Examen Periódico Universal. Cada Pre-sesión dura una hora: la sociedad civil y las instituciones nacionales de derechos humanos informan a las Misiones Permanentes sobre el Estado examinado.",
		Provisional: "Las fechas y el lugar son provisionales, a la espera de la confirmación de las Naciones Unidas.",
		Deadline:    "Le rogamos que responda antes del %s. Hasta entonces, puede volver a esta página y cambiar sus respuestas.",
		Times:       "Las horas son de Ginebra.",
		Sessions:    "Pre-sesiones",
		Attend:      "Asistirá", NotAttend: "No asistirá", Undecided: "Aún no decidido", Cancelled: "Cancelada: esta Pre-sesión no se celebrará.",
		AnswerFrom: "Respuesta registrada a partir de %s.",
		Sources: map[outreach.SourceKind]string{outreach.FromEmail: "una respuesta por correo", outreach.FromCalendar: "una respuesta de calendario",
			outreach.FromStaff: "una conversación con nuestro equipo"},
		Delegates: "Delegados (opcional)", DelegatesIs: "Quién representará a la Misión, y a qué dirección escribirle.",
		Name: "Delegado %d: nombre", Email: "Delegado %d: correo electrónico",
		Comment: "Comentario (opcional)", CommentIs: "Cualquier precisión útil, por ejemplo un delegado para una sola Pre-sesión.",
		Submit:     "Enviar las respuestas",
		OtherWays:  "También puede responder al correo de invitación, o aceptar una a una sus invitaciones de calendario.",
		Contact:    "Para cualquier consulta: %s.",
		ErrSummary: "Algunas respuestas deben corregirse:", ErrAnswer: "Elija una de las tres respuestas.",
		ErrName: "Escriba el nombre sin saltos de línea ni caracteres especiales.", ErrNameLong: "El nombre es demasiado largo (120 caracteres como máximo).",
		ErrEmail: "No es una dirección de correo, como nombre@mision.example.", ErrEmailNoName: "Indique el nombre del delegado con la dirección.",
		ErrComment: "El comentario es demasiado largo (2000 caracteres como máximo) o contiene caracteres de control.",
		ErrForm:    "Este formulario ha caducado o no se envió desde esta página. Compruebe las respuestas y envíelas de nuevo.",
		Thanks:     "Gracias. Sus respuestas han quedado registradas.",
		Nothing:    "Nada había cambiado desde sus últimas respuestas.",
		Requests:   "Se le envía una invitación de calendario para cada Pre-sesión a la que asistirá:",
		Cancels:    "Se le envía una cancelación de calendario para cada Pre-sesión a la que ya no asistirá:",
		Summary:    "Se envía un resumen de sus respuestas a las direcciones de la Misión.",
		Back:       "Ver o cambiar las respuestas",
		Closed:     "El plazo de respuesta ha vencido. Estas son sus respuestas tal como se registraron. Para cambiarlas, póngase en contacto con %s.",
		ClosedPost: "Sus respuestas no se han modificado: el plazo ha vencido.",
		Recorded:   "Sus respuestas",
		NotFound:   "Este enlace no abre ninguna página de respuesta. Utilice el enlace del correo de invitación o póngase en contacto con los organizadores.",
		TooMany:    "Demasiadas solicitudes. Espere un minuto y vuelva a intentarlo.",
	},
}

// textIn returns the wording in l, English for any other.
func textIn(l outreach.Language) *text {
	if t, ok := texts[l]; ok {
		return t
	}
	return texts[outreach.English]
}
