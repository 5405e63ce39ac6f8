package replies

import (
	"strings"
	"testing"
)

// A letter as missions write it: a greeting on its own line, prose
// wrapped by the mail client, titles and initials with full stops, a
// list introduced by a colon, and a question.
func TestSentencesOfALetter(t *testing.T) {
	text := strings.Join([]string{
		"Dear Sir or Madam,",
		"",
		"The Permanent Mission of Ghana will attend the pre-sessions on Peru and",
		"Ukraine. H.E. Mr. K. Mensah will lead the delegation, which comprises:",
		"- Ms. A. Boateng",
		"- Mr. J. Owusu",
		"Could you confirm the room?",
		"Best regards",
	}, "\n")
	got := sentences(text)
	var texts []string
	for _, s := range got {
		texts = append(texts, s.text)
	}
	want := []string{
		"Dear Sir or Madam,",
		"The Permanent Mission of Ghana will attend the pre-sessions on Peru and Ukraine.",
		"H.E. Mr. K. Mensah will lead the delegation, which comprises:",
		"- Ms. A. Boateng",
		"- Mr. J. Owusu",
		"Could you confirm the room?",
		"Best regards",
	}
	if strings.Join(texts, "\n") != strings.Join(want, "\n") {
		t.Fatalf("sentences:\n%s\nwant:\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
	}
	if !got[2].colon || got[1].colon {
		t.Errorf("only the sentence before the list ends with a colon: %+v", got[1:3])
	}
	for i, s := range got {
		if s.question != (i == 5) {
			t.Errorf("%q: question = %v", s.text, s.question)
		}
	}
}

// French and Spanish: a question opened by "¿", abbreviations of titles
// ("S.E. Mme", "Sra.") and a lower-case word after a full stop do not end
// a sentence.
func TestSentencesFrenchAndSpanish(t *testing.T) {
	got := sentences("S.E. Mme Dupont participera à la pré-session sur le Pérou. La Sra. Gómez asistirá también. ¿Podrían confirmar la sala")
	if len(got) != 3 {
		t.Fatalf("got %d sentences: %+v", len(got), got)
	}
	if got[0].text != "S.E. Mme Dupont participera à la pré-session sur le Pérou." || got[1].text != "La Sra. Gómez asistirá también." {
		t.Errorf("sentences = %+v", got)
	}
	if !got[2].question {
		t.Errorf("%q is a question", got[2].text)
	}
}
