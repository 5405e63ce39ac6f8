package ical

import (
	"testing"
)

func BenchmarkRequest(b *testing.B) {
	ev := demoRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Request(ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInvitationRound builds what one round sends: 195 missions × 14
// sessions.
func BenchmarkInvitationRound(b *testing.B) {
	ev := demoRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < 195*14; i++ {
			if _, err := Request(ev); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkPublish(b *testing.B) {
	var evs []Event
	for day := 10; day <= 13; day++ {
		for hour := 10; hour < 14; hour++ {
			ev := demoSession(b, "JPN", "Japan", day, hour, civ)
			ev.UID = ev.UID + string(rune('a'+day)) + string(rune('a'+hour))
			evs = append(evs, ev)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Publish("staff", evs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseReplies(b *testing.B) {
	data := readTestdata(b, "replies/thunderbird-accept.ics")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseReplies(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	data := readTestdata(b, "request.ics")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(data); err != nil {
			b.Fatal(err)
		}
	}
}
