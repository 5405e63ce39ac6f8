package templates

import (
	"strings"
	"testing"

	"outreach"
)

// Staff free text reaches a French or Spanish mission in its language when
// staff gave it; otherwise a sentence in the mission's language says the
// note is in English and quotes it. It never follows a full stop in lower
// case.
func TestReasonInTheMissionsLanguage(t *testing.T) {
	r := loadRound(t)
	s := mustLoad(t, "")
	sess := r.session(t, "JPN")
	sess.Status = outreach.Cancelled
	sess.Note = "the State under Review has asked for a later date."
	cases := []struct {
		id, fr, es string
		want       []string
		not        []string
	}{
		{"BEN", "", "", []string{"Le motif n'a été communiqué qu'en anglais ; en voici le texte : « The State under Review has asked"}, []string{"Motif : the", ". the"}},
		{"BEN", "L'État examiné a demandé un report.", "", []string{"Motif : L'État examiné a demandé un report."}, []string{"State under Review"}},
		{"PER", "", "", []string{"El motivo solo se ha comunicado en inglés; su texto es el siguiente: «The State under Review"}, []string{"Motivo: the"}},
		{"PER", "", "El Estado examinado pidió un aplazamiento.", []string{"Motivo: El Estado examinado pidió un aplazamiento."}, []string{"State under Review"}},
		{"JPN", "x", "y", []string{"Reason: The State under Review has asked"}, []string{"« "}},
	}
	for _, c := range cases {
		sess.NoteFR, sess.NoteES = c.fr, c.es
		d := r.data(t, c.id)
		d.Session = &sess
		m := r.missions[c.id]
		msg, err := s.Render(Cancellation, m.Language, d)
		if err != nil {
			t.Fatal(err)
		}
		desc := s.Description(m.Language, r.ev, sess, r.names["JPN"])
		for _, text := range []string{msg.Text, desc} {
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("%s (fr %q es %q): lacks %q:\n%s", c.id, c.fr, c.es, w, text)
				}
			}
			for _, w := range c.not {
				if strings.Contains(text, w) {
					t.Errorf("%s (fr %q es %q): has %q:\n%s", c.id, c.fr, c.es, w, text)
				}
			}
		}
	}
}
