"""Parse .eml files with Python's email package (policy=default), as mail
clients and archivers built on it do, and report every defect it finds.

Usage: check_eml.py FILE...   Prints one JSON object per file.
"""
import json
import sys
from email import policy
from email.parser import BytesParser


def report(path):
    with open(path, "rb") as f:
        msg = BytesParser(policy=policy.default).parse(f)
    defects = []
    parts = []

    def walk(part, where):
        for d in part.defects:
            defects.append("%s: %s" % (where, d.__class__.__name__ + ": " + str(d)))
        for name, value in part.items():
            for d in getattr(value, "defects", ()):
                defects.append("%s %s: %s" % (where, name, d.__class__.__name__ + ": " + str(d)))
        parts.append({
            "where": where,
            "type": part.get_content_type(),
            "params": {k: v for k, v in part["content-type"].params.items()} if part["content-type"] else {},
            "filename": part.get_filename(),
            "cte": part.get("content-transfer-encoding"),
        })
        if part.is_multipart():
            for i, sub in enumerate(part.iter_parts()):
                walk(sub, "%s.%d" % (where, i + 1))
        else:
            part.get_content()  # decodes; raises on broken encodings

    walk(msg, "0")
    return {
        "defects": defects,
        "subject": str(msg["subject"]),
        "from": str(msg["from"]),
        "to": [str(a) for a in msg["to"].addresses],
        "message_id": str(msg["message-id"]),
        "parts": parts,
    }


for p in sys.argv[1:]:
    print(json.dumps(report(p), ensure_ascii=False))
