"""Parse iCalendar objects with Python's icalendar package.

Reads objects on stdin, each framed as "LENGTH\n" and that many bytes,
and writes {"results": [...]} on stdout: per object, in order,
{"calendar": {...}} or {"error": "..."}.
The calendar view matches internal/clientcheck's Calendar: the METHOD and,
per VEVENT, what a client shows and keys on, with DTSTART/DTEND in UTC.

Times with a TZID are read the way icalendar reads them (pytz by name);
start_vtimezone is DTSTART read through the object's own VTIMEZONE instead
(icalendar's Timezone.to_tz), so both the name and the definition are
checked.
"""

import datetime
import os
import sys

import icalendar

# python3 -I leaves this folder off the path; batch.py lives here.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batch  # noqa: E402


def text(v):
    return "" if v is None else str(v)


def strip_mailto(v):
    s = text(v)
    return s[7:] if s.lower().startswith("mailto:") else s


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def utc(dt, problems, name):
    if dt is None:
        return ""
    if not isinstance(dt, datetime.datetime):
        problems.append("%s is a date, not a date-time" % name)
        return ""
    if dt.tzinfo is None or dt.utcoffset() is None:
        problems.append("%s is floating (no usable time zone)" % name)
        return ""
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def param(prop, name):
    params = getattr(prop, "params", None)
    if params is None:
        return ""
    return text(params.get(name))


def address(prop):
    return {"email": strip_mailto(prop), "cn": param(prop, "CN")}


def errors_of(comp):
    out = []
    for c in comp.walk():
        for prop, msg in getattr(c, "errors", []):
            out.append("%s %s: %s" % (c.name, prop or "(line)", msg))
    return out


# to_tz is by far the slowest step; the same VTIMEZONE text always gives the
# same zone, so each definition is converted once per process.
_zones = {}


def to_tz(z):
    key = z.to_ical()
    if key not in _zones:
        _zones[key] = z.to_tz()
    return _zones[key]


def calendar(data):
    cal = icalendar.Calendar.from_ical(data.decode("utf-8"))
    if cal.name != "VCALENDAR":
        raise ValueError("top-level component is %s, want VCALENDAR" % cal.name)
    problems = errors_of(cal)
    zones = {}
    for z in cal.walk("VTIMEZONE"):
        tzid = text(z.get("TZID"))
        try:
            zones[tzid] = to_tz(z)
        except Exception as e:  # a VTIMEZONE icalendar cannot read
            problems.append("VTIMEZONE %s: %s" % (tzid, e))
    events = []
    for ve in cal.walk("VEVENT"):
        eprobs = []
        start = ve.get("DTSTART")
        start_tzid = param(start, "TZID") if start is not None else ""
        via_zone = ""
        if start is not None and start_tzid:
            tz = zones.get(start_tzid)
            if tz is None:
                eprobs.append("DTSTART;TZID=%s has no VTIMEZONE" % start_tzid)
            else:
                wall = start.dt.replace(tzinfo=None)
                via_zone = utc(tz.localize(wall), eprobs, "DTSTART (VTIMEZONE)")
        stamp = ve.get("DTSTAMP")
        events.append({
            "uid": text(ve.get("UID")),
            "sequence": int(ve.get("SEQUENCE", 0)),
            "status": text(ve.get("STATUS")),
            "summary": text(ve.get("SUMMARY")),
            "location": text(ve.get("LOCATION")),
            "description": text(ve.get("DESCRIPTION")),
            "dtstamp": utc(stamp.dt, eprobs, "DTSTAMP") if stamp is not None else "",
            "start": utc(start.dt, eprobs, "DTSTART") if start is not None else "",
            "end": utc(ve["DTEND"].dt, eprobs, "DTEND") if "DTEND" in ve else "",
            "start_tzid": start_tzid,
            "start_vtimezone": via_zone,
            "organizer": address(ve["ORGANIZER"]) if "ORGANIZER" in ve else {"email": "", "cn": ""},
            "attendees": [
                dict(address(a), partstat=param(a, "PARTSTAT"), rsvp=param(a, "RSVP"), role=param(a, "ROLE"))
                for a in as_list(ve.get("ATTENDEE"))
            ],
            "problems": eprobs,
        })
        problems.extend("%s: %s" % (text(ve.get("UID")), p) for p in eprobs)
    return {
        "method": text(cal.get("METHOD")),
        "prodid": text(cal.get("PRODID")),
        "version": text(cal.get("VERSION")),
        "timezones": list(zones),
        "events": events,
        "problems": problems,
    }


if __name__ == "__main__":
    batch.run("calendar", calendar)
