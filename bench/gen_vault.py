#!/usr/bin/python3
"""Seeded generator of realistic KeePass XML vaults for the benchmarks.

Writes an unencrypted KeePass XML document (the format `keepassxc-cli import`
and `kdbx import` read) with N entries spread over nested groups, unicode in
titles and notes, the 5 standard fields plus custom fields, protected
passwords, H history items per entry and optional attachments, plus a sidecar
JSON (<out>.json) that tells the driver which paths exist.

The same seed and options always give byte-identical output, so every tool is
measured on the same data and a table can be reproduced later.
"""

import argparse
import base64
import datetime
import json
import random
import sys

# Words with and without non-ASCII characters; never "/" (path separator) nor
# quotes (pykeepass 4.0.3 builds XPath strings from titles and breaks on them).
WORDS = [
    "mail", "bank", "shop", "forum", "cloud", "server", "router", "wiki", "git",
    "vpn", "tax", "school", "work", "game", "music", "video", "news", "travel",
    "Über", "Straße", "Ærø", "café", "naïve", "smörgåsbord", "żółw", "čaj",
    "Ελλάδα", "Москва", "東京", "서울", "北京", "मुंबई", "القاهرة", "🔑", "🏦",
]
HOSTS = ["example.com", "example.org", "mail.test", "bank.example", "shop.test",
         "εφαρμογή.example", "пример.test", "例え.test"]
NOTES = [
    "Security questions: first pet = Rex; city = Genève.",
    "Recovery codes:\n1234-5678\n8765-4321\n1111-2222",
    "Shared with the family & friends <do not change>.",
    "Компания: ООО \"Пример\"; договор № 42.",
    "テスト用のメモ。パスワードは毎年変更する。",
    "",
]
PW_ALPHABET = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
               "!#$%()*+,-.:;=?@[]^_{|}~")
EPOCH = datetime.datetime(2015, 1, 1, tzinfo=datetime.timezone.utc)
KDBX4_EPOCH = datetime.datetime(1, 1, 1, tzinfo=datetime.timezone.utc)


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Gen:
    def __init__(self, args):
        self.a = args
        self.rng = random.Random(args.seed)
        self.out = []

    def uuid(self):
        return base64.b64encode(self.rng.randbytes(16)).decode()

    def when(self, base_days=0):
        t = EPOCH + datetime.timedelta(days=base_days + self.rng.randrange(0, 2000),
                                       seconds=self.rng.randrange(0, 86400))
        if self.a.time_format == "kdbx4":
            secs = int((t - KDBX4_EPOCH).total_seconds())
            return base64.b64encode(secs.to_bytes(8, "little")).decode()
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")

    def password(self, n=20):
        return "".join(self.rng.choice(PW_ALPHABET) for _ in range(n))

    def times(self, ind):
        t = self.when()
        w = self.out.append
        w(f"{ind}<Times><LastModificationTime>{t}</LastModificationTime>"
          f"<CreationTime>{t}</CreationTime><LastAccessTime>{t}</LastAccessTime>"
          f"<ExpiryTime>{t}</ExpiryTime><Expires>False</Expires>"
          f"<UsageCount>{self.rng.randrange(0, 50)}</UsageCount>"
          f"<LocationChanged>{t}</LocationChanged></Times>\n")

    def string(self, ind, key, value, protect=False):
        attr = ' ProtectInMemory="True"' if protect else ""
        self.out.append(f"{ind}<String><Key>{esc(key)}</Key><Value{attr}>{esc(value)}</Value></String>\n")

    def entry_body(self, ind, uuid, title, user, url, notes, pw, custom, binref):
        w = self.out.append
        w(f"{ind}<UUID>{uuid}</UUID><IconID>{self.rng.randrange(0, 68)}</IconID>"
          f"<ForegroundColor/><BackgroundColor/><OverrideURL/><Tags>bench</Tags>\n")
        self.times(ind)
        self.string(ind, "Title", title)
        self.string(ind, "UserName", user)
        self.string(ind, "Password", pw, protect=True)
        self.string(ind, "URL", url)
        self.string(ind, "Notes", notes)
        for k, v, p in custom:
            self.string(ind, k, v, protect=p)
        if binref is not None:
            w(f'{ind}<Binary><Key>attachment-{binref}.bin</Key><Value Ref="{binref}"/></Binary>\n')
        w(f"{ind}<AutoType><Enabled>True</Enabled><DataTransferObfuscation>0</DataTransferObfuscation>"
          f"</AutoType>\n")

    def entry(self, ind, title, binref):
        w = self.out.append
        host = self.rng.choice(HOSTS)
        user = f"{self.rng.choice(WORDS).lower()}.{self.rng.randrange(1000, 9999)}@{host}"
        url = f"https://{host}/login?id={self.rng.randrange(1, 10**6)}"
        notes = self.rng.choice(NOTES)
        custom = [("Account ID", str(self.rng.randrange(10**7, 10**8)), False),
                  ("PIN", str(self.rng.randrange(1000, 9999)), True)][: self.a.custom]
        for i in range(2, self.a.custom):
            custom.append((f"Custom {i}", self.rng.choice(WORDS), False))
        uuid = self.uuid()
        w(f"{ind}<Entry>\n")
        self.entry_body(ind + "\t", uuid, title, user, url, notes, self.password(), custom, binref)
        if self.a.history:
            w(f"{ind}\t<History>\n")
            for _ in range(self.a.history):
                w(f"{ind}\t\t<Entry>\n")
                self.entry_body(ind + "\t\t\t", uuid, title, user, url, notes,
                                self.password(), custom, None)
                w(f"{ind}\t\t</Entry>\n")
            w(f"{ind}\t</History>\n")
        w(f"{ind}</Entry>\n")

    def group_open(self, ind, name):
        w = self.out.append
        w(f"{ind}<Group>\n{ind}\t<UUID>{self.uuid()}</UUID><Name>{esc(name)}</Name><Notes/>"
          f"<IconID>48</IconID>\n")
        self.times(ind + "\t")
        w(f"{ind}\t<IsExpanded>True</IsExpanded><DefaultAutoTypeSequence/>"
          f"<EnableAutoType>null</EnableAutoType><EnableSearching>null</EnableSearching>\n")

    def run(self):
        a, rng, w = self.a, self.rng, self.out.append
        n = a.entries
        # About n^(1/3) top groups with as many subgroups each: 10k -> 22 x 22.
        fan = max(2, round(n ** (1.0 / 3.0)))
        tops = []
        for i in range(fan):
            subs = [f"{rng.choice(WORDS)} {j}" for j in range(fan)]
            tops.append((f"{rng.choice(WORDS).capitalize()} {i}", subs))
        # Each entry lands in a subgroup (90%) or directly in a top group.
        slots = {}
        for k in range(n):
            ti = rng.randrange(fan)
            si = rng.randrange(fan) if rng.random() < 0.9 else None
            slots.setdefault((ti, si), []).append(k)
        # Attachments: count x size spread evenly over the entries.
        nbin = 0
        binsize = a.attachment_kib * 1024
        if a.attachments_mib:
            nbin = max(1, (a.attachments_mib * 1024) // a.attachment_kib)
            nbin = min(nbin, n)
        binref = {}
        for b in range(nbin):
            binref[(b * n) // nbin] = b

        w('<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<KeePassFile>\n<Meta>\n')
        w(f"\t<Generator>libkdbx bench/gen_vault.py</Generator>"
          f"<DatabaseName>Bench {n}</DatabaseName><DatabaseNameChanged>{self.when()}"
          f"</DatabaseNameChanged>\n\t<DatabaseDescription>seed {a.seed}</DatabaseDescription>"
          f"<DefaultUserName/><MaintenanceHistoryDays>365</MaintenanceHistoryDays><Color/>\n"
          f"\t<MemoryProtection><ProtectTitle>False</ProtectTitle><ProtectUserName>False"
          f"</ProtectUserName><ProtectPassword>True</ProtectPassword><ProtectURL>False</ProtectURL>"
          f"<ProtectNotes>False</ProtectNotes></MemoryProtection>\n"
          f"\t<RecycleBinEnabled>False</RecycleBinEnabled>"
          f"<RecycleBinUUID>AAAAAAAAAAAAAAAAAAAAAA==</RecycleBinUUID>"
          f"<HistoryMaxItems>-1</HistoryMaxItems><HistoryMaxSize>-1</HistoryMaxSize>\n")
        if nbin:
            w("\t<Binaries>\n")
            for b in range(nbin):
                data = base64.b64encode(rng.randbytes(binsize)).decode()
                w(f'\t\t<Binary ID="{b}">{data}</Binary>\n')
            w("\t</Binaries>\n")
        w("</Meta>\n<Root>\n")
        root_name = "Bench"
        self.group_open("", root_name)
        show_path = None
        titles = {}
        for ti, (tname, subs) in enumerate(tops):
            self.group_open("\t", tname)
            for si in [None] + list(range(fan)):
                ids = slots.get((ti, si), [])
                if si is not None:
                    self.group_open("\t\t", subs[si])
                ind = "\t\t" if si is None else "\t\t\t"
                for k in ids:
                    title = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {k}"
                    self.entry(ind, title, binref.get(k))
                    path = "/" + tname + ("" if si is None else "/" + subs[si]) + "/" + title
                    titles[k] = path
                if si is not None:
                    w("\t\t</Group>\n")
            w("\t</Group>\n")
        w("</Group>\n<DeletedObjects/>\n</Root>\n</KeePassFile>\n")
        # A deterministic entry in the middle of the document for "show".
        show_path = titles[n // 2] if n else None
        groups = 1 + fan + fan * fan
        return {"entries": n, "groups": groups, "history": a.history, "seed": a.seed,
                "show_path": show_path, "root": root_name, "attachments": nbin,
                "attachment_bytes": nbin * binsize}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--entries", "-n", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--history", type=int, default=2, help="history items per entry")
    p.add_argument("--custom", type=int, default=2, help="custom fields per entry")
    p.add_argument("--attachments-mib", type=int, default=0, help="total attachment payload")
    p.add_argument("--attachment-kib", type=int, default=100, help="size of one attachment")
    p.add_argument("--time-format", choices=["iso", "kdbx4"], default="iso")
    p.add_argument("--out", "-o", required=True)
    a = p.parse_args()
    g = Gen(a)
    meta = g.run()
    data = "".join(g.out).encode("utf-8")
    with open(a.out, "wb") as f:
        f.write(data)
    meta["xml_bytes"] = len(data)
    with open(a.out + ".json", "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
