package testenv

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
)

var (
	rsvp    = User{Name: "rsvp@presessions.example", Password: "rsvp-secret"}
	mission = User{Name: "mission.geneva@civ.example", Password: "m1ss10n"}
)

func testMessage(subject string) []byte {
	return []byte("From: Secretariat <rsvp@presessions.example>\r\n" +
		"To: mission.geneva@civ.example\r\n" +
		"Subject: " + subject + "\r\n" +
		"Message-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@presessions.example>\r\n" +
		"Date: Mon, 02 Oct 2017 09:00:00 +0200\r\n" +
		"\r\n" +
		"Body of " + subject + "\r\n")
}

func TestDovecotAppendIsVisibleToItsOwnerOnly(t *testing.T) {
	t.Parallel()
	d := StartDovecot(t, rsvp, mission)
	t.Logf("dovecot started in %v", d.StartupTime())

	raw := testMessage("Pre-session on Japan")
	uid := d.Append(t, rsvp.Name, "INBOX", raw)
	uid2 := d.Append(t, rsvp.Name, "Replies/Processed", testMessage("second"))
	if uid == 0 || uid2 == 0 {
		t.Fatalf("Append returned UIDs %d, %d; want non-zero", uid, uid2)
	}

	c := d.Dial(t, rsvp.Name)
	caps := c.Caps()
	for _, want := range []imap.Cap{imap.CapIdle, imap.CapMove, imap.CapUIDPlus} {
		if !caps.Has(want) {
			t.Errorf("capability %s missing; server offers %v", want, caps)
		}
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	section := &imap.FetchItemBodySection{}
	bufs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(bufs) != 1 || bufs[0].UID != uid {
		t.Fatalf("fetch UID %d: got %d messages", uid, len(bufs))
	}
	if got := bufs[0].FindBodySection(section); !bytes.Equal(got, raw) {
		t.Errorf("stored message differs:\n got %q\nwant %q", got, raw)
	}

	if got := d.Messages(t, rsvp.Name, "Replies/Processed"); len(got) != 1 || got[0].UID != uid2 {
		t.Errorf("Replies/Processed holds %+v, want UID %d", got, uid2)
	}
	if got := d.Messages(t, mission.Name, "INBOX"); len(got) != 0 {
		t.Errorf("another user's INBOX holds %d messages, want 0", len(got))
	}
	if got := d.Messages(t, rsvp.Name, "No/Such/Folder"); len(got) != 0 {
		t.Errorf("a missing mailbox reads as %d messages, want 0", len(got))
	}
}

func TestDovecotRejectsWrongPassword(t *testing.T) {
	t.Parallel()
	d := StartDovecot(t, rsvp)
	c, err := imapclient.DialInsecure(d.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(rsvp.Name, "wrong").Wait(); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
}

// LMTP delivery (the path Postfix takes) must wake an IDLE client.
func TestDovecotLMTPDeliveryWakesIdle(t *testing.T) {
	t.Parallel()
	d := StartDovecot(t, rsvp)

	counts := make(chan uint32, 16)
	c := d.Dial(t, rsvp.Name, &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					counts <- *data.NumMessages
				}
			},
		},
	})
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}

	conn, err := net.Dial("unix", d.LMTPSocket)
	if err != nil {
		t.Fatal(err)
	}
	lc := smtp.NewClientLMTP(conn)
	defer lc.Close()
	if err := lc.Hello("mx.presessions.example"); err != nil {
		t.Fatal(err)
	}
	// The "+detail" form must reach the same mailbox (sub-addressing).
	if err := lc.SendMail("mission.geneva@civ.example", []string{"rsvp+tok123@presessions.example"}, bytes.NewReader(testMessage("accepted"))); err != nil {
		t.Fatalf("LMTP delivery: %v\n%s", err, tail(d.LogPath, 2000))
	}

	select {
	case n := <-counts:
		if n != 1 {
			t.Errorf("IDLE reported %d messages, want 1", n)
		}
	case <-time.After(startTimeout):
		t.Fatalf("IDLE reported nothing within %v\n%s", startTimeout, tail(d.LogPath, 2000))
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}

	// An unknown user is refused at RCPT, which makes Postfix bounce.
	err = lc.SendMail("rsvp@presessions.example", []string{"nobody@presessions.example"}, bytes.NewReader(testMessage("lost")))
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("LMTP to an unknown user: err = %v, want a 550", err)
	}
}

func TestDovecotRestartKeepsMailAndAddress(t *testing.T) {
	t.Parallel()
	d := StartDovecot(t, rsvp)
	uid := d.Append(t, rsvp.Name, "INBOX", testMessage("before restart"))
	addr := d.Addr

	c := d.Dial(t, rsvp.Name)
	d.Restart(t)
	// The old session is gone with the old server.
	if err := c.Noop().Wait(); err == nil {
		t.Error("a session from before the restart still works")
	}

	if d.Addr != addr {
		t.Errorf("address changed from %s to %s", addr, d.Addr)
	}
	got := d.Messages(t, rsvp.Name, "INBOX")
	if len(got) != 1 || got[0].UID != uid {
		t.Fatalf("after restart INBOX holds %+v, want UID %d", got, uid)
	}
}

func TestDovecotStopLeavesNoProcess(t *testing.T) {
	t.Parallel()
	d := StartDovecot(t, rsvp)
	d.Append(t, rsvp.Name, "INBOX", testMessage("x"))
	if pids := instanceProcesses(d.processes); len(pids) < 3 {
		t.Fatalf("found %d processes of the running instance, want master and its services; the leftover check would see nothing", len(pids))
	}
	d.Stop()
	if pids := instanceProcesses(d.processes); len(pids) != 0 {
		t.Errorf("processes %v still run after Stop", pids)
	}
	if c, err := net.DialTimeout("tcp", d.Addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Stop", d.Addr)
	}
	d.Stop() // a second Stop, as the cleanup will do, is harmless
}

// An instance without MOVE makes go-imap's client fall back to
// COPY + STORE \Deleted + EXPUNGE, the path LIBRARY-NOTES warns about.
func TestDovecotWithoutMove(t *testing.T) {
	t.Parallel()
	d := StartDovecotWith(t, DovecotOptions{DropCaps: []string{"MOVE"}}, rsvp)
	uid := d.Append(t, rsvp.Name, "INBOX", testMessage("to move"))
	d.Append(t, rsvp.Name, "Processed", testMessage("already there"))

	c := d.Dial(t, rsvp.Name)
	caps := c.Caps()
	if caps.Has(imap.CapMove) {
		t.Fatalf("MOVE still advertised: %v", caps)
	}
	for _, want := range []imap.Cap{imap.CapIdle, imap.CapUIDPlus} {
		if !caps.Has(want) {
			t.Errorf("capability %s lost with MOVE: %v", want, caps)
		}
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Move(imap.UIDSetNum(uid), "Processed").Wait(); err != nil {
		t.Fatalf("move by fallback: %v", err)
	}
	if got := d.Messages(t, rsvp.Name, "INBOX"); len(got) != 0 {
		t.Errorf("INBOX still holds %d messages", len(got))
	}
	if got := d.Messages(t, rsvp.Name, "Processed"); len(got) != 2 {
		t.Errorf("Processed holds %d messages, want 2", len(got))
	}
}

func TestPasswdFileRefusesBadUsers(t *testing.T) {
	for _, users := range [][]User{
		{{Name: "a:b@x.example", Password: "p"}},
		{{Name: "a@x.example", Password: ""}},
		{{Name: "a@x.example", Password: "p\nq"}},
		{{Name: "", Password: "p"}},
		{{Name: "A@x.example", Password: "p"}, {Name: "a@X.example", Password: "q"}},
	} {
		if _, _, err := passwdFile(users); err == nil {
			t.Errorf("passwdFile accepted %+v", users)
		}
	}
	file, byName, err := passwdFile([]User{{Name: "RSVP@Presessions.example", Password: "s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "rsvp@presessions.example:{PLAIN}s3cret::::::\n"; file != want {
		t.Errorf("passwd file = %q, want %q", file, want)
	}
	if byName["rsvp@presessions.example"] != "s3cret" {
		t.Errorf("users by name = %v", byName)
	}
}

func TestDoveadmChangesUIDValidity(t *testing.T) {
	t.Parallel()
	d := StartDovecot(t, rsvp)
	d.Append(t, rsvp.Name, "INBOX", testMessage("before"))
	c := d.Dial(t, rsvp.Name)
	before, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Logout().Wait()
	want := before.UIDValidity + 1000
	d.Doveadm(t, "mailbox", "update", "-u", rsvp.Name, "--uid-validity", fmt.Sprint(want), "INBOX")
	c = d.Dial(t, rsvp.Name)
	after, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if after.UIDValidity != want || after.NumMessages != 1 {
		t.Errorf("after doveadm: UIDVALIDITY %d with %d messages, want %d with the 1 message kept", after.UIDValidity, after.NumMessages, want)
	}
}
