#!/usr/bin/python3
"""Interop (b): databases written by keepassxc-cli (db-create/mkdir/add/edit/mv/
attachment-import, XML import for KDBX 4) and by pykeepass (create + groups,
entries, custom fields, attachments, history) open in libkdbx with identical
content; libkdbx's re-save of each opens in both peers with the same content.

usage: peers_write.py KDBX_DUMP WORKDIR"""
import base64
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_lib as L  # noqa: E402

PW = "peer pw ✓"
# keepassxc-cli stamps Meta CustomData "_LAST_MODIFIED" with the current time when it loads.
KPXC_IGNORE = [r".*/custom_data/_LAST_MODIFIED"]


def kpxc(args, stdin):
    return L.run(["keepassxc-cli"] + args, stdin=stdin)


def build_kpxc_cli(work):
    db = os.path.join(work, "kpxc-cli.kdbx")
    att = os.path.join(work, "att.bin")
    with open(att, "wb") as f:
        f.write(bytes(range(256)) * 3)
    p1 = PW + "\n"
    kpxc(["db-create", "-p", "-t", "100", db], PW + "\n" + PW + "\n")
    kpxc(["mkdir", db, "Группа ü"], p1)
    kpxc(["mkdir", db, "Группа ü/Sub 🚗"], p1)
    kpxc(["add", "-u", "jörg", "--url", "https://example.org/ü", "--notes", "note ✓ <&>",
          "-p", db, "Группа ü/Entry ✓"], p1 + "entry pw 🔑\n")
    kpxc(["add", "-u", "second", db, "Plain"], p1)
    kpxc(["attachment-import", db, "Группа ü/Entry ✓", "blob.bin", att], p1)
    kpxc(["edit", "-t", "Renamed ✓", "-u", "jörg2", db, "Plain"], p1)
    kpxc(["mv", db, "Renamed ✓", "Группа ü/Sub 🚗"], p1)
    return db, PW, None


def build_kpxc_keyfile(work):
    db = os.path.join(work, "kpxc-keyfile.kdbx")
    key = os.path.join(work, "kpxc.key")
    kpxc(["db-create", "--set-key-file", key, "-t", "100", db], "")
    kpxc(["add", "-u", "kf", "--no-password", "-k", key, db, "Keyfile entry"], "")
    return db, None, key


IMPORT_XML = """<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<KeePassFile>
 <Meta>
  <Generator>test</Generator><DatabaseName>Imported ✓</DatabaseName>
  <DatabaseDescription>from XML</DatabaseDescription>
  <Binaries><Binary ID="0">{att}</Binary></Binaries>
  <CustomData><Item><Key>meta.k</Key><Value>meta v</Value></Item></CustomData>
 </Meta>
 <Root><Group>
  <UUID>AAECAwQFBgcICQoLDA0ODw==</UUID><Name>Root</Name>
  <Group><UUID>EBESExQVFhcYGRobHB0eHw==</UUID><Name>Imported 日本</Name><Notes>n</Notes>
   <Entry><UUID>ICEiIyQlJicoKSorLC0uLw==</UUID>
    <Tags>a;b</Tags>
    <Times><CreationTime>2019-03-04T05:06:07Z</CreationTime>
     <LastModificationTime>2020-03-04T05:06:07Z</LastModificationTime>
     <ExpiryTime>2031-01-01T00:00:00Z</ExpiryTime><Expires>True</Expires></Times>
    <String><Key>Title</Key><Value>With custom data</Value></String>
    <String><Key>UserName</Key><Value>ü-user</Value></String>
    <String><Key>Password</Key><Value ProtectInMemory="True">imp &lt;pw&gt; 🔑</Value></String>
    <String><Key>Secret field</Key><Value ProtectInMemory="True">s3cr3t</Value></String>
    <String><Key>Plain field</Key><Value>plain</Value></String>
    <Binary><Key>doc.txt</Key><Value Ref="0"/></Binary>
    <CustomData><Item><Key>entry.k</Key><Value>entry v ✓</Value></Item></CustomData>
    <History><Entry><UUID>ICEiIyQlJicoKSorLC0uLw==</UUID>
     <Times><LastModificationTime>2019-03-04T05:06:07Z</LastModificationTime></Times>
     <String><Key>Title</Key><Value>With custom data</Value></String>
     <String><Key>Password</Key><Value ProtectInMemory="True">older</Value></String>
    </Entry></History>
   </Entry>
  </Group>
 </Group></Root>
</KeePassFile>
"""


def build_kpxc_import(work):
    db = os.path.join(work, "kpxc-import.kdbx")
    xml = os.path.join(work, "import.xml")
    with open(xml, "w") as f:
        f.write(IMPORT_XML.format(att=base64.b64encode(b"attached \xe2\x9c\x93\n").decode()))
    kpxc(["import", "-p", "-t", "100", xml, db], PW + "\n" + PW + "\n")
    return db, PW, None


def build_pykeepass(work):
    from pykeepass import create_database
    db = os.path.join(work, "pykeepass.kdbx")
    kp = create_database(db, password=PW)
    g = kp.add_group(kp.root_group, "PyGroup ü")
    sub = kp.add_group(g, "Sub 日本")
    e = kp.add_entry(g, "Py entry ✓", "py-user", "py pw 🔑", url="https://py.example",
                     notes="multi\nline ✓", tags=["t1", "t2"])
    e.set_custom_property("Custom ü", "custom value")
    bid = kp.add_binary(b"\x00\x01binary\xff" * 10)
    e.add_attachment(bid, "data.bin")
    e.save_history()
    e.password = "newer pw"
    kp.add_entry(sub, "Second", "u2", "p2")
    kp.save()
    return db, PW, None


BUILDERS = [("keepassxc-cli db-create/add/edit", build_kpxc_cli),
            ("keepassxc-cli key file", build_kpxc_keyfile),
            ("keepassxc-cli import (KDBX 4)", build_kpxc_import),
            ("pykeepass", build_pykeepass)]


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    dump_bin, work = sys.argv[1:]
    rep = L.Reporter("interop-write")
    try:
        _, ver = L.require_peers()
        print("peers: keepassxc-cli %s, pykeepass" % ver)
    except L.TestFailure as e:
        print("FAIL peers: %s" % e)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    for label, build in BUILDERS:
        try:
            db, pw, key = build(work)
        except Exception as e:
            rep.check("%s: peer writes the database" % label, ["%s: %s" % (type(e).__name__, e)])
            continue
        resaved = db[:-5] + "-resaved.kdbx"
        try:
            raw = L.our_dump(dump_bin, db, pw, key, extra=["-r", resaved])
        except L.TestFailure as e:
            rep.check("%s: libkdbx opens it" % label, [str(e)])
            continue
        ours = L.from_dump(raw)
        print("     %s: version %s, %s, %s, %d groups, %d entries" % (
            label, raw.get("version"), raw.get("cipher"), raw.get("kdf"), raw["group_count"],
            raw["entry_count"]))
        kx = {}

        def vs_kpxc():
            kx["nf"] = L.from_keepassxc(db, pw, key)
            return L.diff(ours, kx["nf"], ignore=KPXC_IGNORE)

        def vs_pykeepass():
            kx["py"], _ = L.from_pykeepass(db, pw, key)
            return L.diff(ours, kx["py"])

        def resave_kpxc():
            if "nf" not in kx:
                kx["nf"] = L.from_keepassxc(db, pw, key)
            return L.diff(kx["nf"], L.from_keepassxc(resaved, pw, key), ignore=KPXC_IGNORE)

        def resave_pykeepass():
            a = kx["py"] if "py" in kx else L.from_pykeepass(db, pw, key)[0]
            b, _ = L.from_pykeepass(resaved, pw, key)
            return L.diff(a, b)

        rep.attempt("%s: libkdbx == keepassxc-cli" % label, vs_kpxc)
        rep.attempt("%s: libkdbx == pykeepass" % label, vs_pykeepass)
        rep.attempt("%s: libkdbx re-save unchanged in keepassxc-cli" % label, resave_kpxc)
        rep.attempt("%s: libkdbx re-save unchanged in pykeepass" % label, resave_pykeepass)
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
