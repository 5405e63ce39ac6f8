package jobs

import (
	"context"
	"testing"
	"time"

	"outreach"
	"outreach/internal/smtptest"
)

// TestSendInterruptedByStopQueuedAgain: a send cut short because the
// process is stopping is not the message's failure. It goes back to the
// queue due at once, its attempt not counted, and is sent on the next run
// under the same Message-ID.
func TestSendInterruptedByStopQueuedAgain(t *testing.T) {
	inData := make(chan struct{}, 1)
	release := make(chan struct{})
	f := newFixture(t, smtptest.Hooks{Data: func(*smtptest.Message) error {
		select {
		case inData <- struct{}{}:
		default:
		}
		<-release
		return nil
	}})
	if _, err := f.e.Invite("JPN", "test"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := f.e.Flush(ctx, 0)
		done <- err
	}()
	<-inData
	cancel() // the stop: the transaction in flight is abandoned
	if err := <-done; err != nil {
		t.Fatalf("flush after the stop: %v", err)
	}
	close(release)
	it := f.item(invitationKey("JPN"))
	if it.State != outreach.Queued || it.Attempts != 0 || it.Next.After(f.clock.Now()) {
		t.Fatalf("after an interrupted send: state %s, attempts %d, next %v; want queued, 0 attempts, due now",
			it.State, it.Attempts, it.Next)
	}
	id := it.MessageID

	f.restart()
	if _, err := f.e.Flush(context.Background(), time.Second); err != nil {
		t.Fatal(err)
	}
	it = f.item(invitationKey("JPN"))
	if it.State != outreach.Sent || it.MessageID != id {
		t.Fatalf("after the restart: %s %s, want sent under %s", it.State, it.MessageID, id)
	}
	for _, m := range f.smtp.Messages() {
		if m.MessageID != id {
			t.Errorf("the server received %s, not the invitation's Message-ID %s", m.MessageID, id)
		}
	}
}
