// Package outreach holds the domain of the UPR pre-session invitations: the
// Event (one round of pre-sessions), its Sessions (one per State under
// Review), the Missions invited to every one of them, and the RSVPs they give.
//
// The package imports only the standard library. Adapters live in their own
// packages (store, ical, mailer, templates, config) and the engine that
// composes them lives in jobs; cmd/outreach wires everything together.
package outreach
