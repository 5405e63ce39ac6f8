// Package crashtest holds the crash tests of `outreach run`. Each test
// builds the real binary, points it at servers that live in the test
// process (a recording SMTP server, an in-memory IMAP server, both on
// 127.0.0.1), kills it with SIGKILL at random moments while it works,
// restarts it, and checks what it recorded against what the servers saw.
//
// The tests print their figures (kills, duplicates, time) with t.Logf;
// RELIABILITY.md at the repository root quotes them.
package crashtest
