package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"outreach/internal/smtptest"
	"outreach/internal/testenv"
	"outreach/mailer/inbox"
)

// The default folders, written "outreach/processed" etc., on Dovecot in
// each layout: Debian's own (Maildir++, "." separator), "/", and an
// "INBOX." personal namespace. Replies are recorded and filed into the
// right folders, INBOX is left empty, and a second sync files nothing and
// changes nothing on the server.
func TestDovecotIntakeFolderLayouts(t *testing.T) {
	folders := Folders{Processed: "outreach/processed", Review: "outreach/review", Bounces: "outreach/bounces"}
	for _, layout := range testenv.Layouts {
		t.Run(layout.String(), func(t *testing.T) {
			d := startOrganiserDovecot(t, testenv.DovecotOptions{Layout: layout})
			f := newFixture(t, smtptest.Hooks{})
			f.inviteAndFlush(sceneMissions...)
			rs := f.replies("layout", 0, 4)
			for _, r := range rs {
				d.Append(t, organiserLogin, "INBOX", r.raw)
			}
			stranger := []byte(fmt.Sprintf("From: Someone <someone@elsewhere.example>\r\nTo: %s\r\nSubject: A question\r\n"+
				"Message-ID: <stranger.%s@elsewhere.example>\r\nDate: Mon, 02 Oct 2017 09:00:00 +0200\r\n\r\nWho should we write to about the side event?\r\n",
				organiserLogin, layout))
			d.Append(t, organiserLogin, "INBOX", stranger)

			w, err := inbox.NewWatcher(inbox.Options{
				Addr: d.Addr, TLS: inbox.Plain, Username: organiserLogin, Password: organiserPassword,
				Folders:        []string{folders.Processed, folders.Review, folders.Bounces},
				CommandTimeout: 20 * time.Second,
			}, f.e.Intake("INBOX", folders))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			st, err := w.SyncOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Fetched != 5 || st.Filed != 5 {
				t.Fatalf("first sync %+v, want 5 fetched and filed", st)
			}
			f.recordedOnce(rs)
			processed := onServer(t, d, d.FolderName(folders.Processed))
			for _, r := range rs {
				if processed[r.messageID] != 1 {
					t.Errorf("%s is %d times in %s, want once", r.messageID, processed[r.messageID], d.FolderName(folders.Processed))
				}
			}
			if review := d.Messages(t, organiserLogin, d.FolderName(folders.Review)); len(review) != 1 {
				t.Errorf("%s holds %d messages, want the stranger's", d.FolderName(folders.Review), len(review))
			}
			if left := d.Messages(t, organiserLogin, "INBOX"); len(left) != 0 {
				t.Errorf("INBOX still holds %d messages", len(left))
			}
			if fe := w.Status().FolderErrors; fe != nil {
				t.Errorf("folder errors: %+v", fe)
			}

			before := d.Doveadm(t, "mailbox", "status", "-u", organiserLogin, "all", "*")
			st, err = w.SyncOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st.Fetched != 0 || st.Filed != 0 || st.Refiled != 0 || st.Unfiled != 0 {
				t.Errorf("second sync %+v, want nothing", st)
			}
			if after := d.Doveadm(t, "mailbox", "status", "-u", organiserLogin, "all", "*"); after != before {
				t.Errorf("second sync changed the server:\nbefore %s\nafter  %s", before, after)
			}
			f.recordedOnce(rs)
		})
	}
}
