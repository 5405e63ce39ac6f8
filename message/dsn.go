package message

import "strings"

// DSNRecipient is one per-recipient group of a delivery-status part
// (RFC 3464 §2.3).
type DSNRecipient struct {
	Final, Original, Action, Status, Diagnostic, Retry string
}

// ParseDSN reads the fields of a message/delivery-status body: groups of
// fields separated by blank lines, the first per message, the rest per
// recipient. A group starts anew at a second Final-Recipient even without
// a blank line.
func ParseDSN(s string) []DSNRecipient {
	var out []DSNRecipient
	var cur DSNRecipient
	has := false
	flush := func() {
		if has && (cur.Final != "" || cur.Original != "" || cur.Action != "" || cur.Status != "") {
			out = append(out, cur)
		}
		cur, has = DSNRecipient{}, false
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.TrimSpace(l) == "" {
			flush()
			continue
		}
		for i+1 < len(lines) && len(lines[i+1]) > 0 && (lines[i+1][0] == ' ' || lines[i+1][0] == '\t') {
			i++
			l += " " + strings.TrimSpace(lines[i])
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "final-recipient":
			if cur.Final != "" {
				flush()
			}
			cur.Final, has = DSNAddress(value), true
		case "original-recipient":
			cur.Original, has = DSNAddress(value), true
		case "action":
			cur.Action, has = strings.ToLower(value), true
		case "status":
			cur.Status, has = value, true
		case "diagnostic-code":
			cur.Diagnostic, has = dsnDiagnostic(value), true
		case "will-retry-until":
			cur.Retry, has = value, true
		}
		if len(out) > 100 {
			break
		}
	}
	flush()
	return out
}

// DSNAddress reads an address field of a report, "rfc822; user@example"
// (RFC 3464 §2.3.2).
func DSNAddress(v string) string {
	if _, a, ok := strings.Cut(v, ";"); ok {
		v = a
	}
	v = strings.Trim(strings.TrimSpace(v), "<>")
	return strings.ToLower(BareAddress(strings.Trim(strings.TrimSpace(v), "<>")))
}

// dsnDiagnostic reads "smtp; 550 5.1.1 ..." (RFC 3464 §2.3.6).
func dsnDiagnostic(v string) string {
	if t, d, ok := strings.Cut(v, ";"); ok && !strings.ContainsAny(t, " ") {
		v = d
	}
	return strings.Join(strings.Fields(v), " ")
}
