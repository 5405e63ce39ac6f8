package main

import "outreach"

func rsvpAccepted(mission, session string) outreach.RSVP {
	return outreach.RSVP{Mission: mission, Session: session, Status: outreach.Accepted,
		Source: outreach.Source{Kind: outreach.FromStaff, Actor: "test"}}
}
