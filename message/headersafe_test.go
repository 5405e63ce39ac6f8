package message

import (
	"bytes"
	"mime"
	netmail "net/mail"
	"strings"
	"testing"
)

// TestRenderDropsDirectionControls: U+202E and the other direction
// controls in a display name, the subject or an attachment's name do not
// reach the message; the rest of the text does.
func TestRenderDropsDirectionControls(t *testing.T) {
	m := invitation(1)
	m.To[0].Name = "Mission \u202eosla\u202c of Japan"
	m.Subject = "Invitation \u2067pre-sessions\u2069"
	m.ReplyTo.Name = "UPR\u202d Pre-sessions"
	m.Attachments[0].Filename = "Japan\u202escI.ics"
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	if subject != "Invitation pre-sessions" {
		t.Errorf("Subject %q", subject)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || to[0].Name != "Mission osla of Japan" {
		t.Errorf("To %v %v", to, err)
	}
	rt, err := msg.Header.AddressList("Reply-To")
	if err != nil || rt[0].Name != "UPR Pre-sessions" {
		t.Errorf("Reply-To %v %v", rt, err)
	}
	if bytes.Contains(b.Bytes(), []byte("\u202e")) || strings.Contains(strings.ToUpper(b.String()), "=E2=80=AE") ||
		strings.Contains(b.String(), "%E2%80%AE") {
		t.Error("U+202E reached the message")
	}
	if m.To[0].Name != "Mission \u202eosla\u202c of Japan" {
		t.Error("the caller's message was changed")
	}
}
