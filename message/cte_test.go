package message

import "testing"

// TestDecodeCTEForms: every spelling of a transfer encoding a calendar
// part was seen with decodes it.
func TestDecodeCTEForms(t *testing.T) {
	qp := []byte("PARTSTAT=3DACC=\r\nEPTED")
	for _, cte := range []string{"quoted-printable", "Quoted-Printable", " QUOTED-PRINTABLE ", `"quoted-printable"`, "quoted-printable (Apple)", "quoted-printable;"} {
		if got := string(DecodeCTE(cte, qp, 1<<10)); got != "PARTSTAT=ACCEPTED" {
			t.Errorf("%q: %q", cte, got)
		}
	}
	if got := string(DecodeCTE(`"base64"`, []byte("UEFSVFNUQVQ9\r\nQUNDRVBURUQ="), 1<<10)); got != "PARTSTAT=ACCEPTED" {
		t.Errorf("base64: %q", got)
	}
}
