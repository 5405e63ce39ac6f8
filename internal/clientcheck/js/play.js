// play.js applies a sequence of iTIP objects (RFC 5546), given in order on
// stdin, to one calendar the way a client such as Thunderbird does, and
// writes the calendar's final events and what each object did as JSON.
//
// The store is keyed by UID. A REQUEST adds an unknown event, replaces a
// known one when it is a newer revision (higher SEQUENCE, or the same
// SEQUENCE and a later DTSTAMP, RFC 5546 §2.1.5) and is ignored otherwise.
// A CANCEL of a known event at its SEQUENCE or later marks it cancelled; an
// older CANCEL, or one for an unknown event, is ignored. Other methods do
// not change the calendar.
"use strict";

const { load, calendar, readInput } = require("./normalize.js");

// newer reports whether event a is a later revision than b.
function newer(a, b) {
  if (a.sequence !== b.sequence) {
    return a.sequence > b.sequence;
  }
  return a.dtstamp > b.dtstamp; // ISO 8601 UTC strings sort by time
}

function apply(store, method, ev) {
  const have = store.get(ev.uid);
  switch (method.toUpperCase()) {
    case "REQUEST":
      if (!have) {
        store.set(ev.uid, { ...ev, cancelled: false });
        return ["added", ""];
      }
      if (!newer(ev, have)) {
        return ["ignored", `SEQUENCE ${ev.sequence} (DTSTAMP ${ev.dtstamp}) is not newer than ${have.sequence} (${have.dtstamp})`];
      }
      store.set(ev.uid, { ...ev, cancelled: (ev.status || "").toUpperCase() === "CANCELLED" });
      return ["updated", ""];
    case "CANCEL":
      if (!have) {
        return ["ignored", "no such event in the calendar"];
      }
      if (ev.sequence < have.sequence) {
        return ["ignored", `SEQUENCE ${ev.sequence} is older than ${have.sequence}`];
      }
      store.set(ev.uid, { ...have, sequence: ev.sequence, dtstamp: ev.dtstamp, status: "CANCELLED", cancelled: true });
      return ["cancelled", ""];
    default:
      return ["ignored", `method ${method} does not change a calendar`];
  }
}

async function main() {
  await load();
  const items = await readInput();
  const store = new Map();
  const steps = [];
  items.forEach((ics, i) => {
    let cal;
    try {
      cal = calendar(ics);
    } catch (e) {
      steps.push({ index: i, action: "error", error: String(e && e.message ? e.message : e) });
      return;
    }
    if (cal.events.length === 0) {
      steps.push({ index: i, method: cal.method, action: "ignored", reason: "no VEVENT" });
    }
    for (const ev of cal.events) {
      const [action, reason] = apply(store, cal.method, ev);
      steps.push({ index: i, method: cal.method, uid: ev.uid, sequence: ev.sequence, action, reason, problems: ev.problems });
    }
  });
  process.stdout.write(JSON.stringify({ events: [...store.values()], steps }));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + "\n");
  process.exit(1);
});
