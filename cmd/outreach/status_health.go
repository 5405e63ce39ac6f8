package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"outreach/admin"
	"outreach/jobs"
)

// statusJSON is `status --json`: the round's figures and, under "health",
// what /healthz says (the store's writability always; the last send, the
// last sync, SMTP and IMAP folders while the daemon runs).
type statusJSON struct {
	jobs.Status
	Health *admin.Health `json:"health,omitempty"`
}

// readHealth asks /healthz; an unhealthy answer (503) is an answer.
func readHealth(ctx context.Context, a *admin.Client) *admin.Health {
	h, err := a.Health(ctx)
	var ae *admin.APIError
	if err == nil || errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable {
		return &h
	}
	return nil
}

// printHealth writes the health lines of `status`.
func printHealth(w io.Writer, h *admin.Health, loc *time.Location) {
	if h == nil {
		return
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return "never since the daemon started"
		}
		return t.In(loc).Format("2006-01-02 15:04:05 MST")
	}
	state := "ok"
	if !h.OK {
		state = "NOT OK"
	}
	printf(w, "\nHealth: %s\n", state)
	if sw := h.StoreWrite; sw != nil {
		if sw.Writable {
			free := "unknown"
			if sw.FreeBytes >= 0 {
				free = fmt.Sprintf("%d MiB", sw.FreeBytes>>20)
			}
			printf(w, "  Store: writable (%s free)\n", free)
		} else {
			printf(w, "  Store: CANNOT BE WRITTEN since %s: %s\n", at(sw.Since), sw.Problem)
		}
	} else if h.Store != "ok" {
		printf(w, "  Store: %s\n", h.Store)
	}
	if !h.Daemon {
		printf(w, "  Daemon: not running\n")
		return
	}
	printf(w, "  Last send: %s\n", at(h.LastSend))
	printf(w, "  Last mailbox sync: %s\n", at(h.LastSync))
	if h.SMTP != "" && h.SMTP != "ok" {
		printf(w, "  Outbox: %s\n", h.SMTP)
	}
	if h.LastError != "" {
		printf(w, "  IMAP: %s, last error: %s\n", h.IMAP, h.LastError)
	}
	for _, l := range h.LoginHeld {
		printf(w, "  %s LOGIN REFUSED by the server %d %s since %s (last: %s); no attempt before %s. New credentials are tried at once after a restart.\n",
			strings.ToUpper(l.Service), l.Failures, plural(l.Failures, "time", "times"), at(l.First), l.Err, at(l.Next))
	}
	for _, f := range h.FolderErrors {
		printf(w, "  IMAP folder %s (%s on the server) DOES NOT WORK since %s; %d replies recorded and waiting in the mailbox: %s\n",
			f.Folder, f.Server, at(f.Since), f.Waiting, f.Err)
	}
}
