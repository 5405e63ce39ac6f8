package config

// Provider is what a mail provider profile fills in: servers, sending
// limits and OAuth2 endpoints. Keys set in the file win over it.
type Provider struct {
	IMAPHost, IMAPTLS string
	SMTPHost, SMTPTLS string
	// PerMinute and PerDay are the provider's sending limits.
	PerMinute, PerDay int
	// TokenURL is the token endpoint; "{tenant}" stands for
	// oauth2.tenant.
	TokenURL string
	Scopes   []string
}

// Profile returns the profile `provider` names; "generic" fills nothing.
//
// Microsoft 365 (Exchange Online): IMAP outlook.office365.com:993, SMTP
// submission smtp.office365.com:587 with STARTTLS; 30 messages a minute
// and 10,000 recipients a day; the Microsoft identity platform's v2.0
// token endpoint of the tenant, and the scope of app-only access to
// Exchange Online.
//
// Google Workspace: IMAP imap.gmail.com:993, SMTP smtp.gmail.com:465 with
// implicit TLS; 2,000 messages a day (Gmail's published sending limit for
// Workspace accounts); Google's token endpoint and the full mail scope,
// the only one IMAP and SMTP accept.
func Profile(name string) (Provider, bool) {
	switch name {
	case "microsoft365":
		return Provider{
			IMAPHost: "outlook.office365.com", IMAPTLS: "tls",
			SMTPHost: "smtp.office365.com", SMTPTLS: "starttls",
			PerMinute: 30, PerDay: 10000,
			TokenURL: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
			Scopes:   []string{"https://outlook.office365.com/.default"},
		}, true
	case "google":
		return Provider{
			IMAPHost: "imap.gmail.com", IMAPTLS: "tls",
			SMTPHost: "smtp.gmail.com", SMTPTLS: "tls",
			PerMinute: 30, PerDay: 2000,
			TokenURL: "https://oauth2.googleapis.com/token",
			Scopes:   []string{"https://mail.google.com/"},
		}, true
	case "generic":
		return Provider{}, true
	}
	return Provider{}, false
}
