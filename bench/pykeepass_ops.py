#!/usr/bin/python3
"""The pykeepass side of the benchmark workloads (run by bench/run.py).

Each operation mirrors what the `kdbx` and `keepassxc-cli` commands do, so the
three tools do the same work: open + list every group and entry path, open +
show one entry, open + add one entry + save, and create a database from a
KeePass XML export. The password is read from one stdin line.
"""

import sys

from pykeepass import PyKeePass, create_database


def path_str(obj):
    return "/".join(p for p in obj.path if p is not None)


def op_ls(db, pw):
    kp = PyKeePass(db, password=pw)
    out = []
    for g in kp.groups:
        if g.parentgroup is not None:
            out.append(path_str(g) + "/")
    for e in kp.entries:
        out.append(path_str(e))
    sys.stdout.write("\n".join(out) + "\n")


def op_show(db, pw, path):
    kp = PyKeePass(db, password=pw)
    parts = [p for p in path.split("/") if p]
    e = kp.find_entries(path=parts, first=True)
    if e is None:
        sys.exit("pykeepass_ops: entry not found: " + path)
    print("Title: " + (e.title or ""))
    print("UserName: " + (e.username or ""))
    print("Password: PROTECTED")
    print("URL: " + (e.url or ""))
    print("Notes: " + (e.notes or ""))


def op_add(db, pw, path, user):
    kp = PyKeePass(db, password=pw)
    parts = [p for p in path.split("/") if p]
    group = kp.root_group
    if len(parts) > 1:
        group = kp.find_groups(path=parts[:-1], first=True)
    kp.add_entry(group, parts[-1], user, "")
    kp.save()


def op_import(xml, db, pw):
    """pykeepass has no XML import: put the parsed document into a new
    database (its default KDBX 4 / Argon2d template) and save it."""
    from lxml import etree

    kp = create_database(db, password=pw)
    tree = etree.parse(xml)
    # An export marks protected values ProtectInMemory; inside a file they are
    # Protected and pykeepass encrypts those on save.
    for v in tree.iterfind(".//Value[@ProtectInMemory]"):
        if v.get("ProtectInMemory") == "True":
            v.set("Protected", "True")
        del v.attrib["ProtectInMemory"]
    kp.kdbx.body.payload.xml = tree
    kp.save()


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: pykeepass_ops.py ls|show|add|import ARGS (password on stdin)")
    op, args = sys.argv[1], sys.argv[2:]
    pw = sys.stdin.readline().rstrip("\n")
    if op == "ls":
        op_ls(args[0], pw)
    elif op == "show":
        op_show(args[0], pw, args[1])
    elif op == "add":
        op_add(args[0], pw, args[1], args[2])
    elif op == "import":
        op_import(args[0], args[1], pw)
    else:
        sys.exit("pykeepass_ops: unknown op " + op)


if __name__ == "__main__":
    main()
