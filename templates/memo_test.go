package templates

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"outreach"
)

// TestSessionViewsKeepsMessagesTheSame: messages rendered with the views
// kept in a SessionViews are those rendered without, for missions of every
// language and for reminders with answers; and a list that changed (a
// session moved, a room renamed, a State's name corrected) is shown as it
// now is, not as the views kept say.
func TestSessionViewsKeepsMessagesTheSame(t *testing.T) {
	r := loadRound(t)
	set := mustLoad(t, "")
	views := NewSessionViews()
	render := func(kind Kind, d Data) Message {
		t.Helper()
		m, err := set.Render(kind, d.Mission.Language, d)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	same := func(what string, kind Kind, d Data) Message {
		t.Helper()
		fresh := render(kind, d)
		d.Views = views
		for range 2 {
			if got := render(kind, d); !reflect.DeepEqual(got, fresh) {
				t.Errorf("%s: rendered with kept views differs:\n%s\n--- without ---\n%s", what, got.Text, fresh.Text)
			}
		}
		return fresh
	}
	for _, id := range []string{"BEN", "ARG", "JPN", "CHE"} {
		same("invitation to "+id, Invitation, r.data(t, id))
	}
	rem := r.data(t, "JPN")
	rem.Answers = map[string]outreach.Status{"UKR": outreach.Accepted, "PER": outreach.Declined}
	same("reminder with answers", ReminderNoAnswer, rem)

	// The round changes under the same SessionViews.
	moved := r.session(t, "UKR")
	moved.Start, moved.End = moved.Start.Add(24*time.Hour), moved.End.Add(24*time.Hour)
	moved.Room, moved.Sequence = "Room XXVI", moved.Sequence+1
	d := r.data(t, "GBR")
	d.Sessions = replace(r.sessions, moved)
	got := same("invitation after a move", Invitation, d)
	if !strings.Contains(got.Text, "Room XXVI") {
		t.Errorf("the moved session's room is not shown:\n%s", got.Text)
	}
	renamed := r.data(t, "GBR")
	renamed.SuRNames = map[string]outreach.Names{}
	for k, n := range r.names {
		renamed.SuRNames[k] = n
	}
	n := renamed.SuRNames["UKR"]
	n.EN = "Ukraine (corrected)"
	renamed.SuRNames["UKR"] = n
	if got := same("invitation after a name was corrected", Invitation, renamed); !strings.Contains(got.Text, "Ukraine (corrected)") {
		t.Errorf("the corrected name is not shown:\n%s", got.Text)
	}
}
