#!/usr/bin/python3
"""Benchmark driver: libkdbx's `kdbx` against keepassxc-cli and pykeepass.

All tools run in one process tree, interleaved (rep 1: every workload with
every tool, rep 2: the same in a rotated tool order, ...), on THE SAME vault
files, so machine noise hits them alike. Prints medians, ratios and peak
resident memory (/usr/bin/time %M) as markdown, then the engine's own
KDF-free figures (bench_open), KDF throughput against the underlying
libraries (bench_kdf, keepassxc-cli's calibration) and the issue's targets.

Vaults come from bench/gen_vault.py (seeded) and are encrypted once by
`keepassxc-cli import -t KDF_MS` (KDBX 3.1, AES-KDF with the rounds its
calibration picks), then cached in the work directory.

  /usr/bin/python3 bench/run.py --kdbx BUILD/kdbx                # default run, < 10 min
  /usr/bin/python3 bench/run.py --kdbx BUILD/kdbx --quick        # 1k + 10k, one rep
  /usr/bin/python3 bench/run.py --kdbx BUILD/kdbx --update-readme
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"  # Debian's python: the one that has pykeepass
PASSWORD = "bench-password"
ADD_PATH = "/Added by bench"
TOOLS = ["kdbx", "keepassxc", "pykeepass"]
WORKLOADS = [
    ("ls", "open + list all entries"),
    ("show", "open + show one entry"),
    ("add", "open + add one entry + save"),
    ("import", "create from XML import"),
]
TIMEOUT = 600
# keepassxc-cli import always writes KDBX 3.1 with AES-KDF, 1,000,000 rounds: give kdbx the same.
KDBX_IMPORT_KDF = ["--kdf", "aes-kdbx3", "--kdf-iterations", "1000000"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def peer_env():
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def run_timed(cmd, stdin_text, env=None):
    """Runs cmd under /usr/bin/time; returns wall seconds, peak RSS KiB, rc, stdout, stderr."""
    with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as tf:
        tpath = tf.name
    try:
        full = ["/usr/bin/time", "-f", "%M", "-o", tpath] + cmd
        t0 = time.perf_counter()
        try:
            p = subprocess.run(full, input=stdin_text.encode(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            return TIMEOUT, 0, -9, b"", b"timeout"
        t1 = time.perf_counter()
        rss = 0
        with open(tpath) as f:
            lines = [ln.strip() for ln in f if ln.strip()]
        if lines and lines[-1].isdigit():
            rss = int(lines[-1])
        return t1 - t0, rss, p.returncode, p.stdout, p.stderr
    finally:
        os.unlink(tpath)


def kdbx3_rounds(path):
    """TransformRounds (AES-KDF) from a KDBX 3.x outer header, or None."""
    with open(path, "rb") as f:
        data = f.read(4096)
    if len(data) < 12 or data[10:12] != b"\x03\x00":
        return None
    off = 12
    while off + 3 <= len(data):
        fid = data[off]
        (flen,) = struct.unpack_from("<H", data, off + 1)
        off += 3
        if fid == 0:
            return None
        if fid == 6 and flen == 8:
            return struct.unpack_from("<Q", data, off)[0]
        off += flen
    return None


class Vault:
    def __init__(self, label, xml, kdbx, meta):
        self.label, self.xml, self.kdbx, self.meta = label, xml, kdbx, meta
        self.rounds = kdbx3_rounds(kdbx)


REGENERATED = set()


def prepare_vault(args, tools, n, attach_mib):
    os.makedirs(args.workdir, exist_ok=True)
    name = f"n{n}-s{args.seed}-h{args.history}-a{attach_mib}"
    xml = os.path.join(args.workdir, name + ".xml")
    if not (os.path.exists(xml) and os.path.exists(xml + ".json")):
        log(f"generating {xml}")
        subprocess.run([PY, os.path.join(HERE, "gen_vault.py"), "-n", str(n), "--seed", str(args.seed),
                        "--history", str(args.history), "--attachments-mib", str(attach_mib),
                        "-o", xml], check=True)
    with open(xml + ".json", encoding="utf-8") as f:
        meta = json.load(f)
    kdbx = os.path.join(args.workdir, f"{name}-t{args.kdf_ms}.kdbx")
    if args.regen and kdbx not in REGENERATED and os.path.exists(kdbx):
        os.unlink(kdbx)
    if not os.path.exists(kdbx):
        REGENERATED.add(kdbx)
        log(f"encrypting {kdbx}")
        tmp = kdbx + ".tmp"
        if os.path.exists(tmp):
            os.unlink(tmp)
        if "keepassxc" in tools:
            cmd = [tools["keepassxc"], "import", "-q", "-p", "-t", str(args.kdf_ms), xml, tmp]
        else:
            cmd = [tools["kdbx"], "import", "-p", "-t", str(args.kdf_ms), "--kdf", "aes-kdbx3", xml, tmp]
        p = subprocess.run(cmd, input=f"{PASSWORD}\n{PASSWORD}\n".encode(), env=peer_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0 or not os.path.exists(tmp):
            sys.exit(f"run.py: could not create {kdbx}: {p.stderr.decode(errors='replace')}")
        os.rename(tmp, kdbx)
    label = f"{n // 1000}k" if n >= 1000 else str(n)
    if attach_mib:
        label += f" + {attach_mib} MiB att."
    return Vault(label, xml, kdbx, meta)


def command(tool, tools, workload, vault, scratch):
    """(argv, stdin, output file or None) of one tool doing one workload."""
    db, pw, path = vault.kdbx, PASSWORD + "\n", vault.meta["show_path"]
    target = os.path.join(scratch, f"{workload}-{tool}.kdbx")
    if tool == "pykeepass":
        ops = [PY, os.path.join(HERE, "pykeepass_ops.py")]
        argv = {"ls": ops + ["ls", db], "show": ops + ["show", db, path],
                "add": ops + ["add", target, ADD_PATH, "bench-user"],
                "import": ops + ["import", vault.xml, target]}[workload]
    else:
        exe = tools[tool]
        argv = {"ls": [exe, "ls", "-R", "-f", db], "show": [exe, "show", db, path],
                "add": [exe, "add", target, ADD_PATH, "-u", "bench-user"],
                "import": [exe, "import", "-p"] + (KDBX_IMPORT_KDF if tool == "kdbx" else [])
                + [vault.xml, target]}[workload]
    if workload == "import":
        pw = pw * 2  # new password + confirmation
    return argv, pw, target if workload in ("add", "import") else None


def check(workload, vault, out):
    """Sanity of a run's output: a tool that prints nothing fast must not win."""
    text = out.decode("utf-8", errors="replace")
    title = vault.meta["show_path"].rsplit("/", 1)[-1]
    if workload == "ls":
        lines = text.count("\n")
        if lines < vault.meta["entries"]:
            return f"listed {lines} lines for {vault.meta['entries']} entries"
        if title not in text:
            return "entry missing from the listing"
    if workload == "show" and title not in text:
        return "entry title missing from show output"
    return None


def probe(bench_dir, samples):
    """One sample of the host's speed (bench_probe): one thread, then every core at once."""
    bp = os.path.join(bench_dir, "bench_probe") if bench_dir else None
    if not bp or not os.path.exists(bp):
        return
    one = run_json([bp])
    every = run_json([bp, "-t", str(os.cpu_count() or 1)])
    if one:
        samples["one"].append(one[0]["ms"][0])
    if every:
        samples["all"].append(max(every[0]["ms"]))


def bench_vault(args, tools, vault, reps, results, sample_host):
    scratch = tempfile.mkdtemp(prefix="kdbx-bench-", dir=args.workdir)
    names = [t for t in TOOLS if t in tools]
    try:
        for rep in range(reps):
            sample_host()
            order = names[rep % len(names):] + names[: rep % len(names)]
            for workload, _ in WORKLOADS:
                if workload not in args.workloads:
                    continue
                for tool in order:
                    if tool == "pykeepass" and vault.meta["attachments"] and workload != "ls":
                        continue  # keeps the default run short; its import cannot carry binaries
                    if tool == "pykeepass" and workload == "import" and vault.meta["entries"] > 10000:
                        continue  # lxml raises XPathEvalError on save at 50k (pykeepass 4.0.3)
                    if tool == "pykeepass" and vault.meta["entries"] > args.pykeepass_max:
                        continue
                    argv, stdin, target = command(tool, tools, workload, vault, scratch)
                    if target and os.path.exists(target):
                        os.unlink(target)
                    if workload == "add":
                        shutil.copyfile(vault.kdbx, target)
                    secs, rss, rc, out, err = run_timed(argv, stdin, peer_env())
                    key = (vault.label, workload, tool)
                    r = results.setdefault(key, {"times": [], "rss": [], "errors": []})
                    problem = None
                    if rc != 0:
                        problem = f"exit {rc}: {err.decode(errors='replace').strip()[-200:]}"
                    elif target and (not os.path.exists(target) or os.path.getsize(target) < 512):
                        problem = "no output file"
                    else:
                        problem = check(workload, vault, out)
                    if problem:
                        r["errors"].append(problem)
                        log(f"  {vault.label} {workload} {tool}: FAILED ({problem})")
                        continue
                    r["times"].append(secs)
                    r["rss"].append(rss)
                    log(f"  rep {rep + 1}/{reps} {vault.label:>16} {workload:6} {tool:9} "
                        f"{secs:7.3f} s {rss / 1024:7.1f} MiB")
                    if workload == "add" and rep == 0:
                        verify_add(args, tools, target, r)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def verify_add(args, tools, target, r):
    """Once per tool and vault: the added entry must be readable by a peer."""
    if "keepassxc" not in tools or os.path.getsize(target) > 50 * 1024 * 1024:
        return
    p = subprocess.run([tools["keepassxc"], "show", "-q", target, ADD_PATH],
                       input=(PASSWORD + "\n").encode(), env=peer_env(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0 or b"bench-user" not in p.stdout:
        r["errors"].append("added entry not found by keepassxc-cli")
        log("  add: added entry NOT found by keepassxc-cli: " + p.stderr.decode(errors="replace"))


def run_json(argv, stdin=""):
    p = subprocess.run(argv, input=stdin.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=peer_env(), timeout=TIMEOUT)
    if p.returncode != 0:
        log(f"{' '.join(argv)}: exit {p.returncode}: {p.stderr.decode(errors='replace')[-300:]}")
        return []
    out = []
    for line in p.stdout.decode().splitlines():
        line = line.strip()
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def keepassxc_calibration(tools, reps):
    """AES-KDF rounds per second as keepassxc-cli's own calibration finds them:
    db-create -t 1000 picks the rounds that take one second here."""
    vals = []
    for _ in range(reps):
        d = tempfile.mkdtemp(prefix="kdbx-bench-cal-")
        try:
            path = os.path.join(d, "cal.kdbx")
            subprocess.run([tools["keepassxc"], "db-create", "-q", "-p", "-t", "1000", path],
                           input=f"{PASSWORD}\n{PASSWORD}\n".encode(), env=peer_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            r = kdbx3_rounds(path) if os.path.exists(path) else None
            if r:
                vals.append(float(r))
        finally:
            shutil.rmtree(d, ignore_errors=True)
    return statistics.median(vals) if vals else None


def med(v):
    return statistics.median(v) if v else None


def fmt_s(v):
    if v is None:
        return "–"
    return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.1f}x"


def fmt_mib(kib):
    return "–" if not kib else f"{kib / 1024:.0f}"


def tool_version(argv):
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=peer_env(),
                           timeout=30)
        return p.stdout.decode(errors="replace").strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def host_line(samples):
    one, every = samples["one"], samples["all"]
    if not one:
        return None
    text = (f"Host speed (bench_probe: the same fixed work each time, lower is faster; "
            f"{len(one)} samples through the run): one core {med(one):.0f} ms median "
            f"({min(one):.0f}-{max(one):.0f})")
    if every:
        text += (f", every core busy at once {med(every):.0f} ms median for the slowest "
                 f"({min(every):.0f}-{max(every):.0f})")
    return text + (". The cores are shared with other guests: a wide range means the "
                   "absolute times moved with the host's load (the ratios less, as the tools "
                   "are interleaved).")


def report(args, tools, vaults, results, engine, kdf, kxc_cal, started, cmdline, samples):
    L = []
    w = L.append
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    w(f"Run {started:%Y-%m-%d %H:%M} UTC on {cpu}, {os.cpu_count()} cores, {platform.system()} "
      f"{platform.release()}; {args.reps} reps (sizes > 10k: {args.reps_large}), medians.")
    vers = [f"kdbx: {tools.get('kdbx', 'absent')}"]
    if "keepassxc" in tools:
        vers.append("keepassxc-cli " + tool_version([tools["keepassxc"], "--version"]))
    if "pykeepass" in tools:
        vers.append("pykeepass " + tools["pykeepass"])
    w("Tools: " + "; ".join(vers) + ".")
    w("")
    host = host_line(samples)
    if host:
        w(host)
        w("")
    w("Command: `" + cmdline + "`")
    w("")
    for v in vaults:
        xml_mb = v.meta["xml_bytes"] / 1e6
        w(f"- vault {v.label}: {v.meta['entries']} entries x (1 + {v.meta['history']} history) in "
          f"{v.meta['groups']} groups, generator XML {xml_mb:.1f} MB, file "
          f"{os.path.getsize(v.kdbx) / 1e6:.1f} MB (KDBX 3.1, AES-KDF {v.rounds or '?'} rounds, "
          f"written by keepassxc-cli import -t {args.kdf_ms})")
    w("")
    w("| workload | vault | kdbx | keepassxc-cli | pykeepass | kxc / kdbx | pyk / kdbx "
      "| peak MiB kdbx | kxc | pyk |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for wl, desc in WORKLOADS:
        if wl not in args.workloads:
            continue
        for v in vaults:
            row = {t: results.get((v.label, wl, t)) for t in TOOLS}
            t = {k: (med(r["times"]) if r else None) for k, r in row.items()}
            m = {k: (max(r["rss"]) if r and r["rss"] else None) for k, r in row.items()}
            cells = []
            for k in TOOLS:
                r = row[k]
                if r and r["errors"] and not r["times"]:
                    cells.append("FAIL")
                else:
                    cells.append(fmt_s(t[k]) + ("*" if r and r["errors"] else ""))
            w(f"| {desc} | {v.label} | {cells[0]} | {cells[1]} | {cells[2]} | "
              f"{fmt_ratio(t['keepassxc'], t['kdbx'])} | {fmt_ratio(t['pykeepass'], t['kdbx'])} | "
              f"{fmt_mib(m['kdbx'])} | {fmt_mib(m['keepassxc'])} | {fmt_mib(m['pykeepass'])} |")
    w("")
    w("Import: keepassxc-cli and kdbx write KDBX 3.1 with AES-KDF 1,000,000 rounds "
      "(keepassxc-cli's fixed choice; kdbx is given `" + " ".join(KDBX_IMPORT_KDF) + "`); "
      "pykeepass writes its KDBX 4 template (Argon2d 64 MiB, 14 iterations). "
      "pykeepass has no XML import: its figure is parse + tree swap + save. "
      "`*` = some repetitions failed (see stderr).")
    w("")
    if engine:
        w("Engine only (bench_open, in-process, medians): `open` is kdbx_db_open of the file above; "
          "`KDF` is kdbx_kdf_run with its parameters; the other columns use a copy of the vault "
          "re-saved with a 1-round AES-KDF, so they are the engine's own work.")
        w("")
        w("| vault | open | KDF | open - KDF | open, 1-round copy | list all | find | add + save "
          "(1 round) | export XML | XML MB | peak MiB |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for v in vaults:
            e = engine.get(v.label)
            if not e:
                continue
            w(f"| {v.label} | {e['open_ms']:.0f} ms | {e['kdf_ms']:.0f} ms | "
              f"{e['open_minus_kdf_ms']:.0f} ms | {e['open_no_kdf_ms']:.0f} ms | "
              f"{e['list_ms']:.1f} ms | {e['find_ms'] * 1000:.0f} µs | {e['add_save_no_kdf_ms']:.0f} ms | "
              f"{e['export_xml_ms']:.0f} ms | {e['xml_bytes'] / 1e6:.1f} | "
              f"{e['maxrss_kib'] / 1024:.0f} |")
        w("")
    if kdf or kxc_cal:
        w(f"KDF throughput (bench_kdf; the implementations of a KDF run in turn, run by run; mean "
          f"rate over >= {args.kdf_secs:g} s of each one's runs, best single run in "
          "brackets; keepassxc-cli: the rounds `db-create -t 1000` picks, median of its runs):")
        w("")
        w("| KDF | parameters | kdbx_kdf_run | underlying library directly | kdbx / library "
          "| keepassxc-cli calibration | kdbx / keepassxc |")
        w("|---|---|---:|---:|---:|---:|---:|")
        by = {}
        for r in kdf:
            by.setdefault(r["kdf"], {})[r["impl"]] = r
        if "aes" in by or kxc_cal:
            a = by.get("aes", {})
            eng = a.get("kdbx_kdf_run")
            direct = [x for k, x in a.items() if k != "kdbx_kdf_run" and "rate" in x]
            best = max(direct, key=lambda x: x["rate"]) if direct else None
            cal = f"{kxc_cal / 1e6:.1f} M rounds/s" if kxc_cal else "–"
            vs_cal = (f"{eng['rate'] / kxc_cal:.2f}x" if eng and "rate" in eng and kxc_cal
                      else "–")
            w(f"| AES-KDF | {eng['rounds'] if eng else '?'} rounds | "
              f"{rate(eng, 1e6, 'M rounds/s')} | {rate(best, 1e6, 'M rounds/s')}"
              f"{' (' + best['impl'] + ')' if best else ''} | {fmt_ratio2(eng, best)} | "
              f"{cal} | {vs_cal} |")
        for name in ("argon2d", "argon2id"):
            a = by.get(name)
            if not a:
                continue
            eng, lib = a.get("kdbx_kdf_run"), a.get("libargon2-argon2_hash")
            ref = eng or lib or {}
            params = (f"{ref.get('memory_mib')} MiB, t={ref.get('iterations')}, "
                      f"p={ref.get('lanes')}")
            w(f"| {name.capitalize()} | {params} | {rate(eng, 1, 'hashes/s', 2)} | "
              f"{rate(lib, 1, 'hashes/s', 2)} | {fmt_ratio2(eng, lib)} | – | – |")
        w("")
    w("Targets (issue 7):")
    w("")
    for line in targets(vaults, results, engine, kdf, kxc_cal):
        w("- " + line)
    return "\n".join(L) + "\n"


def rate(r, scale, unit, nd=1):
    if not r or "rate" not in r:
        return "–"
    return f"{r['rate'] / scale:.{nd}f} [{r['best_rate'] / scale:.{nd}f}] {unit}"


def fmt_ratio2(a, b):
    if not a or not b or "rate" not in a or "rate" not in b:
        return "–"
    return f"{a['rate'] / b['rate']:.2f}x"


def targets(vaults, results, engine, kdf, kxc_cal):
    out = []

    def t(label, wl, tool):
        r = results.get((label, wl, tool))
        return med(r["times"]) if r else None

    def rss(label, wl, tool):
        r = results.get((label, wl, tool))
        return max(r["rss"]) if r and r["rss"] else None

    def verdict(ok):
        return "n/a" if ok is None else ("PASS" if ok else "FAIL")

    v10 = next((v for v in vaults if v.meta["entries"] == 10000 and not v.meta["attachments"]), None)
    v50 = next((v for v in vaults if v.meta["entries"] == 50000 and not v.meta["attachments"]), None)
    if v10:
        k, x, p = t(v10.label, "ls", "kdbx"), t(v10.label, "ls", "keepassxc"), t(v10.label, "ls", "pykeepass")
        out.append(f"open + list 10k >= 10x faster than keepassxc-cli: "
                   f"{fmt_ratio(x, k)} -> {verdict(None if not (k and x) else x / k >= 10)}")
        out.append(f"open + list 10k >= 30x faster than pykeepass: "
                   f"{fmt_ratio(p, k)} -> {verdict(None if not (k and p) else p / k >= 30)}")
        mk, mx = rss(v10.label, "ls", "kdbx"), rss(v10.label, "ls", "keepassxc")
        out.append(f"open + list 10k peak memory <= 1/3 of keepassxc-cli: {fmt_mib(mk)} vs "
                   f"{fmt_mib(mx)} MiB -> {verdict(None if not (mk and mx) else mk * 3 <= mx)}")
        k, x = t(v10.label, "add", "kdbx"), t(v10.label, "add", "keepassxc")
        out.append(f"open + add + save 10k >= 8x faster than keepassxc-cli: "
                   f"{fmt_ratio(x, k)} -> {verdict(None if not (k and x) else x / k >= 8)}")
        e = engine.get(v10.label)
        if e:
            out.append(f"engine's own work for the 10k vault < 150 ms: open of the 1-round copy "
                       f"{e['open_no_kdf_ms']:.0f} ms (file open - KDF {e['open_minus_kdf_ms']:.0f} ms) "
                       f"-> {verdict(e['open_no_kdf_ms'] < 150)}")
    if v10 and v50:
        for wl in ("ls", "show", "add"):
            a, b = t(v10.label, wl, "kdbx"), t(v50.label, wl, "kdbx")
            out.append(f"linear growth, kdbx {wl} 50k / 10k <= 5.5: "
                       f"{fmt_ratio(b, a)} -> {verdict(None if not (a and b) else b / a <= 5.5)}")
        e10, e50 = engine.get(v10.label), engine.get(v50.label)
        if e10 and e50:
            out.append(f"linear growth, engine open (1-round copy) 50k / 10k: "
                       f"{e50['open_no_kdf_ms'] / e10['open_no_kdf_ms']:.1f}x")
    by = {}
    for r in kdf:
        by.setdefault(r["kdf"], {})[r["impl"]] = r
    eng = by.get("aes", {}).get("kdbx_kdf_run")
    if eng and "rate" in eng and kxc_cal:
        out.append(f"AES-KDF >= 0.95x keepassxc-cli calibration: {eng['rate'] / kxc_cal:.2f}x -> "
                   f"{verdict(eng['rate'] / kxc_cal >= 0.95)}")
    for name in ("argon2d", "argon2id"):
        a = by.get(name, {})
        e, lib = a.get("kdbx_kdf_run"), a.get("libargon2-argon2_hash")
        if e and lib and "rate" in e and "rate" in lib:
            out.append(f"{name} >= 0.95x libargon2 (p = cores): {e['rate'] / lib['rate']:.2f}x -> "
                       f"{verdict(e['rate'] / lib['rate'] >= 0.95)}")
    if not out:
        out.append("nothing measured")
    return out


def find_tools(args):
    tools = {}
    k = args.kdbx or os.environ.get("KDBX_BIN")
    if not k:
        for c in (os.path.join(HERE, "..", "build", "kdbx"), "/tmp/build-bench/kdbx"):
            if os.path.exists(c):
                k = c
                break
    if k and os.path.exists(k) and "kdbx" in args.tools:
        tools["kdbx"] = os.path.abspath(k)
    kx = shutil.which("keepassxc-cli")
    if kx and "keepassxc" in args.tools:
        tools["keepassxc"] = kx
    if "pykeepass" in args.tools:
        p = subprocess.run([PY, "-c", "import pykeepass; print(pykeepass.__version__)"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode == 0:
            tools["pykeepass"] = p.stdout.decode().strip()
    return tools


def update_readme(text, cmdline):
    path = os.path.join(HERE, "README.md")
    start, end = "<!-- bench-table-start -->", "<!-- bench-table-end -->"
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    if start not in doc or end not in doc:
        log("README.md has no table markers; not updated")
        return
    head, rest = doc.split(start, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + start + "\n" + text + end + tail)
    log("updated " + path)


def main():
    ap = argparse.ArgumentParser(description="kdbx vs keepassxc-cli vs pykeepass")
    ap.add_argument("--kdbx", help="the kdbx binary (default: $KDBX_BIN, build/kdbx, /tmp/build-bench/kdbx)")
    ap.add_argument("--bench-bin", help="directory with bench_open and bench_kdf "
                    "(default: <dir of kdbx>/bench)")
    ap.add_argument("--sizes", help="entry counts (default 1000,10000,50000; --quick: 1000,10000)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions for sizes <= 10k")
    ap.add_argument("--reps-large", type=int, default=1, help="repetitions for larger vaults")
    ap.add_argument("--attach-mib", type=int, default=100,
                    help="extra 10k vault with this much attachment data (0 = none)")
    ap.add_argument("--kdf-ms", type=int, default=100,
                    help="keepassxc-cli import -t: AES-KDF calibration target of the vaults")
    ap.add_argument("--regen", action="store_true",
                    help="re-encrypt the cached vaults (the KDF calibration depends on the load)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--history", type=int, default=2)
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--workloads", default=",".join(w for w, _ in WORKLOADS))
    ap.add_argument("--pykeepass-max", type=int, default=50000,
                    help="skip pykeepass above this many entries")
    ap.add_argument("--no-kdf", action="store_true", help="skip the KDF throughput section")
    ap.add_argument("--kdf-secs", type=float, default=2.0)
    ap.add_argument("--quick", action="store_true", help="1k + 10k, one rep, no attachments")
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "kdbx-bench"),
                    help="cache of generated vaults")
    ap.add_argument("--out", help="also write the markdown report here")
    ap.add_argument("--json", help="write raw measurements here")
    ap.add_argument("--update-readme", action="store_true",
                    help="replace the table in bench/README.md")
    args = ap.parse_args()
    if args.quick:
        args.sizes = args.sizes or "1000,10000"
        args.reps, args.reps_large, args.attach_mib = 1, 1, 0
        args.kdf_secs = min(args.kdf_secs, 1.0)
    args.sizes = args.sizes or "1000,10000,50000"
    args.tools = args.tools.split(",")
    args.workloads = args.workloads.split(",")
    cmdline = "/usr/bin/python3 bench/run.py " + " ".join(
        a if " " not in a else repr(a) for a in sys.argv[1:])
    started = datetime.datetime.now(datetime.timezone.utc)
    t_start = time.time()

    tools = find_tools(args)
    if not tools:
        sys.exit("run.py: no tool found")
    log("tools: " + ", ".join(f"{k}={v}" for k, v in tools.items()))
    if "kdbx" not in tools:
        log("kdbx not found: measuring the peers only")

    sizes = [int(s) for s in args.sizes.split(",") if s]
    plan = [(n, 0) for n in sizes]
    if args.attach_mib and 10000 in sizes:
        plan.append((10000, args.attach_mib))
    vaults = [prepare_vault(args, tools, n, a) for n, a in plan]

    bench_dir = args.bench_bin or (os.path.join(os.path.dirname(tools["kdbx"]), "bench")
                                   if "kdbx" in tools else None)
    samples = {"one": [], "all": []}

    def sample_host():
        probe(bench_dir, samples)

    results = {}
    for v in vaults:
        reps = args.reps if v.meta["entries"] <= 10000 and not v.meta["attachments"] else args.reps_large
        log(f"vault {v.label}: {reps} reps")
        bench_vault(args, tools, v, reps, results, sample_host)
    engine = {}
    bo = os.path.join(bench_dir, "bench_open") if bench_dir else None
    if bo and os.path.exists(bo):
        for v in vaults:
            log(f"bench_open {v.label}")
            sample_host()
            res = run_json([bo, "-n", "5" if v.meta["entries"] <= 10000 else "3", v.kdbx,
                            v.meta["show_path"]], PASSWORD + "\n")
            if res:
                engine[v.label] = res[0]
    else:
        log("bench_open not built (cmake -DKDBX_BENCH=ON): no engine-only figures")

    kdf, kxc_cal = [], None
    if not args.no_kdf:
        bk = os.path.join(bench_dir, "bench_kdf") if bench_dir else None
        if bk and os.path.exists(bk):
            log("bench_kdf")
            sample_host()
            kdf = run_json([bk, "-s", str(args.kdf_secs)])
        if "keepassxc" in tools:
            log("keepassxc-cli calibration")
            kxc_cal = keepassxc_calibration(tools, 1 if args.quick else 3)

    sample_host()
    text = report(args, tools, vaults, results, engine, kdf, kxc_cal, started, cmdline, samples)
    text += f"\n(bench run took {time.time() - t_start:.0f} s)\n"
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    if args.json:
        raw = {"results": [{"vault": k[0], "workload": k[1], "tool": k[2], **r}
                           for k, r in results.items()],
               "engine": engine, "kdf": kdf, "keepassxc_calibration": kxc_cal,
               "host_probe_ms": samples,
               "vaults": [{"label": v.label, "file": v.kdbx, "rounds": v.rounds, **v.meta}
                          for v in vaults]}
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(raw, f, indent=1, ensure_ascii=False)
    if args.update_readme:
        update_readme(text, cmdline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
