"""The framing both parsers share: items on standard input as "LENGTH\\n"
followed by that many bytes, repeated; one JSON object {"results": [...]}
on standard output, each result {KEY: value} or {"error": "..."}."""

import json
import sys


def read_items(stream):
    """Reads the items framed as "LENGTH\\n" and that many bytes, repeated."""
    data = stream.read()
    items, i = [], 0
    while i < len(data):
        nl = data.index(b"\n", i)
        n = int(data[i:nl])
        items.append(data[nl + 1:nl + 1 + n])
        if len(items[-1]) != n:
            raise ValueError("input ends inside item %d" % len(items))
        i = nl + 1 + n
    return items


def run(key, parse):
    """Parses every item of standard input with parse and writes the results."""
    results = []
    for item in read_items(sys.stdin.buffer):
        try:
            results.append({key: parse(item)})
        except Exception as e:
            results.append({"error": "%s: %s" % (type(e).__name__, e)})
    sys.stdout.buffer.write(json.dumps({"results": results}, ensure_ascii=False).encode("utf-8"))
