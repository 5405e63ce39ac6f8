// normalize.js reads iCalendar objects with ical.js and reduces them to the
// plain view that internal/clientcheck returns to Go: the calendar's METHOD
// and, per VEVENT, what a calendar client shows and keys on.
"use strict";

let ICAL;

// load imports ical.js (an ES module) once.
async function load() {
  if (!ICAL) {
    ICAL = (await import("ical.js")).default;
  }
  return ICAL;
}

// stripMailto removes a leading mailto: in any case, as clients do.
function stripMailto(v) {
  const s = String(v ?? "");
  return s.toLowerCase().startsWith("mailto:") ? s.slice(7) : s;
}

function text(comp, name) {
  const v = comp.getFirstPropertyValue(name);
  return v === null || v === undefined ? "" : String(v);
}

// when converts a DTSTART/DTEND property to an ISO 8601 UTC string, and
// says which zone ical.js resolved its TZID to. A TZID that resolves to no
// zone leaves the time floating: that is reported, never guessed.
function when(comp, name, problems) {
  const p = comp.getFirstProperty(name);
  if (!p) {
    return { utc: "", tzid: "", zone: "" };
  }
  const t = p.getFirstValue();
  const tzid = p.getParameter("tzid") || "";
  const zone = t && t.zone ? t.zone.tzid || "" : "";
  if (!t || typeof t.toUnixTime !== "function") {
    problems.push(`${name.toUpperCase()} is not a date-time`);
    return { utc: "", tzid, zone };
  }
  if (tzid && zone !== tzid) {
    problems.push(`${name.toUpperCase()};TZID=${tzid} resolved to zone "${zone}"`);
  }
  if (!tzid && zone !== "UTC") {
    problems.push(`${name.toUpperCase()} is floating (no TZID, no Z)`);
  }
  const utc = new Date(t.toUnixTime() * 1000).toISOString();
  return { utc, tzid, zone };
}

function address(p) {
  return {
    email: stripMailto(p.getFirstValue()),
    cn: p.getParameter("cn") || "",
  };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

// calendar parses one object (a Buffer) and returns its normalised view.
// iCalendar is UTF-8 (RFC 5545 §3.1.4): other bytes are an error, not
// replacement characters.
function calendar(buf) {
  let ics;
  try {
    ics = utf8.decode(buf);
  } catch (e) {
    throw new Error("not UTF-8");
  }
  const jcal = ICAL.parse(ics);
  // ICAL.parse returns an array when the input holds several components.
  if (Array.isArray(jcal) && Array.isArray(jcal[0])) {
    throw new Error(`${jcal.length} top-level components, want one VCALENDAR`);
  }
  const root = new ICAL.Component(jcal);
  if (root.name !== "vcalendar") {
    throw new Error(`top-level component is ${root.name}, want vcalendar`);
  }
  const out = {
    method: text(root, "method"),
    prodid: text(root, "prodid"),
    version: text(root, "version"),
    timezones: root.getAllSubcomponents("vtimezone").map((z) => text(z, "tzid")),
    events: [],
    problems: [],
  };
  for (const ve of root.getAllSubcomponents("vevent")) {
    const problems = [];
    const ev = new ICAL.Event(ve);
    const start = when(ve, "dtstart", problems);
    const end = when(ve, "dtend", problems);
    const org = ve.getFirstProperty("organizer");
    const dtstamp = ve.getFirstPropertyValue("dtstamp");
    out.events.push({
      uid: ev.uid || "",
      sequence: ev.sequence || 0,
      status: text(ve, "status"),
      summary: ev.summary || "",
      location: ev.location || "",
      description: ev.description || "",
      dtstamp: dtstamp ? new Date(dtstamp.toUnixTime() * 1000).toISOString() : "",
      start: start.utc,
      end: end.utc,
      start_tzid: start.tzid,
      start_zone: start.zone,
      organizer: org ? address(org) : { email: "", cn: "" },
      attendees: ve.getAllProperties("attendee").map((a) => ({
        ...address(a),
        partstat: a.getParameter("partstat") || "",
        rsvp: a.getParameter("rsvp") || "",
        role: a.getParameter("role") || "",
      })),
      problems,
    });
    for (const p of problems) {
      out.problems.push(`${ev.uid}: ${p}`);
    }
  }
  return out;
}

// readInput reads the objects from stdin, each framed as "LENGTH\n" and
// that many bytes, and returns them as strings (iCalendar is UTF-8).
async function readInput() {
  const chunks = [];
  for await (const c of process.stdin) {
    chunks.push(c);
  }
  const data = Buffer.concat(chunks);
  const items = [];
  let i = 0;
  while (i < data.length) {
    const nl = data.indexOf(0x0a, i);
    if (nl < 0) {
      throw new Error(`input: no length at byte ${i}`);
    }
    const n = Number(data.subarray(i, nl).toString("ascii"));
    if (!Number.isInteger(n) || nl + 1 + n > data.length) {
      throw new Error(`input: bad length at byte ${i}`);
    }
    items.push(data.subarray(nl + 1, nl + 1 + n));
    i = nl + 1 + n;
  }
  return items;
}

module.exports = { load, calendar, readInput };
