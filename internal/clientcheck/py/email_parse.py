"""Parse RFC 5322 messages with Python's email package (policy=default).

Reads {"items": [base64, ...]} on stdin and writes {"results": [...]} on
stdout: per message, in order, {"email": {...}} or {"error": "..."}.
A message's view holds every defect the parser registered (on the message,
on any part, on any header), its headers decoded, the addresses of the
address headers, and the tree of parts with their content types,
dispositions, file names and decoded bodies.
"""

import base64
import email
import email.policy
import json
import sys


def defect_names(ds, where):
    return ["%s: %s: %s" % (where, type(d).__name__, d) for d in ds]


ADDRESS_HEADERS = {"from", "to", "cc", "bcc", "reply-to", "sender"}


def headers(part, where, defects):
    out = []
    addrs = {}
    for name in part.keys():
        values = part.get_all(name) or []
        for v in values:
            defects.extend(defect_names(getattr(v, "defects", ()), "%s header %s" % (where, name)))
            out.append([name, str(v)])
            if name.lower() in ADDRESS_HEADERS and hasattr(v, "addresses"):
                addrs.setdefault(name.lower(), []).extend(
                    {"name": a.display_name, "email": a.addr_spec} for a in v.addresses
                )
    return out, addrs


def tree(part, path, defects):
    where = "part " + (path or "root")
    defects.extend(defect_names(part.defects, where))
    hdrs, _ = headers(part, where, defects) if path else ([], {})
    node = {
        "path": path,
        "content_type": part.get_content_type(),
        "params": {k.lower(): str(v) for k, v in part.get_params(header="content-type", failobj=[])[1:]},
        "disposition": part.get_content_disposition() or "",
        "filename": part.get_filename() or "",
        "transfer_encoding": str(part.get("Content-Transfer-Encoding", "")),
        "headers": hdrs,
        "parts": [],
    }
    if part.is_multipart():
        for i, sub in enumerate(part.iter_parts()):
            node["parts"].append(tree(sub, "%s%d" % (path + "." if path else "", i + 1), defects))
        return node
    body = part.get_payload(decode=True) or b""
    node["body"] = base64.b64encode(body).decode("ascii")
    if part.get_content_maintype() == "text":
        try:
            node["text"] = part.get_content()
        except Exception as e:
            defects.append("%s: cannot decode text: %s" % (where, e))
    return node


def message(data):
    msg = email.message_from_bytes(data, policy=email.policy.default)
    defects = []
    hdrs, addrs = headers(msg, "message", defects)
    root = tree(msg, "", defects)
    return {"defects": defects, "headers": hdrs, "addresses": addrs, "root": root}


def main():
    req = json.load(sys.stdin)
    results = []
    for item in req["items"]:
        try:
            results.append({"email": message(base64.b64decode(item))})
        except Exception as e:
            results.append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
