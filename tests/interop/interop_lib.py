"""Shared helpers for the interop tests: run the peers (keepassxc-cli, pykeepass)
and our helpers (kdbx_dump, kdbx_make), and bring every view of a database to
one comparable form so that a difference names the exact field that differs."""
import base64
import datetime
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

STD_FIELDS = ("Title", "UserName", "Password", "URL", "Notes")
SKIP = object()  # a value a peer cannot show: not compared
EPOCH0 = datetime.datetime(1, 1, 1, tzinfo=datetime.timezone.utc)


class TestFailure(Exception):
    pass


# ---------------------------------------------------------------- running tools

def run(cmd, stdin=None, check=True, env=None, binary=False):
    e = dict(os.environ)
    e["QT_QPA_PLATFORM"] = "offscreen"
    if env:
        e.update(env)
    p = subprocess.run(cmd, input=stdin.encode() if isinstance(stdin, str) else stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, timeout=300)
    if check and p.returncode != 0:
        raise TestFailure("command failed (%d): %s\n%s" % (p.returncode, " ".join(cmd),
                                                         p.stderr.decode(errors="replace")[-2000:]))
    return p if binary else p


def require_peers():
    kp = shutil.which("keepassxc-cli")
    if not kp:
        raise TestFailure("keepassxc-cli not installed (scripts/install-deps installs it)")
    ver = run([kp, "--version"]).stdout.decode().strip()
    try:
        import pykeepass  # noqa: F401
    except ImportError:
        raise TestFailure("pykeepass not importable with %s (python3-pykeepass)" % sys.executable)
    return kp, ver


def kpxc_args(password, keyfile):
    args = []
    if keyfile:
        args += ["-k", keyfile]
    if password is None:
        args += ["--no-password"]
    return args, ("" if password is None else password + "\n")


def kpxc_export(db, password, keyfile=None):
    args, stdin = kpxc_args(password, keyfile)
    p = run(["keepassxc-cli", "export", "-f", "xml"] + args + [db], stdin=stdin)
    return p.stdout


def kpxc_attachment(db, password, entry_path, name, keyfile=None):
    # Into a file: --stdout goes through a text stream and mangles binary data.
    import tempfile
    args, stdin = kpxc_args(password, keyfile)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "attachment")
        run(["keepassxc-cli", "attachment-export"] + args + [db, entry_path, name, out],
            stdin=stdin)
        with open(out, "rb") as f:
            return f.read()


def our_dump(dump_bin, db, password, keyfile=None, extra=()):
    cmd = [dump_bin, "-s", "-t"] + list(extra)
    cmd += ["-n"] if password is None else ["-p", password]
    if keyfile:
        cmd += ["-k", keyfile]
    p = run(cmd + [db])
    return json.loads(p.stdout.decode())


# ---------------------------------------------------------------- normal form

def norm_time(s):
    """ISO text or KDBX4 base64 seconds -> 'YYYY-MM-DDTHH:MM:SSZ'."""
    if s is None:
        return ""
    if isinstance(s, datetime.datetime):
        return s.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    s = s.strip()
    if not s:
        return ""
    if "-" in s and ":" in s:
        return "" if s.startswith("0001-01-01T00:00:00") else s[:19] + "Z"
    secs = struct.unpack("<q", base64.b64decode(s))[0]
    if secs == 0:
        return ""  # 0001-01-01 = unset
    return (EPOCH0 + datetime.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%SZ")


def norm_tags(s):
    return sorted(t.strip() for t in re.split(r"[;,]", s or "") if t.strip())


def uuid_hex(b64):
    return base64.b64decode(b64 or "").hex() if b64 else ""


def sha(b):
    return hashlib.sha256(b).hexdigest()


def _entry_from_dump(e, path, history=True):
    fields = {k: v for k, v in e["fields"].items() if not (k in STD_FIELDS and v == "")}
    out = {
        "path": path,
        "fields": fields,
        "protected_custom": sorted(p for p in e["protected"] if p not in STD_FIELDS),
        "tags": norm_tags(e["tags"]),
        "icon": e["icon"],
        "fg": (e["fg"] or "").upper(),
        "bg": (e["bg"] or "").upper(),
        "override_url": e["override_url"],
        "quality_check": e["quality_check"],
        "expires": e["expires"],
        "custom_data": dict(e["custom_data"]),
        "attachments": dict(e["attachments"]),
        "times": {k: e["times"][k] for k in ("creation", "modification", "expiry")},
    }
    if history:
        out["history"] = [_entry_from_dump(h, path, False) for h in e.get("history", [])]
    return out


def from_dump(d):
    """Our kdbx_dump JSON -> normal form."""
    groups, entries = {}, {}

    def walk(g, path):
        groups[g["uuid"]] = {
            "path": path, "name": g["name"], "notes": g["notes"], "tags": norm_tags(g["tags"]),
            "icon": g["icon"], "custom_data": dict(g["custom_data"]), "expires": g["expires"],
            "times": {k: g["times"][k] for k in ("creation", "modification", "expiry")},
        }
        for e in g["entries"]:
            entries[e["uuid"]] = _entry_from_dump(e, path)
        for c in g["groups"]:
            walk(c, path + "/" + c["name"])

    walk(d["root"], "")
    m = d["meta"]
    return {"meta": {"name": m["name"], "description": m["description"],
                     "default_username": m["default_username"],
                     "custom_data": dict(m["custom_data"])},
            "groups": groups, "entries": entries}


def _text(el, tag, default=""):
    c = el.find(tag)
    return default if c is None or c.text is None else c.text


def _custom_data(el):
    cd = {}
    c = el.find("CustomData")
    if c is not None:
        for item in c.findall("Item"):
            cd[_text(item, "Key")] = _text(item, "Value")
    return cd


def _entry_from_xml(e, path, binary, history=True):
    fields, prot = {}, []
    for s in e.findall("String"):
        k = _text(s, "Key")
        v = s.find("Value")
        val = "" if v is None or v.text is None else v.text
        if v is not None and (v.get("Protected") == "True" or v.get("ProtectInMemory") == "True"):
            prot.append(k)
        if k in STD_FIELDS and val == "":
            continue
        fields[k] = val
    atts = {}
    for b in e.findall("Binary"):
        name = _text(b, "Key")
        v = b.find("Value")
        data = binary(path, fields.get("Title", ""), name, v, history)
        atts[name] = SKIP if data is SKIP else sha(data)
    times = e.find("Times")
    qc = _text(e, "QualityCheck", "True")
    out = {
        "path": path,
        "fields": fields,
        "protected_custom": sorted(p for p in prot if p not in STD_FIELDS),
        "tags": norm_tags(_text(e, "Tags")),
        "icon": int(_text(e, "IconID", "0")),
        "fg": _text(e, "ForegroundColor").upper(),
        "bg": _text(e, "BackgroundColor").upper(),
        "override_url": _text(e, "OverrideURL"),
        "quality_check": qc != "False",
        "expires": _text(times, "Expires") == "True" if times is not None else False,
        "custom_data": _custom_data(e),
        "attachments": atts,
        "times": {"creation": norm_time(_text(times, "CreationTime")),
                  "modification": norm_time(_text(times, "LastModificationTime")),
                  "expiry": norm_time(_text(times, "ExpiryTime"))} if times is not None else {},
    }
    if history:
        h = e.find("History")
        out["history"] = ([_entry_from_xml(x, path, binary, False) for x in h.findall("Entry")]
                          if h is not None else [])
    return out


def from_xml_root(root, binary):
    """A KeePassFile element (keepassxc export or pykeepass tree) -> normal form.
    binary(group_path, title, name, value_element, is_current) returns bytes or SKIP."""
    groups, entries = {}, {}

    def walk(g, path):
        times = g.find("Times")
        groups[uuid_hex(_text(g, "UUID"))] = {
            "path": path, "name": _text(g, "Name"), "notes": _text(g, "Notes"),
            "tags": norm_tags(_text(g, "Tags")),
            # Without IconID each reader picks its own default: not comparable.
            "icon": int(_text(g, "IconID")) if g.find("IconID") is not None else SKIP,
            "custom_data": _custom_data(g),
            "expires": _text(times, "Expires") == "True" if times is not None else False,
            "times": {"creation": norm_time(_text(times, "CreationTime")),
                      "modification": norm_time(_text(times, "LastModificationTime")),
                      "expiry": norm_time(_text(times, "ExpiryTime"))} if times is not None else {},
        }
        for e in g.findall("Entry"):
            entries[uuid_hex(_text(e, "UUID"))] = _entry_from_xml(e, path, binary)
        for c in g.findall("Group"):
            walk(c, path + "/" + _text(c, "Name"))

    top = root.find("Root/Group")
    walk(top, "")
    meta = root.find("Meta")
    return {"meta": {"name": _text(meta, "DatabaseName"),
                     "description": _text(meta, "DatabaseDescription"),
                     "default_username": _text(meta, "DefaultUserName"),
                     "custom_data": _custom_data(meta)},
            "groups": groups, "entries": entries}


def from_keepassxc(db, password, keyfile=None):
    xml = kpxc_export(db, password, keyfile)
    root = ET.fromstring(xml)
    meta_bins = {}
    mb = root.find("Meta/Binaries")
    if mb is not None:
        import gzip
        for b in mb.findall("Binary"):
            data = base64.b64decode(b.text or "")
            if b.get("Compressed") == "True":
                data = gzip.decompress(data)
            meta_bins[b.get("ID")] = data

    def binary(path, title, name, v, current):
        ref = v.get("Ref") if v is not None else None
        if ref is not None and ref in meta_bins:
            return meta_bins[ref]
        if ref is None and v is not None:
            return base64.b64decode(v.text or "")
        if not current:
            return SKIP  # keepassxc-cli can only export attachments of the current entry
        # KeePassXC 2.7.4 exports KDBX4 attachments as bare Refs: ask it for the bytes.
        return kpxc_attachment(db, password, path + "/" + title, name, keyfile)

    return from_xml_root(root, binary)


def from_pykeepass(db, password, keyfile=None):
    from pykeepass import PyKeePass
    kp = PyKeePass(db, password=password, keyfile=keyfile)
    root = ET.fromstring(__import__("lxml.etree").etree.tostring(kp.tree))

    def binary(path, title, name, v, current):
        ref = v.get("Ref") if v is not None else None
        if ref is None:
            return base64.b64decode(v.text or "") if v is not None else b""
        return kp.binaries[int(ref)]

    return from_xml_root(root, binary), kp


# ---------------------------------------------------------------- comparison

def diff(a, b, path="", out=None, ignore=()):
    """Differences between two normal forms as readable lines."""
    if out is None:
        out = []
    if a is SKIP or b is SKIP:
        return out
    if any(re.fullmatch(p, path) for p in ignore):
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if any(re.fullmatch(p, "%s/%s" % (path, k)) for p in ignore):
                continue
            if k not in a:
                out.append("%s/%s: only in peer: %r" % (path, k, _short(b[k])))
            elif k not in b:
                out.append("%s/%s: missing in peer (ours %r)" % (path, k, _short(a[k])))
            else:
                diff(a[k], b[k], "%s/%s" % (path, k), out, ignore)
    elif isinstance(a, list) and isinstance(b, list) and all(isinstance(x, dict) for x in a + b):
        if len(a) != len(b):
            out.append("%s: %d items ours vs %d peer" % (path, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, "%s[%d]" % (path, i), out, ignore)
    elif a != b:
        out.append("%s: ours %r vs peer %r" % (path, _short(a), _short(b)))
    return out


def _short(v):
    s = repr(v)
    return v if len(s) < 200 else s[:200] + "..."


class Reporter:
    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def check(self, label, problems):
        if problems:
            self.failed += 1
            print("FAIL %s" % label)
            for p in problems[:25]:
                print("    " + p)
            if len(problems) > 25:
                print("    ... %d more" % (len(problems) - 25))
        else:
            self.passed += 1
            print("ok   %s" % label)
        sys.stdout.flush()

    def attempt(self, label, fn):
        try:
            self.check(label, fn() or [])
        except TestFailure as e:
            self.check(label, [str(e)])
        except Exception as e:  # a crash in a check is a failure of that check only
            import traceback
            self.check(label, ["%s: %s" % (type(e).__name__, e)] +
                       traceback.format_exc().splitlines()[-6:])

    def finish(self):
        print("%s: %d checks passed, %d checks failed" % (self.name, self.passed, self.failed))
        return 1 if self.failed or not self.passed else 0
