package replies

import (
	"strings"
	"testing"
)

// BenchmarkClassify classifies the whole corpus once per iteration and
// reports messages per second and bytes per second, overall and by kind
// of message; ns/op is the time for the whole corpus.
func BenchmarkClassify(b *testing.B) {
	dir := testDirectory(b)
	corpus := loadCorpus(b)
	run := func(b *testing.B, msgs []corpusMessage) {
		size := 0
		for _, c := range msgs {
			size += len(c.raw)
		}
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			for _, c := range msgs {
				Classify(c.raw, dir)
			}
		}
		b.ReportMetric(float64(len(msgs))*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	}
	b.Run("corpus", func(b *testing.B) { run(b, corpus) })
	groups := map[string][]corpusMessage{}
	for _, c := range corpus {
		g := c.want.Kind
		switch {
		case strings.HasPrefix(c.name, "quoted-"):
			g = "quoted"
		case strings.HasPrefix(c.name, "letter-"):
			g = "letter"
		case c.want.Kind == "rsvp" || strings.HasPrefix(c.name, "outlook-") || strings.HasPrefix(c.name, "gmail-") ||
			strings.HasPrefix(c.name, "apple-") || strings.HasPrefix(c.name, "thunderbird-") || strings.HasPrefix(c.name, "party-"):
			g = "calendar"
		case c.want.Kind == "delayed":
			g = "bounce"
		}
		groups[g] = append(groups[g], c)
	}
	for _, g := range []string{"calendar", "letter", "quoted", "bounce", "auto-reply", "unrelated"} {
		if len(groups[g]) > 0 {
			b.Run(g, func(b *testing.B) { run(b, groups[g]) })
		}
	}
}

// BenchmarkClassifyHostile measures the worst inputs of hostile_test.go
// that stay within the limits: what one hostile message can cost.
func BenchmarkClassifyHostile(b *testing.B) {
	dir := testDirectory(b)
	inputs := []struct {
		name string
		raw  []byte
	}{
		{"32KB-letter", []byte(envelope("Content-Type: text/plain\r\n\r\n") + acceptKOR + "\r\n" +
			strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod. ", 32<<10/75))},
		{"500-sentences", []byte(envelope("Content-Type: text/plain\r\n\r\n") + acceptKOR + "\r\n" + strings.Repeat("Ok.\r\n", 499))},
		{"one-32KB-sentence", []byte(envelope("Content-Type: text/plain\r\n\r\n") + strings.Repeat("we will not attend Japan, ", 32<<10/26))},
		{"500-parts", []byte(envelope("Content-Type: multipart/mixed; boundary=p\r\n\r\n") +
			strings.Repeat("--p\r\nContent-Type: text/plain\r\n\r\nWill attend Japan.\r\n", 600) + "--p--\r\n")},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.raw)))
			for b.Loop() {
				Classify(in.raw, dir)
			}
		})
	}
}
