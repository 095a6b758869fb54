#!/usr/bin/python3
"""Interop (a): databases written by libkdbx open in keepassxc-cli and in pykeepass
with identical content, for every cipher x KDF combination.

usage: peers_read.py KDBX_MAKE KDBX_DUMP WORKDIR"""
import hashlib
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402

CIPHERS = ("aes256", "chacha20", "twofish")
KDFS = {
    "aes-kdbx3": {"type": "aes-kdbx3", "rounds": 1000},
    "aes-kdbx4": {"type": "aes-kdbx4", "rounds": 1000},
    "argon2d": {"type": "argon2d", "iterations": 1, "memory": 65536, "parallelism": 1},
    "argon2id": {"type": "argon2id", "iterations": 1, "memory": 65536, "parallelism": 1},
}
PASSWORD = "pässword ✓ <&>"


def make_spec(cipher, kdf):
    v4 = kdf != "aes-kdbx3"
    e1_hist = [
        {"fields": {"Title": "Bank — Überweisung", "UserName": "jörg", "Password": "old-1 🔑",
                    "URL": "https://bank.example/ü", "Notes": "first", "PIN": "0000",
                    "Plain": "visible"},
         "protected": ["Password", "PIN"],
         "times": {"modification": "2019-01-02T03:04:05Z"}},
        {"fields": {"Title": "Bank — Überweisung", "UserName": "jörg", "Password": "old-2 🔑",
                    "URL": "https://bank.example/ü", "Notes": "second", "PIN": "1111",
                    "Plain": "visible"},
         "protected": ["Password", "PIN"],
         "times": {"modification": "2020-01-02T03:04:05Z"}},
    ]
    e1 = {
        "fields": {"Title": "Bank — Überweisung", "UserName": "jörg",
                   "Password": "p@ss<&>\"'ü🔑 ", "URL": "https://bank.example/ü",
                   "Notes": "line 1\nline 2\ttab & <b>bold</b>\n  indented",
                   "PIN": "1234", "Plain": "visible ✓", "Пароль": "секрет"},
        "protected": ["Password", "PIN", "Пароль"],
        "tags": "bank;finance",
        "icon": 66,
        # a log that shrinks in gzip (KDBX 3.1 writes it Compressed="True") beside two
        # that do not (written as they are)
        "attachments": {"hello.txt": "hello world\n", "unicode ü.txt": "данные ✓",
                        "log.txt": "".join("%05d login ok ✓\n" % i for i in range(2000))},
        "history": e1_hist,
        "times": {"creation": "2018-05-06T07:08:09Z", "modification": "2021-02-03T04:05:06Z",
                  "expiry": "2030-01-01T00:00:00Z"},
    }
    e2 = {"fields": {"Title": "Empty fields"}, "icon": 12, "expires": True,
          "times": {"creation": "2017-01-01T00:00:00Z", "modification": "2017-06-01T00:00:00Z",
                    "expiry": "2029-12-31T23:59:59Z"}}
    e3 = {"fields": {"Title": "Wiki 日本語", "UserName": "wiki", "Password": "",
                     "TOTP Seed": "JBSWY3DPEHPK3PXP"},
          "protected": ["TOTP Seed"],
          "attachments": {"same.txt": "hello world\n"},
          "fg": "#FF0000", "bg": "#00FF00", "override_url": "cmd://firefox {URL}",
          "times": {"creation": "2016-01-01T00:00:00Z", "modification": "2016-02-01T00:00:00Z"}}
    if v4:
        e1["quality_check"] = False
        e1["custom_data"] = {"app.setting": "on ✓", "other": ""}
        e3["custom_data"] = {"x": "y"}
    work = {"name": "Work 日本", "notes": "group notes ✓", "icon": 1,
            "groups": [{"name": "Deep", "groups": [{"name": "Nested 🚗", "entries": [e3]}]}]}
    if v4:
        work["tags"] = "team;remote"
        work["custom_data"] = {"group.key": "group value"}
    return {
        "password": PASSWORD,
        "cipher": cipher,
        "kdf": KDFS[kdf],
        "compression": "gzip" if cipher != "chacha20" else "none",
        "meta": {"name": "Interop %s %s ✓" % (cipher, kdf), "description": "written by libkdbx",
                 "default_username": "default-user", "custom_data": {"meta.key": "meta ✓"}},
        "root": {"name": "Root", "entries": [e2],
                 "groups": [{"name": "Personal ü", "entries": [e1]}, work]},
    }


def expect_from_spec(spec):
    """Normal form keyed by group path / entry path+title, as the spec intends."""
    groups, entries = {}, {}

    def entry(e, path):
        f = {k: v for k, v in e["fields"].items() if not (k in L.STD_FIELDS and v == "")}
        out = {"fields": f,
               "protected_custom": sorted(p for p in e.get("protected", []) if p not in L.STD_FIELDS),
               "attachments": {k: hashlib.sha256(v.encode()).hexdigest()
                               for k, v in e.get("attachments", {}).items()},
               "tags": L.norm_tags(e.get("tags", "")),
               "custom_data": e.get("custom_data", {}),
               "quality_check": e.get("quality_check", True)}
        if "icon" in e:
            out["icon"] = e["icon"]
        for k in ("fg", "bg", "override_url"):
            if k in e:
                out[k] = e[k].upper() if k != "override_url" else e[k]
        if "expires" in e:
            out["expires"] = e["expires"]
        for k, v in e.get("times", {}).items():
            out.setdefault("times", {})[k] = v
        return out

    def walk(g, path):
        gi = {"notes": g.get("notes", ""), "tags": L.norm_tags(g.get("tags", "")),
              "custom_data": g.get("custom_data", {})}
        if "icon" in g:
            gi["icon"] = g["icon"]
        groups[path] = gi
        for e in g.get("entries", []):
            x = entry(e, path)
            x["history"] = [entry(h, path) for h in e.get("history", [])]
            entries[path + "/" + e["fields"]["Title"]] = x
        for c in g.get("groups", []):
            walk(c, path + "/" + c["name"])

    walk(spec["root"], "")
    return {"meta": {k: spec["meta"][k] for k in ("name", "description", "default_username")},
            "meta_custom_data": spec["meta"]["custom_data"], "groups": groups, "entries": entries}


def by_path(nf):
    """Re-keys a normal form by paths and keeps only what the spec states."""
    groups = {g["path"]: g for g in nf["groups"].values()}
    entries = {e["path"] + "/" + e["fields"].get("Title", ""): e for e in nf["entries"].values()}
    return groups, entries


def subset(expected, actual):
    """expected's keys only, recursively (lists of dicts compared item by item)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return {k: subset(v, actual[k]) if k in actual else "<missing>" for k, v in expected.items()}
    if isinstance(expected, list) and isinstance(actual, list) and expected and \
            all(isinstance(x, dict) for x in expected):
        return [subset(x, y) for x, y in zip(expected, actual)] + actual[len(expected):]
    return actual


def check_ours_vs_spec(spec, ours):
    exp = expect_from_spec(spec)
    groups, entries = by_path(ours)
    problems = L.diff(exp["meta"], {k: ours["meta"][k] for k in exp["meta"]}, "meta")
    meta_cd = {k: v for k, v in ours["meta"]["custom_data"].items() if k in exp["meta_custom_data"]}
    problems += L.diff(exp["meta_custom_data"], meta_cd, "meta/custom_data")
    for path, g in exp["groups"].items():
        if path not in groups:
            problems.append("group %r missing" % path)
            continue
        problems += L.diff(g, subset(g, groups[path]), "group " + path)
    for path, e in exp["entries"].items():
        if path not in entries:
            problems.append("entry %r missing" % path)
            continue
        problems += L.diff(e, subset(e, entries[path]), "entry " + path)
    if len(entries) != len(exp["entries"]):
        problems.append("%d entries, expected %d" % (len(entries), len(exp["entries"])))
    return problems


# What a peer is known not to carry through, so it is not compared.
# keepassxc-cli stamps Meta CustomData "_LAST_MODIFIED" with the current time when it loads.
IGNORE_KPXC = [r".*/custom_data/_LAST_MODIFIED"]
IGNORE_PYKEEPASS = []


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    make_bin, dump_bin, work = sys.argv[1:]
    rep = L.Reporter("interop-read")
    try:
        _, ver = L.require_peers()
        print("peers: keepassxc-cli %s, pykeepass" % ver)
    except L.TestFailure as e:
        print("FAIL peers: %s" % e)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    for cipher in CIPHERS:
        for kdf in KDFS:
            name = "%s-%s" % (cipher, kdf)
            spec = make_spec(cipher, kdf)
            spec_path = os.path.join(work, name + ".json")
            db = os.path.join(work, name + ".kdbx")
            with open(spec_path, "w") as f:
                json.dump(spec, f, ensure_ascii=False, indent=1)
            try:
                L.run([make_bin, spec_path, db])
                raw = L.our_dump(dump_bin, db, PASSWORD)
            except L.TestFailure as e:
                rep.check("%s: libkdbx writes and reads it back" % name, [str(e)])
                continue
            ours = L.from_dump(raw)
            rep.attempt("%s: libkdbx content matches the spec" % name,
                        lambda: check_ours_vs_spec(spec, ours))
            want_version = "3.1" if kdf == "aes-kdbx3" else "4.1"
            rep.check("%s: file version %s" % (name, want_version),
                      [] if raw.get("version") == want_version else
                      ["version %s, expected %s" % (raw.get("version"), want_version)])

            def kpxc():
                return L.diff(ours, L.from_keepassxc(db, PASSWORD), ignore=IGNORE_KPXC)

            def pykp():
                nf, kp = L.from_pykeepass(db, PASSWORD)
                problems = L.diff(ours, nf, ignore=IGNORE_PYKEEPASS)
                want = (3, 1) if kdf == "aes-kdbx3" else (4, 1)
                if tuple(kp.version) != want:
                    problems.append("pykeepass sees version %s, expected %s" % (kp.version, want))
                if len(kp.entries) != raw["entry_count"]:
                    problems.append("pykeepass sees %d entries, we %d" % (len(kp.entries),
                                                                         raw["entry_count"]))
                e = kp.find_entries(title="Bank — Überweisung", first=True)
                if e is None or e.password != "p@ss<&>\"'ü🔑 ":
                    problems.append("pykeepass API: Bank entry password wrong: %r" %
                                    (e and e.password))
                return problems

            rep.attempt("%s: keepassxc-cli export identical" % name, kpxc)
            rep.attempt("%s: pykeepass identical" % name, pykp)
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
