package replies

import (
	"regexp"
	"strings"
)

// The lexicon of letters: English, French and Spanish phrases, written in
// folded form (see fold: lower case, no accents, plain apostrophes).
// Patterns are tried in this order, and a later match that overlaps an
// earlier one is dropped — so negations are found before the affirmations
// they contain ("ne participera pas" before "participera"), and the
// phrases that merely look like a negation ("ne manquera pas de
// participer", "do not hesitate", "regret the delay") before either.

// cueKind is what a phrase says about attendance.
type cueKind int

const (
	cueNeutral   cueKind = iota // looks like an answer word but is not
	cueAccept                   // will attend
	cueDecline                  // will not attend
	cueTentative                // may attend
	cueExcept                   // "except": turns the answer round for what follows
	// cueCondition makes an answer conditional ("subject to confirmation
	// from the capital", "TBC", "sous réserve", "por confirmar"): it is a
	// tentative answer for what its clause names, and turns the
	// acceptances it covers into tentative ones (see reader.sentence).
	cueCondition
)

func (k cueKind) String() string {
	switch k {
	case cueAccept:
		return "accepts"
	case cueDecline:
		return "declines"
	case cueTentative:
		return "may attend"
	case cueExcept:
		return "except"
	case cueCondition:
		return "condition"
	}
	return "neutral"
}

type cuePattern struct {
	kind cueKind
	re   *regexp.Regexp
}

// gap is one word between two parts of a phrase, not crossing punctuation.
const gap = `[^\s,;:.!?()"]+`

// Verbs of attending, by language.
const (
	avEN  = `(?:attend(?:s|ing|ance)?|participat(?:e|es|ing|ion)|join(?:s|ing)?|tak(?:e|ing) part|be present|be there|be represented|make it|be available|be at (?:the |all |each |both )?(?:` + gap + `\s+){0,3}?(?:pre-?\s?sessions?|presessions?|sessions?|meetings?|briefings?)\b)`
	avFR  = `(?:particip\w*|assist\w*|prendr\w* part|etre present\w*|etre represent\w*|y etre|se joindre|nous joindre|venir|viendr\w*|etre des notres|se rendre|s'y rendre|deplacer)`
	avES  = `(?:asist\w*|particip\w*|estar\w* present\w*|acud\w*|tomar parte|concurr\w*|estar\w* representad\w*|unirnos|unirse|sumarnos|sumarse|venir)`
	negFR = `\bn(?:e\s+|')`
)

func cues(kind cueKind, res ...string) []cuePattern {
	out := make([]cuePattern, 0, len(res))
	for _, r := range res {
		out = append(out, cuePattern{kind, regexp.MustCompile(r)})
	}
	return out
}

// lexicon is every phrase, in the order they are tried.
var lexicon = func() []cuePattern {
	var l []cuePattern
	// 1. Phrases that contain a negation but are not one, or that make an
	// answer uncertain: tried first.
	l = append(l, cues(cueNeutral,
		`\bnot only\b`, `\b(?:do|does|did|please do|will)(?: not|n't) hesitate\b`, `\bnot hesitate\b`,
		`\bwhether or not\b`,
		`\bregret(?:s|fully|tably|ted)?\s+(?:the|any|for the|for any|our|this)\s+(?:late|delay|inconvenience|confusion|error|mistake|oversight|omission)\w*`,
		`\bapologi[sz]e\w*\s+(?:for\s+)?(?:the|any|our|this)\s+(?:late|delay|inconvenience|confusion)\w*`,
		`\bapologies (?:for|about) (?:the|any|our|this) (?:late|delay|inconvenience|confusion)\w*`,
		`\bexcuse (?:the|our|my|this) (?:late|delay)\w*`,
		`\bno (?:problem|objection|issue|doubt|need|change|hay problema)\w*`,
		`\bn'hesitez pas\b`, `\bne pas hesiter\b`, `\bnon seulement\b`, `\bsans aucun doute\b`,
		`\bregrett?\w* (?:le|ce|du|notre) retard\b`, `\bexcus\w* (?:pour )?(?:le|ce|du|notre) retard\b`,
		`\bno (?:dude|duden|dudes|vacile|vacilen|obstante|solo|solamente|unicamente)\b`, `\bal menos\b`, `\bpor lo menos\b`,
		`\blament\w* (?:el|la|cualquier|los|las|nuestro|nuestra) (?:retraso|demora|inconveniente\w*|confusion|molestia\w*)\b`,
		`\bexcus\w* (?:el|la|por el|por la|nuestro|nuestra) (?:retraso|demora)\b`,
		// Only the names of the delegates are still to come.
		`\b(?:names?|noms?|nombres?|list[ae]?|composition|composicion)\b(?:\s+\S+){0,5}?\s+(?:(?:is|are|will be|remains?|reste|restent|sont|queda|quedan|esta|estan)\s+)?(?:still\s+|encore\s+|aun\s+)?(?:to be confirmed|tbc|a confirmer|por confirmar)\b`,
	)...)
	l = append(l, cues(cueAccept,
		`\bwill not fail to\b`, `\bwould(?: not|n't) miss\b`,
		`\bne manquer(?:a|ons|ont|ai) pas\b`,
		negFR+`(?:participer\w*|assister\w*|prendr\w* part|ser\w* presente?s?)\s+qu(?:e\b|')`,
		`\bno dejar(?:a|emos|an|e) de\b`,
	)...)
	l = append(l, cues(cueTentative,
		`\b(?:not|unable to|cannot|can't|not able to|not (?:yet )?in a position to)(?:\s+yet)?\s+(?:to\s+)?(?:confirm|say|tell|commit|decide)\w*`,
		`\bnot (?:yet )?(?:sure|certain|decided|confirmed|known|clear)\b`,
		`\b(?:don't|do not|does not|doesn't) (?:yet )?know (?:yet )?(?:if|whether)\b`,
		`\bne sai[st] pas (?:encore )?si\b`, `\bno s[ae]\w* (?:todavia |aun )?si\b`, `\bno (?:decision|confirmation) yet\b`,
		`\b(?:pas|plus) encore (?:en mesure de |\S+\s+){0,2}?(?:confirm|certain|sur|decid)\w*`,
		negFR+`(?:\S+\s+){0,3}?pas (?:encore )?(?:en mesure de )?(?:confirmer|dire|preciser|savoir)\b`,
		`\bpas (?:encore )?(?:sure?s?|certaine?s?)\b`,
		`\b(?:todavia|aun) no (?:\S+\s+){0,3}?(?:confirm|decid|sab)\w*`,
		`\bno (?:\S+\s+){0,2}?(?:puede|podemos|podra|podremos) (?:\S+\s+)?(?:confirmar|decir|asegurar)\b`,
		`\bno (?:es|esta|estamos) (?:segur[oa]s?|claro)\b`,
	)...)
	l = append(l, cues(cueCondition,
		`\bsauf (?:empechement|imprevu|contretemps|changement)\w*`, `\bsalvo (?:imprevisto|imprevistos|cambios|cambio)\b`,
	)...)
	// 2. Negations.
	l = append(l, cues(cueDecline,
		`\b(?:not|never|cannot|can't|won't|wouldn't|isn't|aren't|don't|doesn't|shan't|unable|no longer|neither|nor)(?:\s+`+gap+`){0,5}?\s+`+avEN+`\b`,
		`\bregret(?:s|fully|tably|ted|table)?\b`, `\bwith regrets?\b`, `\bto (?:our|its|my) regret\b`,
		`\bdeclin(?:e|es|ed|ing)\b`, `\bnot in a position\b`,
		`(?:\b(?:is|are|am|will be)|'re|'m|'ll be) (?:unavailable|not available|absent)\b`,
		`\b(?:no one|nobody|no representative|no delegate|no member)\b`,
		`\b(?:sends?|sending|presents?|with|offers?) (?:its |our |my |their |his |her )?apologies\b`,
		`\b(?:not|won't|cannot|can't|unable to) send (?:a|an|any|anyone|anybody|representatives?|delegates?)\b`,
		`\b(?:cannot|can't|won't|will not|unable to|not able to|not be able to) come(?:\s+(?:to|on|for)\b|\s*$)`,
		`\bbut not\b`, `\b(?:unfortunately|regrettably|sadly) not\b`,
		// An answer cut short at the end of its clause: "Peru will not.",
		// "for Peru, no."
		`(?:\b(?:will|shall|can|could|would|do|does)(?: not|n't)|\bwon't|\bcannot)\s*[,;.!]*\s*$`,
		`^\s*(?:no|non|not|nope)\s*[,;.!]*\s*$`,
		`\b(?:must|has to|have to|will have to|need to|needs to) (?:decline|miss|skip)\b`,
		`\b(?:will|shall|'ll) (?:(?:unfortunately|regrettably|sadly|unavoidably|also)\s+)?(?:have to )?(?:miss|skip)\b`,
		// "We will however miss ...": the clause starts at "however".
		`^\s*(?:however|though)\s+(?:(?:unfortunately|regrettably|sadly|unavoidably)\s+)?(?:have to )?(?:miss|skip)\b`,
		negFR+`(?:`+gap+`\s+){0,6}?`+avFR,
		negFR+`(?:pourra|pourrons|pourront|pourrait|pourraient|pourrions|peut|peuvent|pouvons|saurait|sauraient|sera pas en mesure|est pas en mesure|serons pas en mesure|est pas possible|sera pas possible|a pas la possibilite)\b`,
		`\bde ne (?:pas )?pouvoir\b`, `\bne pas pouvoir\b`,
		`\b(?:au regret|a le regret|avons le regret|ont le regret|regrett?e(?:nt|r|rait)?|regrettons|avec regret)\b`,
		`\bmalheureusement pas\b`, `\bdans l'impossibilite\b`, `\bimpossibilite\b`, `\bimpossible pour\b`,
		`\bdeclin\w*\b`, `\bempechee?s?\b`, `\bempechement\b`, `\bs'excuse\w*\b`, `\bexcuse\w*\b`, `\brenonc\w*\b`,
		`\bmais pas\b`, `\bpersonne ne\b`, `\baucun(?:e)? (?:representant|delegue|membre)\w*`,
		`\b(?:est|sera|serons|seront) (?:indisponible|absente?s?|pas disponible)\w*`, `\bindisponible\w*`,
		`\bno(?:\s+`+gap+`){0,4}?\s+`+avES+`\b`,
		`\bno (?:podra|podremos|podran|puede|podemos|pueden|le sera posible|nos sera posible|sera posible|le es posible|nos es posible|estara en condiciones|esta en condiciones)\b`,
		`\b(?:lament\w*|sentimos|siente mucho|lo siento)\b`, `\b(?:desafortunadamente|lamentablemente) no\b`,
		`\bimposibilidad\b`, `\b(?:le|nos|les|me) (?:es|sera|resulta|resultara) imposible\b`,
		`\bse excusa\w*\b`, `\bexcusa\w*\b`, `\bpero no\b`, `\bnadie\b`,
		`\bningun(?:a|o)? (?:representante|delegado|funcionario|miembro)\w*`, `\bsin poder\b`, `\bno estara\b`,
	)...)
	// 3. Conditions: an acceptance "subject to confirmation" is not one.
	l = append(l, cues(cueCondition,
		`\bsubject to\b`, `\bto be (?:confirmed|determined|decided)\b`, `\btb[cd]\b`,
		`\bpending (?:\S+\s+){0,3}?(?:approval|confirmation|clearance|authori[sz]ation|decision|instructions?)\b`,
		`\b(?:tentative(?:ly)?|provisional(?:ly)?|conditional(?:ly)?)\b`, `\bif possible\b`, `\bbarring\b`, `\bunless\b`,
		`\bprovided (?:that|it|we)\b`, `\bon (?:the )?condition\b`, `\bin principle\b`,
		`\bif (?:\S+\s+){0,2}?(?:approved|confirmed|authori[sz]ed|cleared)\b`,
		`\bonce (?:(?:it|this|that|our participation|the participation) )?(?:is |has been )?(?:approved|confirmed|authori[sz]ed|cleared)\b`,
		`\bupon (?:\S+\s+)?(?:approval|confirmation|authori[sz]ation|clearance)\b`,
		`\b(?:provisoire(?:ment)?|a confirmer|sous reserve|si possible|en principe|a priori|conditionnel(?:le)?(?:ment)?)\b`,
		`\ben attente (?:de |d')(?:\S+\s+){0,2}?(?:confirmation|approbation|accord|autorisation|instructions?)\b`,
		`\ba moins (?:que|qu'|d')`, `\ba condition (?:que|qu'|de|d')`,
		`\bsujet[oa]s? a\b`, `\b(?:a|por) confirmar\b`, `\bprovisional(?:mente)?\b`, `\btentativamente\b`, `\bsi es posible\b`,
		`\ben principio\b`, `\bpendientes? de\b`, `\ba reserva de\b`, `\b(?:a menos|salvo) que\b`, `\bsiempre (?:y cuando|que)\b`,
		`\ba condicion de\b`, `\bcondicionad[oa]s? a\b`,
	)...)
	// 4. Uncertainty.
	l = append(l, cues(cueTentative,
		`\b(?:may|might|could)(?:\s+(?:also|possibly|perhaps|well|be able to|try to))*\s+`+avEN+`\b`,
		`\b(?:possibly|probably|perhaps|maybe|likely|hopefully)\b`,
		`\bhop(?:e|es|ing) to\b`, `\b(?:will|shall|'ll) try\b`, `\btrying to\b`,
		`\b(?:unsure|uncertain|undecided)\b`, `\bintend(?:s|ing)? to\b`,
		`\bplan(?:s|ning)? to\b`, `\bpencil(?:led|ed)?\b`,
		`\bif (?:our|the|his|her|my) (?:schedule|agenda|calendar)\b`,
		`(?:\bwill|\bshall|'ll) (?:\w+ )?confirm (?:(?:our|its|the|their|my|his|her) )?(?:participation|attendance|presence)\b`,
		`(?:\bwill|\bshall|'ll) (?:\w+ )?confirm (?:if|whether)\b`,
		`\bconfirmer(?:ons|a|ont|ai) (?:\w+ )?(?:participation|presence)\b`,
		`\bconfirmar(?:emos|a|an|e) (?:\w+ )?(?:participacion|asistencia|presencia)\b`,
		`\b(?:pourrai(?:t|ent|s)?|pourrions|pourriez)\b`, `\bpourras? (?:\S+\s+)?(?:particip|assist|etre present)\w*`,
		`\b(?:peut-etre|probablement|eventuellement|vraisemblablement|sans doute)\b`,
		`\benvisag\w*\b`, `\besper\w*\b`, `\btenter\w*\b`, `\bincertain\w*\b`,
		`\bsi (?:son|notre|leur|mon) (?:agenda|calendrier|emploi du temps|programme) le permet\b`,
		`\b(?:podria|podrian|podriamos)\b`, `\bpodran? (?:\S+\s+)?(?:asistir|participar|estar presente)\b`,
		`\b(?:posiblemente|probablemente|quizas?|tal vez|eventualmente)\b`, `\bintentar\w*\b`,
		`\bespera(?:mos)? (?:poder )?(?:asistir|participar|contar)\b`, `\bsi (?:la|su|nuestra|mi) agenda lo permite\b`,
	)...)
	// 5. Affirmations.
	l = append(l, cues(cueAccept,
		`(?:\bwill|\bshall|'ll)(?:\s+(?:certainly|gladly|definitely|indeed|also|both|surely|happily|duly|only|still|be (?:pleased|happy|glad|delighted|honou?red|able) to))*\s+(?:attend|participate|join|take part|be present|be there|be (?:attending|participating|joining|represented|present))\b`,
		// "We will be at the Zambia pre-session": at a session, not at a place.
		`(?:\bwill|\bshall|'ll)(?:\s+(?:certainly|gladly|definitely|also|still))*\s+be at (?:the |all |each |both )?(?:`+gap+`\s+){0,3}?(?:pre-?\s?sessions?|presessions?|sessions?|meetings?|briefings?)\b`,
		`(?:\bwill|\bshall|'ll)(?:\s+(?:certainly|gladly|also|be pleased to|be happy to))*\s+(?:be )?send(?:ing)? (?:a|an|one|two|three|four|\d+|its|our|their) (?:\w+ )?(?:delegates?|representatives?|delegation|officers?|diplomats?|colleagues?|experts?)\b`,
		`(?:\bwould|'d) (?:be (?:pleased|happy|glad|delighted|honou?red) to|like to|love to|wish to)\s+(?:attend|participate|join|take part|be present|confirm|register)\b`,
		`(?:\b(?:is|are|am)|'re|'m)\s+(?:\w+\s+)?(?:pleased|happy|glad|delighted|honou?red)\s+to\s+(?:attend|participate|join|take part|confirm|accept|be present)\b`,
		`\bconfirm(?:s|ed|ing)?(?:\s+(?:hereby|that|its|our|my|the|their|his|her|with pleasure|herewith))*\s+(?:participation|attendance|presence)\b`,
		`\b(?:has|have) the (?:pleasure|honou?r) (?:to|of) (?:attend|participat|confirm(?:ing)? (?:its|our|the) (?:participation|attendance))\w*`,
		`\baccept(?:s|ed|ing)?(?:\s+(?:with pleasure|with thanks|gladly|kindly))?\s+(?:the|your|this)\s+(?:kind\s+)?invitation\b`,
		`(?:\b(?:is|are|am)|'re|'m)\s+(?:\w+\s+)?(?:attending|participating|joining|coming)\b`,
		`(?:\bwill|\bshall|'ll)\s+represent\s+(?:the|our|this|his|her|their|its)\s+(?:\w+\s+)?(?:mission|delegation|country|government|embassy|state)\b`,
		`\b(?:attendance|participation|presence)\b(?:\s+[^\s,;:.!?]+){0,8}?\s+(?:is|are|has been|have been|will be|remains)\s+(?:also\s+)?confirmed\b`,
		`\blook(?:s|ing)? forward to (?:attending|participating|joining|taking part|being (?:there|present|with you))\b`,
		`\bcount (?:us|me) in\b`, `\bgoing to (?:attend|participate|join)\b`,
		`\bplease (?:register|add|include|reserve|book|note (?:the )?(?:participation|attendance))\b`,
		`\b(?:would like|wishes|wish|wants|want) to (?:register|attend|participate|join|take part)\b`,
		`\b(?:participera|participerons|participeront|participerai|assistera|assisterons|assisteront|assisterai|rejoindra|rejoindrons|viendra|viendrons)\b`,
		`\bprendr(?:a|ons|ont|ai) part\b`,
		`\bser(?:a|ons|ont|ai) (?:bien |heureuse?s? d'y etre )?(?:presente?s?|representee?s?|des notres|au rendez-vous)\b`,
		`\bse fera representer\b`, `\brepresenter(?:a|ont) (?:la|notre|sa|leur) (?:mission|delegation)\b`,
		`\b(?:participation|presence)\b(?:\s+[^\s,;:.!?]+){0,8}?\s+(?:est|sont|a ete|sera)\s+(?:egalement\s+|bien\s+|donc\s+)?confirmee?s?\b`,
		`\bconfirm(?:e|er|ons|ent|ant|ee)(?:\s+(?:par la presente|avec plaisir|bien|donc))*\s+(?:sa|notre|la|leur|ma|nos|ses|leurs) (?:participation|presence)\b`,
		`\baccept(?:e|er|ons|ent)(?:\s+avec plaisir)?\s+(?:l'|votre\s+|cette\s+|votre aimable\s+)invitation\b`,
		`\b(?:heureuse?s?|ravie?s?|plaisir|honneur) (?:de|d') (?:participer|prendre part|assister)\b`,
		`\bsouhait(?:e|ons|ent|erait|erions|eraient)\s+(?:vivement\s+)?(?:participer|assister|prendre part|s'inscrire|inscrire)\b`,
		`\b(?:va|allons|vont|vais) (?:participer|assister|prendre part)\b`,
		`\bveuillez (?:inscrire|noter la participation|enregistrer)\b`, `\bmerci d'inscrire\b`,
		`\b(?:asistira|asistiremos|asistiran|asistire|participara|participaremos|participaran|participare|acudira|acudiremos|acudiran|acudire|concurrira|concurriremos)\b`,
		`\btomar(?:a|emos|an) parte\b`, `\bestar(?:a|emos|an|e) (?:presente?s?|representad[ao]s?)\b`, `\bse hara representar\b`, `\brepresentar(?:a|an) a (?:la|nuestra|su) (?:mision|delegacion)\b`,
		`\b(?:asistencia|participacion|presencia)\b(?:\s+[^\s,;:.!?]+){0,8}?\s+(?:esta|queda|ha sido|sera)\s+(?:tambien\s+)?confirmad[ao]s?\b`,
		`\bconfirm(?:a|ar|amos|an|o|ando)(?:\s+(?:con gusto|con agrado|por este medio|por la presente))*\s+(?:su|nuestra|la|mi|sus) (?:asistencia|participacion|presencia)\b`,
		`\bacept(?:a|ar|amos|an|o)(?:\s+(?:con gusto|gustosamente|con agrado))?\s+(?:la|su|vuestra|esta)\s+(?:amable\s+)?invitacion\b`,
		`\b(?:tiene|tenemos|tengo) el (?:agrado|gusto|placer|honor) de (?:participar|asistir)\b`,
		`\b(?:desea|deseamos|desearia|deseariamos|le gustaria|nos gustaria|quisiera|quisieramos) (?:participar|asistir|inscribir\w*)\b`,
		`\b(?:va|vamos|van|voy) a (?:asistir|participar)\b`,
		`\b(?:favor|sirvase) (?:de )?(?:inscribir|registrar)\b`,
	)...)
	// 6. Exceptions.
	l = append(l, cues(cueExcept,
		`\b(?:except(?:ing)?(?: for)?|apart from|with the exception of|save for|sauf|excepte|a l'exception de|hormis|excepto|salvo|menos|a excepcion de|con excepcion de|exceptuando)\b`,
	)...)
	return l
}()

// cue is one phrase found in a clause.
type cue struct {
	kind       cueKind
	start, end int
}

// findCues returns the phrases of the lexicon in s, earlier patterns
// winning overlaps, sorted by position; offset is added to positions.
func findCues(s string, offset int) []cue {
	var out []cue
	for _, p := range lexicon {
		for _, m := range p.re.FindAllStringIndex(s, 20) {
			overlap := false
			for _, c := range out {
				if m[0] < c.end-offset && c.start-offset < m[1] {
					overlap = true
					break
				}
			}
			if !overlap {
				out = append(out, cue{p.kind, m[0] + offset, m[1] + offset})
			}
		}
	}
	// insertion sort: few cues per clause
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].start < out[j-1].start; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Phrases that name every session, or every session not named otherwise.
var (
	allRe    = regexp.MustCompile(`\b(?:(?:all|each|every one|every|any|none)(?: of)?(?: the| these| your)?(?: (?:\d+|fourteen|upr|proposed|planned|scheduled|upcoming|above|listed|forthcoming|different|said|above-mentioned))*\s+(?:pre-?\s?sessions?|presessions?|sessions|meetings|briefings)|all of them|(?:toutes|chacune|aucune|l'ensemble|la totalite)(?: de)?(?: les| des| ces| vos)?(?: (?:\d+|quatorze|differentes|prochaines))*\s+(?:pre-?\s?sessions?|presessions?|sessions|reunions|seances)|(?:todas|cada una|ninguna)(?: de)?(?: las| estas| sus)?(?: (?:\d+|catorce|diferentes|proximas))*\s+(?:pre-?\s?sesion(?:es)?|presesion(?:es)?|sesiones|reuniones))\b`)
	othersRe = regexp.MustCompile(`\b(?:(?:the )?(?:other|remaining)(?: \w+)? (?:pre-?\s?sessions?|presessions?|sessions|ones|meetings)|the others|the rest|(?:les )?autres(?: \w+)? (?:pre-?\s?sessions|presessions|sessions|reunions|seances)|les autres|(?:las )?(?:otras|demas|restantes)(?: \w+)? (?:pre-?\s?sesiones|presesiones|sesiones|reuniones)|las demas|las otras|las restantes)\b`)
	// pluralRe is "the pre-sessions" with no State named: read as all of
	// them only in a refusal (see reader.sentence).
	pluralRe = regexp.MustCompile(`\b(?:the (?:upr )?pre-?\s?sessions|(?:les|aux|des) (?:upr )?pre-?\s?sessions|(?:las|a las|de las|en las) (?:upr )?pre-?\s?sesiones)\b`)
	// invitationRe is the invitation itself ("we decline your kind
	// invitation"): it invites to every pre-session, so declining it
	// declines them all (see reader.sentence).
	invitationRe = regexp.MustCompile(`\b(?:(?:the|your|this|kind) (?:kind |very kind )?invitation|(?:l'|votre (?:aimable )?|cette (?:aimable )?)invitation|(?:la|su|esta|vuestra) (?:amable )?invitacion)\b`)
	// exampleRe marks the invitation's own example sentence, if pasted.
	exampleRe = regexp.MustCompile(`\b(?:for example|for instance|e\.g\.|par exemple|p\. ?ex\.|por ejemplo|p\. ?ej\.)`)
)

// clauseSplitRe finds where a sentence divides into clauses: commas,
// semicolons, and the conjunctions that turn an answer round.
var clauseSplitRe = regexp.MustCompile(`[;,]|\s(?:but|however|whereas|while|although|though|yet|mais|cependant|toutefois|tandis que|alors que|neanmoins|pero|sin embargo|mientras que|aunque|no obstante)\b`)

// splitClauses returns the [start,end) spans of s's clauses.
func splitClauses(s string) [][2]int {
	var out [][2]int
	start := 0
	for _, m := range clauseSplitRe.FindAllStringIndex(s, -1) {
		cut := m[1] // after , or ;
		if s[m[0]] != ',' && s[m[0]] != ';' {
			cut = m[0] // before the conjunction, which starts the next clause
		}
		if cut > start {
			out = append(out, [2]int{start, cut})
			start = cut
		}
	}
	if start < len(s) {
		out = append(out, [2]int{start, len(s)})
	}
	return out
}

// missionWords precede (or follow) a State's name when the name says who
// writes, not which session: "Permanent Mission of Japan", "Mission
// permanente du Japon", "la Delegación del Perú", "the Japan Mission".
var missionWords = map[string]bool{
	"mission": true, "missions": true, "mision": true, "misiones": true,
	"delegation": true, "delegations": true, "delegacion": true, "delegaciones": true,
	"embassy": true, "ambassade": true, "embajada": true,
	"government": true, "gouvernement": true, "gobierno": true,
	"representative": true, "representant": true, "representante": true, "representation": true, "representacion": true,
	"ambassador": true, "ambassadeur": true, "ambassadrice": true, "embajador": true, "embajadora": true,
	"consulate": true, "consulat": true, "consulado": true,
	"permanente": true, "permanent": true, "ministry": true, "ministere": true, "ministerio": true,
	"affairs": true, "etrangeres": true, "exteriores": true, "exterior": true,
	"observer": true, "observateur": true, "observador": true,
}

// togetherWords come before "with" (or its French and Spanish forms) when
// the name after it writes with the sender: "together with Peru",
// "conjointement avec le Pérou", "junto con el Perú".
var togetherWords = map[string]bool{
	"together": true, "jointly": true, "along": true, "conjointement": true, "ensemble": true,
	"junto": true, "juntamente": true, "conjuntamente": true,
}

// subjectWords may stand between the States that write and their verb:
// "Chile and Peru will both attend", "Peru, too, will attend", "le Pérou
// participera également", "Chile ne participera pas".
var subjectWords = map[string]bool{
	"also": true, "too": true, "both": true, "all": true, "each": true, "hereby": true, "herewith": true,
	"certainly": true, "gladly": true, "jointly": true, "together": true, "indeed": true, "as": true, "well": true,
	"will": true, "shall": true, "would": true, "should": true, "is": true, "are": true, "has": true, "have": true,
	"s": true, "delegation": true, "delegations": true, "mission": true, "missions": true, "permanent": true,
	"egalement": true, "aussi": true, "tous": true, "toutes": true, "deux": true, "ensemble": true, "ne": true, "n": true,
	"permanente": true, "permanentes": true, "tambien": true, "ambos": true, "ambas": true, "juntos": true,
}

// weWords are the writer itself after "and": "Peru and we will attend".
var weWords = map[string]bool{"we": true, "i": true, "nous": true, "nosotros": true, "nosotras": true, "us": true}

// sessionLeads before a State's name make it a pre-session whatever
// follows: "the pre-session on Peru", "la pré-session sur le Pérou".
var sessionLeads = map[string]bool{
	"on": true, "for": true, "about": true, "concerning": true, "regarding": true, "re": true,
	"session": true, "sessions": true, "presession": true, "presessions": true, "sur": true, "pour": true,
	"sobre": true, "para": true, "presesion": true, "presesiones": true, "sesion": true, "sesiones": true,
	"review": true, "examen": true,
}

// functionWords are skipped when looking back from a name.
var functionWords = map[string]bool{
	"of": true, "the": true, "de": true, "du": true, "des": true, "la": true, "l": true, "d": true,
	"del": true, "el": true, "le": true, "los": true, "las": true, "to": true, "aupres": true, "ante": true,
}

// genevaWords before "Switzerland" make it an address, not a session.
var genevaWords = map[string]bool{
	"geneva": true, "geneve": true, "ginebra": true, "genf": true, "ginevra": true, "saconnex": true,
	"chambesy": true, "bellevue": true, "lausanne": true, "berne": true, "bern": true, "ch": true, "cedex": true,
}

// salutation reports whether a folded line is a greeting or closing
// rather than content.
func salutation(f string) bool {
	for _, p := range []string{"dear", "hello", "hi ", "good morning", "good afternoon", "excellency", "madame", "monsieur",
		"bonjour", "chere", "cher ", "estimad", "senor", "senora", "buenos dias", "buenas tardes", "hola", "excelencia",
		"best regards", "kind regards", "regards", "sincerely", "yours", "cordialement", "bien cordialement",
		"salutations", "atentamente", "saludos", "cordiales saludos", "thank you", "thanks", "merci", "gracias", "muchas gracias"} {
		if strings.HasPrefix(f, p) {
			return true
		}
	}
	return false
}
