package replies

import (
	"strings"
	"testing"

	"outreach"
)

func testReader(t *testing.T) *reader {
	t.Helper()
	return newReader(allStates(), testDirectory(t).Sessions(), "")
}

// The answer of one mention in a sentence: the clause's answer, turned
// round by an "except" between the answer and the mention.
func TestStatusOfExcept(t *testing.T) {
	r := testReader(t)
	f := fold("We will attend all the pre-sessions except the one on Ukraine.")
	sc := cuesOf(f)
	all := located{allSessions, strings.Index(f, "all"), strings.Index(f, "all") + 3}
	ukr := located{"UKR", strings.Index(f, "ukraine"), len(f) - 1}
	ms := mentionsByClause(sc.clauses, []located{all, ukr})
	if st, ok, unclear := r.statusOf(0, all, sc.cues, ms); !ok || unclear || st != outreach.Accepted {
		t.Errorf("all the pre-sessions: %v ok=%v unclear=%v, want accepted", st, ok, unclear)
	}
	if st, ok, unclear := r.statusOf(0, ukr, sc.cues, ms); !ok || unclear || st != outreach.Declined {
		t.Errorf("Ukraine, after except: %v ok=%v unclear=%v, want declined", st, ok, unclear)
	}
}

// A clause with no answer of its own takes the one of the clause after it
// that is only an answer: "for Peru, unfortunately not".
func TestStatusOfNeighbourClause(t *testing.T) {
	r := testReader(t)
	f := fold("As for Peru, unfortunately not.")
	sc := cuesOf(f)
	per := located{"PER", strings.Index(f, "peru"), strings.Index(f, "peru") + 4}
	ms := mentionsByClause(sc.clauses, []located{per})
	if st, ok, _ := r.statusOf(0, per, sc.cues, ms); !ok || st != outreach.Declined {
		t.Errorf("Peru: %v ok=%v, want declined (cues %v)", st, ok, sc.cues)
	}
}

// What the sentences said, concluded per session: "all" covers every
// session not named, a named session keeps its own answer, and a session
// answered both ways is a problem for staff, not an answer.
func TestConclude(t *testing.T) {
	r := testReader(t)
	st := newReadState("")
	st.all[outreach.Accepted] = true
	addStatus(st.explicit, "UKR", outreach.Declined)
	addStatus(st.byName, "UKR", outreach.Declined)
	st.named["UKR"] = true
	addStatus(st.explicit, "PER", outreach.Accepted)
	addStatus(st.explicit, "PER", outreach.Declined)
	addStatus(st.byName, "PER", outreach.Accepted)
	addStatus(st.byName, "PER", outreach.Declined)
	st.named["PER"] = true
	answers, problems, _ := r.conclude(st)
	if answers["UKR"] != outreach.Declined || answers["GHA"] != outreach.Accepted || answers["ZMB"] != outreach.Accepted {
		t.Errorf("answers = %v, want Ukraine declined and the others accepted", answers)
	}
	if _, ok := answers["PER"]; ok {
		t.Errorf("Peru answered %v although the letter both accepts and declines it", answers["PER"])
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "both accepts and declines the pre-session on Peru") {
		t.Errorf("problems = %q", problems)
	}
	if len(answers) != len(r.sessions)-1 {
		t.Errorf("%d answers for %d sessions, Peru left out", len(answers), len(r.sessions))
	}
}

// A condition over the letter makes every acceptance tentative and says
// why; an answer for no named session is a problem.
func TestConcludeConditionAndNoSession(t *testing.T) {
	r := testReader(t)
	st := newReadState("")
	addStatus(st.explicit, "JPN", outreach.Accepted)
	st.named["JPN"] = true
	st.condition, st.condWhy = true, "Our participation is subject to confirmation from the capital."
	answers, problems, because := r.conclude(st)
	if answers["JPN"] != outreach.Tentative || len(problems) != 0 {
		t.Errorf("answers = %v, problems = %q, want Japan tentative and no problem", answers, problems)
	}
	if len(because["JPN"]) == 0 || because["JPN"][len(because["JPN"])-1].Text != st.condWhy {
		t.Errorf("because = %v, want the condition", because["JPN"])
	}

	st = newReadState("")
	st.noSession = []outreach.Status{outreach.Accepted}
	if answers, problems, _ := r.conclude(st); len(answers) != 0 || len(problems) != 1 || !strings.Contains(problems[0], "names no pre-session") {
		t.Errorf("answers = %v, problems = %q", answers, problems)
	}
}
