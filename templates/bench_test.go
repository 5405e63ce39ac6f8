package templates

import (
	"testing"

	"outreach"
)

// BenchmarkRenderInvitation renders one invitation (subject, text and HTML
// listing the 14 sessions), as the engine does 195 times per round.
func BenchmarkRenderInvitation(b *testing.B) {
	s, err := Load("")
	if err != nil {
		b.Fatal(err)
	}
	r := loadRound(b)
	d := r.data(b, "BEN")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Render(Invitation, outreach.French, d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad parses and checks every template, as the daemon does at
// start-up and on SIGHUP.
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Load(""); err != nil {
			b.Fatal(err)
		}
	}
}
