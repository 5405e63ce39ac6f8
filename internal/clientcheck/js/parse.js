// parse.js parses each iCalendar object given on stdin with ical.js and
// writes one result per object, in order, as JSON on stdout:
// {"calendar": {...}} or {"error": "..."}.
"use strict";

const { load, calendar, readInput } = require("./normalize.js");

async function main() {
  await load();
  const items = await readInput();
  const results = items.map((ics) => {
    try {
      return { calendar: calendar(ics) };
    } catch (e) {
      return { error: String(e && e.message ? e.message : e) };
    }
  });
  process.stdout.write(JSON.stringify({ results }));
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + "\n");
  process.exit(1);
});
