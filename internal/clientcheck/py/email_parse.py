"""Parse RFC 5322 messages with Python's email package (policy=default).

Reads messages on stdin, each framed as "LENGTH\n" and that many bytes,
and writes {"results": [...]} on stdout: per message, in order,
{"email": {...}} or {"error": "..."}.
A message's view holds every defect the parser registered (on the message,
on any part, on any header), its headers decoded, the addresses of the
address headers, and the tree of parts with their content types,
dispositions, file names and decoded bodies (base64 in "body"; text parts
also decoded from their charset in "text", and then without "body" when
the charset is UTF-8 or ASCII).
"""

import base64
import email
import email.policy
import os
import sys

# python3 -I leaves this folder off the path; batch.py lives here.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import batch  # noqa: E402


def defect_names(ds, where):
    return ["%s: %s: %s" % (where, type(d).__name__, d) for d in ds]


def fallback_name(values):
    """Whether a raw Content-Type or Content-Disposition value names its
    file both in the RFC 2231 form and plainly."""
    for v in values:
        low = "".join(str(v).split()).lower()
        for p in ("name", "filename"):
            if (";%s*=" % p) in low and (";%s=" % p) in low:
                return True
    return False


ADDRESS_HEADERS = {"from", "to", "cc", "bcc", "reply-to", "sender"}


def headers(part, where, defects):
    """Returns the part's header fields as [name, value] pairs, the
    addresses of its address fields, and its first header object per
    lower-case name. Each field is parsed once: the email package parses
    again on every access, which dominates the time spent."""
    out = []
    addrs = {}
    first = {}
    for name, v in part.items():
        ds = getattr(v, "defects", ())
        if name.lower() in ("content-type", "content-disposition") and fallback_name(
                [raw for n, raw in part.raw_items() if n.lower() == name.lower()]):
            # A file name given in the RFC 2231 form and plainly beside it
            # (RFC 6266 section 4.3) is reported as a duplicate parameter;
            # the parser reads the first, the RFC 2231 one.
            ds = [d for d in ds if "duplicate parameter name" not in str(d)]
        defects.extend(defect_names(ds, "%s header %s" % (where, name)))
        out.append([name, str(v)])
        first.setdefault(name.lower(), v)
        if name.lower() in ADDRESS_HEADERS and hasattr(v, "addresses"):
            addrs.setdefault(name.lower(), []).extend(
                {"name": a.display_name, "email": a.addr_spec} for a in v.addresses
            )
    return out, addrs, first


def tree(part, path, defects, hdrs, first):
    where = "part " + (path or "root")
    defects.extend(defect_names(part.defects, where))
    ct = first.get("content-type")
    cd = first.get("content-disposition")
    ctype = ct.content_type if ct is not None else part.get_default_type()
    filename = ""
    if cd is not None:
        filename = cd.params.get("filename", "")
    if not filename and ct is not None:
        filename = ct.params.get("name", "")
    node = {
        "path": path,
        "content_type": ctype,
        "params": {k.lower(): str(v) for k, v in ct.params.items()} if ct is not None else {},
        "disposition": cd.content_disposition if cd is not None else "",
        "filename": filename,
        "transfer_encoding": str(first.get("content-transfer-encoding", "")),
        "headers": hdrs if path else [],
        "parts": [],
    }
    if part.is_multipart():
        for i, sub in enumerate(part.iter_parts()):
            sub_hdrs, _, sub_first = headers(sub, "part " + "%s%d" % (path + "." if path else "", i + 1), defects)
            node["parts"].append(tree(sub, "%s%d" % (path + "." if path else "", i + 1), defects, sub_hdrs, sub_first))
        return node
    body = part.get_payload(decode=True) or b""
    if ctype.startswith("text/"):
        charset = ct.params.get("charset", "us-ascii") if ct is not None else "us-ascii"
        try:
            node["text"] = body.decode(charset)
        except (LookupError, UnicodeDecodeError) as e:
            defects.append("%s: cannot decode text as %s: %s" % (where, charset, e))
        # The bytes of UTF-8 and ASCII text are the text's: the caller
        # rebuilds them rather than read them twice.
        if "text" in node and charset.lower().replace("-", "") in ("utf8", "usascii", "ascii") and body:
            return node
    node["body"] = base64.b64encode(body).decode("ascii")
    return node


def message(data):
    msg = email.message_from_bytes(data, policy=email.policy.default)
    defects = []
    hdrs, addrs, first = headers(msg, "message", defects)
    root = tree(msg, "", defects, hdrs, first)
    return {"defects": defects, "headers": hdrs, "addresses": addrs, "root": root}


if __name__ == "__main__":
    batch.run("email", message)
