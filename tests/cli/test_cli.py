#!/usr/bin/python3
"""Drives the real kdbx binary through every command, option and error path,
and checks that its databases open in keepassxc-cli and pykeepass and that its
export of a KeePassXC file matches keepassxc-cli's.

Usage: test_cli.py PATH/TO/kdbx
Prints one line per check and a summary; exits 1 on any failure. A missing
peer (keepassxc-cli, pykeepass) is a failure. Without ../shared the corpus
checks are skipped and the script exits 77 when everything else passed."""

import base64
import csv
import hashlib
import hmac
import io
import json
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET

KDBX = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else None
SRC = os.environ.get("KDBX_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SHARED = os.environ.get("KDBX_SHARED_DIR", os.path.join(SRC, "..", "shared"))
KXC_DB = os.path.join(SHARED, "interop", "keepassxc", "NewDatabase.kdbx")
KEEPASSXC_CLI = shutil.which("keepassxc-cli") or "/usr/bin/keepassxc-cli"
CHEAP = ["--kdf", "argon2id", "--kdf-iterations", "2", "--kdf-memory", "1"]
PW = "correct horse"

EXIT_USAGE, EXIT_AUTH, EXIT_CORRUPT, EXIT_NOTFOUND, EXIT_IO, EXIT_DEVICE, EXIT_KEYFILE, EXIT_OTHER = 1, 2, 3, 4, 5, 6, 7, 10

results = {"pass": 0, "fail": 0, "skip": 0}
TMP = tempfile.mkdtemp(prefix="kdbx-cli-test-")


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def run(args, input=None, rc=0, env=None, **kw):
    """Runs kdbx with args; input is text for stdin; asserts the exit code."""
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([KDBX] + args, input=(input if input is not None else "").encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, timeout=120, **kw)
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    if rc is not None and p.returncode != rc:
        raise Fail("kdbx %s: exit %d, expected %d\nstdout: %s\nstderr: %s" % (
            " ".join(args), p.returncode, rc, out[-2000:], err[-2000:]))
    return out, err


def kxc(args, input):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    p = subprocess.run([KEEPASSXC_CLI] + args, input=input.encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def path(name):
    return os.path.join(TMP, name)


def new_db(name, extra=None, pw=PW):
    db = path(name)
    if os.path.exists(db):
        os.unlink(db)
    run(["db-create", "-p", db] + CHEAP + (extra or []), input="%s\n%s\n" % (pw, pw))
    return db


def test(fn):
    try:
        fn()
        results["pass"] += 1
        print("ok   %s" % fn.__name__)
    except Skip:
        results["skip"] += 1
        print("skip %s: ../shared absent" % fn.__name__)
    except Fail as e:
        results["fail"] += 1
        print("FAIL %s: %s" % (fn.__name__, e))
    except Exception:
        results["fail"] += 1
        print("FAIL %s: exception\n%s" % (fn.__name__, traceback.format_exc()))
    sys.stdout.flush()


def totp_ref(secret_b32, t, period=30, digits=6, algo=hashlib.sha1):
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(t) // period), algo).digest()
    off = mac[-1] & 15
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff) % (10 ** digits)
    return str(code).zfill(digits)


# ---------------------------------------------------------------- commands

def test_help_and_usage():
    out, _ = run(["--help"])
    for c in ["add", "attachment-export", "attachment-import", "attachment-rm", "db-create", "db-edit",
              "db-info", "edit", "export", "generate", "help", "import", "ls", "mkdir", "mv", "rm", "rmdir",
              "search", "show", "version"]:
        check(re.search(r"^  %s " % re.escape(c), out, re.M), "--help lacks " + c)
    out, _ = run(["help", "ls"])
    check("--recursive" in out and "--key-file" in out and "--json" in out, "help ls: " + out)
    out, _ = run(["show", "--help"])
    check("--show-protected" in out and "--yubikey" in out, "show --help")
    out, _ = run(["db-create", "--help"])
    check("--set-key-file" in out and "--decryption-time" in out and "--key-file FILE" in out, out)
    run(["help", "nosuch"], rc=EXIT_USAGE)
    _, err = run(["nosuch"], rc=EXIT_USAGE)
    check("unknown command" in err, err)
    run([], rc=EXIT_USAGE)
    _, err = run(["ls"], rc=EXIT_USAGE)
    check("missing DATABASE" in err, err)
    _, err = run(["ls", "--bogus", "x.kdbx"], rc=EXIT_USAGE)
    check("unknown option" in err, err)
    run(["ls", "-k"], rc=EXIT_USAGE)                     # option without its argument
    run(["ls", "a", "b", "c"], rc=EXIT_USAGE)            # too many positionals
    run(["generate", "--json=1"], rc=EXIT_USAGE)         # flag with a value
    run(["db-create", "--no-password", "x"], rc=EXIT_USAGE)  # unlock-only option on db-create


def test_version():
    out, _ = run(["version"])
    check(re.match(r"kdbx \d+\.\d+\.\d+ \(libkdbx \d+\.\d+\.\d+", out), out)
    out2, _ = run(["--version"])
    check(out2 == out, "--version differs")
    j = json.loads(run(["version", "--json"])[0])
    check(set(j) == {"kdbx", "libkdbx"}, j)


def test_generate():
    out, _ = run(["generate"])
    pw = out.rstrip("\n")
    check(len(pw) == 16 and re.fullmatch(r"[A-Za-z0-9]+", pw), "default: " + pw)
    for flag, rx in [("-l", r"[a-z]+"), ("-U", r"[A-Z]+"), ("-n", r"[0-9]+"),
                     ("-s", r"[()\[\]{}.,:;\"'\-/\\_|!*+<=>?#$%&@^`~]+")]:
        pw = run(["generate", flag, "-L", "40"])[0].rstrip("\n")
        check(len(pw) == 40 and re.fullmatch(rx, pw), "%s: %r" % (flag, pw))
    pw = run(["generate", "-e", "-L", "30"])[0].rstrip("\n")
    check(len(pw) == 30 and all(0xA1 <= ord(c) <= 0xFF and ord(c) != 0xAD for c in pw), "extended: %r" % pw)
    pw = run(["generate", "-l", "-x", "abcdefghijklmnopqrstuvwxy", "-L", "8"])[0].rstrip("\n")
    check(pw == "z" * 8, "exclude: " + pw)
    pw = run(["generate", "-lUn", "--exclude-similar", "-L", "200"])[0].rstrip("\n")
    check(not set(pw) & set("Il1|O0B8G6"), "exclude-similar: " + pw)
    pw = run(["generate", "-c", "äb", "-L", "50"])[0].rstrip("\n")
    check(set(pw) <= {"ä", "b"} and len(pw) == 50, "custom: %r" % pw)
    for _ in range(15):
        pw = run(["generate", "-lUns", "--every-group", "-L", "4"])[0].rstrip("\n")
        check(re.search("[a-z]", pw) and re.search("[A-Z]", pw) and re.search("[0-9]", pw)
              and re.search(r"[^A-Za-z0-9]", pw), "every-group: " + pw)
    many = {run(["generate", "-L", "12"])[0] for _ in range(20)}
    check(len(many) == 20, "generated passwords repeat")
    j = json.loads(run(["generate", "--json", "-L", "20", "-n"])[0])
    check(len(j["password"]) == 20 and j["length"] == 20 and abs(j["entropy_bits"] - 20 * 3.3219) < 0.1, j)
    run(["generate", "-L", "0"], rc=EXIT_USAGE)
    run(["generate", "-L", "abc"], rc=EXIT_USAGE)
    run(["generate", "-n", "-x", "0123456789"], rc=EXIT_USAGE)
    run(["generate", "-ln", "--every-group", "-L", "1"], rc=EXIT_USAGE)
    # Uniformity: every digit shows up in a long numeric password (rejection sampling sanity).
    pw = run(["generate", "-n", "-L", "2000"])[0].rstrip("\n")
    counts = [pw.count(d) for d in "0123456789"]
    check(min(counts) > 120 and max(counts) < 290, "digit counts %s" % counts)


def test_db_create_and_info():
    db = new_db("info.kdbx", ["--name", "My Vault"])
    check(os.path.exists(db), "db not created")
    out, _ = run(["db-info", db], input=PW + "\n")
    for line in ["Name: My Vault", "Cipher: AES 256-bit", "KDF: Argon2id (2 iterations, 1 MiB memory",
                 "KDBX version: 4.", "Recycle bin is enabled.", "Number of entries: 0"]:
        check(line in out, "db-info lacks %r:\n%s" % (line, out))
    check(re.search(r"^UUID: \{[0-9a-f-]{36}\}$", out, re.M), out)
    j = json.loads(run(["db-info", "--json", db], input=PW + "\n")[0])
    check(j["cipher"] == "aes256" and j["kdf"]["type"] == "argon2id" and j["kdf"]["iterations"] == 2
          and j["kdf"]["memory"] == 1 << 20 and j["name"] == "My Vault" and j["entries"] == 0
          and j["groups"] >= 1 and j["kdbx_version"].startswith("4.") and j["hardware_protection"] == "none"
          and j["recycle_bin"]["enabled"] is True and re.fullmatch(r"[0-9a-f-]{36}", j["uuid"]), j)
    for cipher in ["chacha20", "twofish", "aes256"]:
        d = new_db("c-%s.kdbx" % cipher, ["--cipher", cipher])
        j = json.loads(run(["db-info", "--json", d], input=PW + "\n")[0])
        check(j["cipher"] == cipher, "cipher %s -> %s" % (cipher, j["cipher"]))
    d = path("kdf-aes3.kdbx")
    run(["db-create", "-p", d, "--kdf", "aes-kdbx3", "--kdf-iterations", "1000"], input="a\na\n")
    j = json.loads(run(["db-info", "--json", d], input="a\n")[0])
    check(j["kdf"]["type"] == "aes-kdbx3" and j["kdf"]["rounds"] == 1000 and j["kdbx_version"] == "3.1", j)
    d = path("kdf-aes4.kdbx")
    run(["db-create", "-p", d, "--kdf", "aes", "--kdf-iterations", "1000"], input="a\na\n")
    j = json.loads(run(["db-info", "--json", d], input="a\n")[0])
    check(j["kdf"]["type"] == "aes" and j["kdbx_version"].startswith("4."), j)
    d = path("kdf-a2d.kdbx")
    run(["db-create", "-p", d, "--kdf", "argon2d", "--kdf-memory", "1", "-t", "50"], input="a\na\n")
    j = json.loads(run(["db-info", "--json", d], input="a\n")[0])
    check(j["kdf"]["type"] == "argon2d" and j["kdf"]["iterations"] >= 1, j)
    # Errors: existing file, mismatched passwords, no key at all, bad choices.
    run(["db-create", "-p", db] + CHEAP, input="a\na\n", rc=EXIT_OTHER)
    _, err = run(["db-create", "-p", path("mm.kdbx")] + CHEAP, input="a\nb\n", rc=EXIT_USAGE)
    check("do not match" in err and not os.path.exists(path("mm.kdbx")), err)
    run(["db-create", path("nokey.kdbx")] + CHEAP, rc=EXIT_USAGE)
    run(["db-create", "-p", path("bad.kdbx"), "--cipher", "rot13"], input="a\na\n", rc=EXIT_USAGE)
    run(["db-create", "-p", path("bad.kdbx"), "--kdf", "md5"], input="a\na\n", rc=EXIT_USAGE)
    run(["db-create", "-p", path("bad.kdbx"), "-t", "5"], input="a\na\n", rc=EXIT_USAGE)
    run(["db-create", "-p", path("bad.kdbx")], input="a\n", rc=EXIT_USAGE)  # repeat line missing
    check(not os.path.exists(path("bad.kdbx")), "failed db-create left a file")


def test_calibration_message():
    d = path("cal.kdbx")
    _, err = run(["db-create", "-p", d, "--kdf", "argon2id", "--kdf-memory", "1", "-t", "50"], input="a\na\n")
    check("Benchmarking key derivation function for 50ms delay." in err, err)
    check("\r" not in err, "spinner drawn although stderr is not a terminal")
    _, err = run(["db-create", "-q", "-p", path("cal2.kdbx"), "--kdf", "argon2id", "--kdf-memory", "1",
                  "-t", "50"], input="a\na\n")
    check(err == "", "--quiet still printed: " + err)


def test_key_file_and_unlock_errors():
    kf = path("vault.keyx")
    db = path("kf.kdbx")
    _, err = run(["db-create", "-p", "--set-key-file", kf, db] + CHEAP, input="pw\npw\n")
    check(os.path.exists(kf) and "Created key file" in err, "key file not created: " + err)
    check(os.stat(kf).st_mode & 0o077 == 0, "key file mode is not 0600")
    check(b"<KeyFile>" in open(kf, "rb").read(), "not an XML key file")
    run(["ls", "-k", kf, db], input="pw\n")
    run(["ls", "--key-file", kf, db], input="pw\n")
    run(["ls", db], input="pw\n", rc=EXIT_AUTH)                  # key file missing
    run(["ls", "-k", kf, db], input="wrong\n", rc=EXIT_AUTH)      # wrong password
    run(["ls", "--no-password", "-k", kf, db], rc=EXIT_AUTH)      # password missing
    # An unreadable key file is a key-file or I/O error, never "wrong credentials".
    p = subprocess.run([KDBX, "ls", "-k", path("nope.key"), db], input=b"pw\n", capture_output=True)
    check(p.returncode in (EXIT_KEYFILE, EXIT_IO), "missing key file: exit %d" % p.returncode)
    bad = path("bad.keyx")
    with open(bad, "w") as f:
        f.write('<?xml version="1.0"?><KeyFile><Meta><Version>2.0</Version></Meta><Key><Data Hash="00000000">'
                'ZZZZ</Data></Key></KeyFile>')
    p = subprocess.run([KDBX, "ls", "-k", bad, db], input=b"pw\n", capture_output=True)
    check(p.returncode == EXIT_KEYFILE, "malformed key file: exit %d %s" % (p.returncode, p.stderr))
    # Key file only (no password), then --no-password opens it without reading stdin.
    db2 = path("kfonly.kdbx")
    run(["db-create", "--set-key-file", kf, db2] + CHEAP)
    run(["ls", "--no-password", "-k", kf, db2])
    # An existing key file is used, not overwritten.
    before = open(kf, "rb").read()
    run(["db-create", "-p", "--set-key-file", kf, path("kf3.kdbx")] + CHEAP, input="x\nx\n")
    check(open(kf, "rb").read() == before, "existing key file rewritten")
    run(["ls", "-k", kf, path("kf3.kdbx")], input="x\n")
    # Not found, corrupt, not a database.
    _, err = run(["ls", path("missing.kdbx")], input="pw\n", rc=EXIT_IO)
    check("missing.kdbx" in err, err)
    junk = path("junk.kdbx")
    with open(junk, "wb") as f:
        f.write(os.urandom(300))
    run(["ls", junk], input="pw\n", rc=EXIT_CORRUPT)
    trunc = path("trunc.kdbx")
    with open(trunc, "wb") as f:
        f.write(open(db, "rb").read()[:200])
    run(["ls", "-k", kf, trunc], input="pw\n", rc=EXIT_CORRUPT)
    # End of input instead of a password.
    _, err = run(["ls", db], input="", rc=EXIT_USAGE)
    check("no password" in err, err)


def test_password_fd_and_crlf():
    db = new_db("fd.kdbx")
    r, w = os.pipe()
    os.write(w, (PW + "\n").encode())
    os.close(w)
    p = subprocess.run([KDBX, "ls", "--password-fd", str(r), db], stdin=subprocess.DEVNULL,
                       capture_output=True, pass_fds=(r,))
    os.close(r)
    check(p.returncode == 0, "--password-fd: %d %s" % (p.returncode, p.stderr))
    run(["ls", db], input=PW + "\r\n")            # CRLF line end
    run(["ls", db], input=PW)                     # no final newline
    run(["ls", "--password-fd", "x", db], rc=EXIT_USAGE)


def test_device_options_slot_in():
    db = new_db("dev.kdbx")
    for opt in [["--yubikey", "2"], ["-y", "1:123"], ["--pkcs11", "pkcs11:token=x"], ["--fido2", "x"],
                ["--tpm2", "x"]]:
        # The shared unlock table accepts every device option; what a device
        # option then does belongs to cli/unlock_devices.c (a YubiKey option
        # without a YubiKey must fail; a TPM slot option may be unused).
        p = subprocess.run([KDBX, "ls"] + opt + [db], input=(PW + "\n").encode(), capture_output=True)
        check(b"unknown option" not in p.stderr, "%s not in the unlock table: %s" % (opt, p.stderr))
        if opt[0] in ("--yubikey", "-y"):
            check(p.returncode in (EXIT_DEVICE, EXIT_AUTH, EXIT_USAGE), "%s: exit %d" % (opt, p.returncode))
    out, _ = run(["db-create", "--help"])
    check("--yubikey" in out and "--key-file FILE" in out, "db-create lacks device options")


def test_fido2_cli():
    # The CLI cannot reach the in-process software authenticator (no uhid
    # here): FIDO2 itself is proven by tests/integration/fido2_*.c. Here: the
    # commands exist and fail clearly without a device.
    out, err = run(["fido2", "list"])
    check(out == "" and "No FIDO2 device found" in err, (out, err))
    out, _ = run(["fido2", "list", "--json"])
    check(json.loads(out) == [], out)
    run(["fido2", "frobnicate"], rc=EXIT_USAGE)
    db = new_db("fido2.kdbx")
    _, err = run(["device", "enroll", db, "--label", "k", "--device", "fido2", "--yes"], input=PW + "\n",
                 rc=EXIT_DEVICE)
    check("no FIDO2 device" in err, err)
    _, err = run(["device", "enroll", db, "--label", "k", "--fido2", "auto", "--yes"], input=PW + "\n",
                 rc=EXIT_DEVICE)
    check("no FIDO2 device" in err, err)
    _, err = run(["device", "enroll", db, "--label", "k", "--device", "fido2:,pin=maybe", "--yes"],
                 input=PW + "\n", rc=EXIT_USAGE)
    check("FIDO2 spec" in err, err)
    _, err = run(["ls", "--fido2", "auto,credential=zz", db], input=PW + "\n", rc=EXIT_USAGE)
    check("--fido2 wants" in err, err)
    run(["ls", "--fido2", "auto", db], input=PW + "\n")


def read_until(fd, pattern, timeout=30):
    buf = b""
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if pattern and pattern in buf:
                return buf
    return buf


def wait_child(pid, timeout=30):
    """waitpid with a deadline: a hung child is killed and reported."""
    end = time.time() + timeout
    while time.time() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    raise Fail("kdbx under the pty did not finish (killed)")


def test_tty_prompt_no_echo():
    db = new_db("tty.kdbx")
    run(["add", db, "Visible Entry", "-u", "bob"], input=PW + "\n")
    secret = "TtySecretPw42"
    db2 = path("tty2.kdbx")
    run(["db-create", "-p", db2] + CHEAP, input="%s\n%s\n" % (secret, secret))
    run(["add", db2, "Visible Entry"], input=secret + "\n")
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(KDBX, [KDBX, "ls", db2])
    buf = read_until(fd, b"Enter password to unlock %s: " % db2.encode())
    check(b"Enter password to unlock" in buf, "no prompt on the terminal: %r" % buf)
    # Process hardening: no core dumps.
    limits = open("/proc/%d/limits" % pid).read()
    core = [l for l in limits.splitlines() if l.startswith("Max core file size")]
    check(core and core[0].split()[4] == "0", "core limit not 0: %s" % core)
    os.write(fd, (secret + "\n").encode())
    rest = read_until(fd, b"Visible Entry\r\n", timeout=20)
    status = wait_child(pid)
    os.close(fd)
    check(status == 0, "tty ls failed: %r" % rest)
    check(secret.encode() not in buf + rest, "password echoed: %r" % (buf + rest))
    check(b"Visible Entry" in rest, "no listing: %r" % rest)
    # Wrong password through the tty gives exit 2.
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(KDBX, [KDBX, "ls", db2])
    read_until(fd, b"unlock %s: " % db2.encode())
    os.write(fd, b"nope\n")
    rest = read_until(fd, b"credentials", timeout=20)
    status = wait_child(pid)
    os.close(fd)
    check(status == EXIT_AUTH, "tty wrong pw: exit %d %r" % (status, rest))
    # On a terminal: db-create asks twice without echo, and draws the spinner
    # during the KDF calibration (stderr is the pty).
    db3 = path("tty3.kdbx")
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(KDBX, [KDBX, "db-create", "-p", "--kdf-memory", "1", "-t", "300", db3])
    read_until(fd, b"(optional): ")
    os.write(fd, b"SpinSecret1\n")
    read_until(fd, b"Repeat password: ")
    os.write(fd, b"SpinSecret1\n")
    rest = read_until(fd, b"Successfully created new database.", timeout=60)
    status = wait_child(pid, 60)
    os.close(fd)
    check(status == 0 and b"SpinSecret1" not in rest, "tty db-create: %r" % rest)
    check(b"Calibrating..." in rest and b"\r" in rest, "no spinner on the terminal: %r" % rest)
    run(["ls", db3], input="SpinSecret1\n")


def populate(db, pw=PW):
    i = pw + "\n"
    run(["mkdir", db, "General"], input=i)
    run(["mkdir", db, "Homebanking"], input=i)
    run(["mkdir", db, "Homebanking/Subgroup"], input=i)
    run(["mkdir", db, "Empty"], input=i)
    run(["add", db, "Sample Entry", "-u", "User Name", "--url", "http://www.somesite.com/", "--notes",
         "Notes\nline 2", "-p", "--field", "TestAttribute1=b", "--protected-field", "Secret Field=s3cr3t",
         "--tags", "one;two"], input=i + "Password\n")
    run(["add", db, "Homebanking/Subgroup/Subgroup Entry", "-u", "Bank User Name", "--url",
         "https://www.bank.com", "-g", "-L", "24", "-n"], input=i)
    run(["add", db, "General/Mail", "-u", "me@example.org"], input=i)


def test_entries_ls_show():
    db = new_db("tree.kdbx")
    populate(db)
    i = PW + "\n"
    out, _ = run(["ls", db], input=i)
    check(out == "Sample Entry\nGeneral/\nHomebanking/\nEmpty/\n", "ls:\n" + out)
    out, _ = run(["ls", "-R", db], input=i)
    check(out == ("Sample Entry\nGeneral/\n  Mail\nHomebanking/\n  Subgroup/\n    Subgroup Entry\n"
                  "Empty/\n  [empty]\n"), "ls -R:\n" + out)
    out, _ = run(["ls", "-R", "-f", db], input=i)
    check(out == ("Sample Entry\nGeneral/\nGeneral/Mail\nHomebanking/\nHomebanking/Subgroup/\n"
                  "Homebanking/Subgroup/Subgroup Entry\nEmpty/\nEmpty/[empty]\n"), "ls -Rf:\n" + out)
    out, _ = run(["ls", db, "Homebanking"], input=i)
    check(out == "Subgroup/\n", out)
    out, _ = run(["ls", "-Rf", db, "Homebanking/"], input=i)
    check(out == "Subgroup/\nSubgroup/Subgroup Entry\n", out)
    run(["ls", db, "Nope"], input=i, rc=EXIT_NOTFOUND)
    j = json.loads(run(["ls", "--json", "-R", db], input=i)[0])
    check(j[0] == {"type": "entry", "title": "Sample Entry", "path": "/Sample Entry", "uuid": j[0]["uuid"]}, j)
    hb = [x for x in j if x.get("name") == "Homebanking"][0]
    check(hb["type"] == "group" and hb["path"] == "/Homebanking" and
          hb["children"][0]["children"][0]["title"] == "Subgroup Entry", hb)
    j = json.loads(run(["ls", "--json", "-R", "-f", db], input=i)[0])
    check("/Homebanking/Subgroup/Subgroup Entry" in [x["path"] for x in j] and
          all("children" not in x for x in j), j)
    # show
    out, _ = run(["show", db, "Sample Entry"], input=i)
    lines = out.splitlines()
    check(lines[:6] == ["Title: Sample Entry", "UserName: User Name", "Password: PROTECTED",
                        "URL: http://www.somesite.com/", "Notes: Notes", "line 2"], out)
    check(re.search(r"^Uuid: \{[0-9a-f-]{36}\}$", out, re.M) and "Tags: one;two" in out, out)
    check("TestAttribute1: b" in out and "Secret Field: PROTECTED" in out and "s3cr3t" not in out
          and "Password\n" not in out.replace("Password: PROTECTED", ""), out)
    out, _ = run(["show", "-s", db, "Sample Entry"], input=i)
    check("Password: Password" in out and "Secret Field: s3cr3t" in out, out)
    out, _ = run(["show", "-a", "Password", "-a", "username", "-a", "Secret Field", db, "Sample Entry"], input=i)
    check(out == "Password\nUser Name\ns3cr3t\n", "show -a: %r" % out)
    run(["show", "-a", "Nope", db, "Sample Entry"], input=i, rc=EXIT_NOTFOUND)
    run(["show", db, "Nope"], input=i, rc=EXIT_NOTFOUND)
    out, _ = run(["show", "--all", db, "Sample Entry"], input=i)
    check("Created: " in out and "Modified: " in out and "Attachments:" in out, out)
    j = json.loads(run(["show", "--json", db, "Sample Entry"], input=i)[0])
    f = {x["name"]: x for x in j["fields"]}
    check(f["Password"]["value"] is None and f["Password"]["protected"] is True and
          f["UserName"]["value"] == "User Name" and f["Secret Field"]["value"] is None and
          f["TestAttribute1"]["value"] == "b" and j["path"] == "/Sample Entry" and j["tags"] == "one;two"
          and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", j["times"]["created"])
          and j["times"]["expires"] is None and j["attachments"] == [] and "totp" not in j, j)
    j = json.loads(run(["show", "--json", "-s", db, "Sample Entry"], input=i)[0])
    check({x["name"]: x["value"] for x in j["fields"]}["Password"] == "Password", j)
    pw = run(["show", "-a", "Password", db, "Homebanking/Subgroup/Subgroup Entry"], input=i)[0].strip()
    check(re.fullmatch(r"[0-9]{24}", pw), "generated entry password: " + pw)
    pw = run(["show", "-a", "password", db, "/General/Mail"], input=i)[0]
    check(pw == "\n", "absent password should print empty: %r" % pw)
    # search
    out, _ = run(["search", db, "bank"], input=i)
    check(out == "/Homebanking/Subgroup/Subgroup Entry\n", out)
    out, _ = run(["search", db, "somesite user"], input=i)
    check(out == "/Sample Entry\n", out)
    _, err = run(["search", db, "zzz"], input=i, rc=EXIT_NOTFOUND)
    check("No results" in err, err)
    j = json.loads(run(["search", "--json", db, "bank"], input=i)[0])
    check(len(j) == 1 and j[0]["username"] == "Bank User Name" and j[0]["url"] == "https://www.bank.com", j)
    j = json.loads(run(["search", "--json", db, "zzz"], input=i, rc=EXIT_NOTFOUND)[0])
    check(j == [], j)


def test_add_edit_errors():
    db = new_db("edit.kdbx")
    i = PW + "\n"
    run(["add", db, "E1", "-u", "u1"], input=i)
    _, err = run(["add", db, "E1"], input=i, rc=EXIT_OTHER)
    check("exists" in err, err)
    run(["add", db, "NoGroup/E2"], input=i, rc=EXIT_NOTFOUND)
    run(["add", db, "E3", "--field", "novalue"], input=i, rc=EXIT_USAGE)
    run(["add", db, "E3", "-p", "-g"], input=i, rc=EXIT_USAGE)
    run(["edit", db, "E1"], input=i, rc=EXIT_USAGE)  # nothing to edit
    run(["edit", db, "Nope", "-u", "x"], input=i, rc=EXIT_NOTFOUND)
    run(["edit", db, "E1", "-t", "E1 renamed", "-u", "u2", "--url", "https://x", "--notes", "n",
         "--field", "A=1", "--protected-field", "B=2"], input=i)
    out, _ = run(["show", "-s", db, "E1 renamed"], input=i)
    check("UserName: u2" in out and "URL: https://x" in out and "A: 1" in out and "B: 2" in out, out)
    run(["show", db, "E1"], input=i, rc=EXIT_NOTFOUND)
    run(["edit", db, "E1 renamed", "-p"], input=i + "newpw\n")
    check(run(["show", "-a", "Password", db, "E1 renamed"], input=i)[0] == "newpw\n", "edit -p")
    run(["edit", db, "E1 renamed", "-g", "-L", "33", "-U"], input=i)
    pw = run(["show", "-a", "Password", db, "E1 renamed"], input=i)[0].strip()
    check(re.fullmatch("[A-Z]{33}", pw), "edit -g: " + pw)
    run(["edit", db, "E1 renamed", "--remove-field", "A"], input=i)
    run(["show", "-a", "A", db, "E1 renamed"], input=i, rc=EXIT_NOTFOUND)
    # History kept by edit: visible to pykeepass.
    import pykeepass
    kp = pykeepass.PyKeePass(db, password=PW)
    e = kp.find_entries(title="E1 renamed", first=True)
    check(len(e.history) >= 3, "history not kept: %d" % len(e.history))


def test_rm_mkdir_rmdir_mv():
    db = new_db("org.kdbx")
    i = PW + "\n"
    populate(db)
    _, err = run(["rm", db, "General/Mail"], input=i)
    check("recycled" in err, err)
    out, _ = run(["ls", "-R", db], input=i)
    check("Recycle Bin/\n  Mail\n" in out and "General/\n  [empty]\n" in out, out)
    _, err = run(["rm", db, "Recycle Bin/Mail"], input=i)
    check("deleted" in err, err)
    out, _ = run(["ls", "-R", db], input=i)
    check("Mail" not in out, out)
    run(["rm", db, "Nope"], input=i, rc=EXIT_NOTFOUND)
    run(["mkdir", db, "General"], input=i, rc=EXIT_OTHER)
    run(["mkdir", db, "Nope/Sub"], input=i, rc=EXIT_NOTFOUND)
    run(["mkdir", db, "General/Sub/"], input=i)
    check("General/\n  Sub/\n" in run(["ls", "-R", db], input=i)[0], "mkdir nested")
    run(["mv", db, "Sample Entry", "General/Sub"], input=i)
    out, _ = run(["ls", "-R", "-f", db], input=i)
    check("General/Sub/Sample Entry" in out and not out.startswith("Sample Entry"), out)
    run(["mv", db, "Nope", "General"], input=i, rc=EXIT_NOTFOUND)
    run(["mv", db, "General/Sub/Sample Entry", "Nope"], input=i, rc=EXIT_NOTFOUND)
    run(["mv", db, "Empty", "General"], input=i)  # a group moves too
    check("General/Empty/" in run(["ls", "-R", "-f", db], input=i)[0], "group mv")
    _, err = run(["rmdir", db, "General/Empty"], input=i)
    check("recycled" in err, err)
    run(["rmdir", db, "Nope"], input=i, rc=EXIT_NOTFOUND)
    run(["rmdir", db, "/"], input=i, rc=EXIT_USAGE)
    out, _ = run(["ls", "-R", db], input=i)
    check("Recycle Bin/\n  Empty/\n" in out, out)


def test_attachments():
    db = new_db("att.kdbx")
    i = PW + "\n"
    run(["add", db, "E"], input=i)
    data = os.urandom(3000) + b"\x00end"
    src = path("att.bin")
    with open(src, "wb") as f:
        f.write(data)
    run(["attachment-import", db, "E", "file.bin", src], input=i)
    run(["attachment-import", db, "E", "file.bin", src], input=i, rc=EXIT_OTHER)
    run(["attachment-import", "-f", db, "E", "file.bin", src], input=i)
    run(["attachment-import", db, "E", "x", path("no-such-file")], input=i, rc=EXIT_IO)
    run(["attachment-import", db, "Nope", "x", src], input=i, rc=EXIT_NOTFOUND)
    out, _ = run(["show", "--show-attachments", db, "E"], input=i)
    check("Attachments:\n  file.bin (2.9 KiB)" in out, out)
    j = json.loads(run(["show", "--json", db, "E"], input=i)[0])
    check(j["attachments"] == [{"name": "file.bin", "size": len(data)}], j)
    dst = path("att.out")
    run(["attachment-export", db, "E", "file.bin", dst], input=i)
    check(open(dst, "rb").read() == data, "exported attachment differs")
    p = subprocess.run([KDBX, "attachment-export", "--stdout", db, "E", "file.bin"], input=i.encode(),
                       capture_output=True)
    check(p.returncode == 0 and p.stdout == data, "--stdout export differs")
    run(["attachment-export", db, "E", "nope", dst], input=i, rc=EXIT_NOTFOUND)
    run(["attachment-export", db, "E", "file.bin"], input=i, rc=EXIT_USAGE)
    run(["attachment-rm", db, "E", "file.bin"], input=i)
    run(["attachment-rm", db, "E", "file.bin"], input=i, rc=EXIT_NOTFOUND)
    out, _ = run(["show", "--show-attachments", db, "E"], input=i)
    check("No attachments present." in out, out)


def test_totp():
    db = new_db("totp.kdbx")
    i = PW + "\n"
    sec = "JBSWY3DPEHPK3PXP"
    run(["add", db, "T1", "--protected-field",
         "otp=otpauth://totp/Ex:alice?secret=%s&period=30&digits=6&issuer=Ex" % sec], input=i)
    run(["add", db, "T2", "--protected-field", "TOTP Seed=%s" % sec, "--field", "TOTP Settings=60;8"], input=i)
    run(["add", db, "T3", "--protected-field",
         "otp=otpauth://totp/x?secret=%s&algorithm=SHA256&digits=7" % sec], input=i)
    for title, period, digits, algo in [("T1", 30, 6, hashlib.sha1), ("T2", 60, 8, hashlib.sha1),
                                        ("T3", 30, 7, hashlib.sha256)]:
        for attempt in range(3):
            t0 = time.time()
            code = run(["show", "-t", db, title], input=i)[0].strip()
            t1 = time.time()
            if int(t0) // period == int(t1) // period:
                break
        check(code == totp_ref(sec, t0, period, digits, algo), "%s: %s vs %s" % (
            title, code, totp_ref(sec, t0, period, digits, algo)))
    out, _ = run(["show", db, "T1"], input=i)
    check("TOTP: PROTECTED" in out, out)
    j = json.loads(run(["show", "--json", db, "T1"], input=i)[0])
    check("totp" in j and j["totp"] is None, j)
    j = json.loads(run(["show", "--json", "-t", db, "T1"], input=i)[0])
    check(re.fullmatch(r"\d{6}", j["totp"] or ""), j)
    run(["add", db, "Plain"], input=i)
    run(["show", "-t", db, "Plain"], input=i, rc=EXIT_NOTFOUND)
    csvout = run(["export", "-f", "csv", db], input=i)[0]
    rows = list(csv.reader(io.StringIO(csvout)))
    t2 = [r for r in rows if r[1] == "T2"][0]
    check(t2[6] == "otpauth://totp/T2:none?secret=%s&period=60&digits=8&issuer=T2" % sec, t2)


def test_totp_matches_keepassxc():
    if not os.path.exists(KXC_DB):
        raise Skip()
    for attempt in range(3):
        t0 = time.time()
        ours = run(["show", "-t", KXC_DB, "Sample Entry"], input="a\n")[0].strip()
        rc, theirs, err = kxc(["show", "-q", "-t", KXC_DB, "Sample Entry"], "a\n")
        t1 = time.time()
        if int(t0) // 30 == int(t1) // 30:
            break
    check(rc == 0, "keepassxc-cli failed: " + err)
    check(ours == theirs.strip(), "TOTP %s vs keepassxc %s" % (ours, theirs))


def test_export_formats():
    db = new_db("exp.kdbx")
    i = PW + "\n"
    populate(db)
    xml = run(["export", db], input=i)[0]
    root = ET.fromstring(xml)
    check(root.tag == "KeePassFile", root.tag)
    pws = [s.find("Value").text for s in root.iter("String") if s.find("Key").text == "Password"]
    check("Password" in pws, "XML export lacks the clear password")
    out, _ = run(["export", "-f", "csv", db], input=i)
    lines = out.split("\n")
    check(lines[0] == '"Group","Title","Username","Password","URL","Notes","TOTP","Icon","Last Modified","Created"',
          lines[0])
    rows = list(csv.reader(io.StringIO(out)))
    se = [r for r in rows if r[1] == "Sample Entry"][0]
    check(se[0] == "Root" and se[2:6] == ["User Name", "Password", "http://www.somesite.com/", "Notes\nline 2"]
          and se[7] == "0" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", se[8]), se)
    sub = [r for r in rows if r[1] == "Subgroup Entry"][0]
    check(sub[0] == "Root/Homebanking/Subgroup", sub)
    j = json.loads(run(["export", "-f", "json", db], input=i)[0])
    check(j["format"] == "kdbx-json-export" and j["root"]["entries"][0]["fields"]["Password"] == "Password"
          and "Secret Field" in j["root"]["entries"][0]["protected"], j["root"]["entries"][0])
    out_file = path("exp.xml")
    run(["export", "-o", out_file, db], input=i)
    check(ET.parse(out_file).getroot().tag == "KeePassFile" and os.stat(out_file).st_mode & 0o077 == 0,
          "export -o")
    run(["export", "-f", "pdf", db], input=i, rc=EXIT_USAGE)
    # import: XML -> new database with the same tree
    newdb = path("imported.kdbx")
    run(["import", "-p", out_file, newdb] + CHEAP, input="np\nnp\n")
    a = run(["ls", "-R", db], input=i)[0]
    b = run(["ls", "-R", newdb], input="np\n")[0]
    check(a == b, "imported tree differs:\n%s\n%s" % (a, b))
    check(run(["show", "-a", "Secret Field", newdb, "Sample Entry"], input="np\n")[0] == "s3cr3t\n", "import")
    run(["import", "-p", out_file, newdb] + CHEAP, input="np\nnp\n", rc=EXIT_OTHER)
    bad = path("bad.xml")
    with open(bad, "w") as f:
        f.write("<KeePassFile><Root>")
    p = subprocess.run([KDBX, "import", "-p", bad, path("bad-import.kdbx")] + CHEAP, input=b"a\na\n",
                       capture_output=True)
    check(p.returncode == EXIT_CORRUPT, "bad XML import: exit %d" % p.returncode)
    run(["import", "-p", path("nofile.xml"), path("x.kdbx")], input="a\na\n", rc=EXIT_IO)


def strings_of(entry):
    return {s.find("Key").text: (s.find("Value").text or "") for s in entry.findall("String")}


def entries_by_uuid(xml):
    root = ET.fromstring(xml).find("Root")
    res = {}
    for e in root.iter("Entry"):
        res.setdefault(e.find("UUID").text, strings_of(e))  # first = current (history comes later)
    return res


def test_export_matches_keepassxc():
    if not os.path.exists(KXC_DB):
        raise Skip()
    ours = run(["export", KXC_DB], input="a\n")[0]
    rc, theirs, err = kxc(["export", "-q", KXC_DB], "a\n")
    check(rc == 0, "keepassxc-cli export failed: " + err)
    a, b = entries_by_uuid(ours), entries_by_uuid(theirs)
    check(set(a) == set(b), "entry sets differ: %s vs %s" % (sorted(a), sorted(b)))
    for u in b:
        check(a[u] == b[u], "entry %s differs:\n%s\n%s" % (u, a[u], b[u]))
    ours = run(["export", "-f", "csv", KXC_DB], input="a\n")[0]
    rc, theirs, err = kxc(["export", "-q", "-f", "csv", KXC_DB], "a\n")
    check(rc == 0, err)
    check(ours == theirs, "CSV differs:\n%s\n---\n%s" % (ours, theirs))
    # ls and show text like keepassxc-cli.
    ours = run(["ls", "-R", KXC_DB], input="a\n")[0]
    rc, theirs, _ = kxc(["ls", "-q", "-R", KXC_DB], "a\n")
    check(ours == theirs, "ls -R differs:\n%s\n---\n%s" % (ours, theirs))
    ours = run(["show", KXC_DB, "Sample Entry"], input="a\n")[0]
    rc, theirs, _ = kxc(["show", "-q", KXC_DB, "Sample Entry"], "a\n")
    check(ours.startswith(theirs), "show differs:\n%s\n---\n%s" % (ours, theirs))


def test_interop_keepassxc_cli():
    if not os.path.exists(KEEPASSXC_CLI):
        raise Fail("keepassxc-cli is not installed (a missing peer is a failure)")
    kf = path("interop.keyx")
    for name, extra in [("ix-argon.kdbx", CHEAP), ("ix-chacha.kdbx", CHEAP + ["--cipher", "chacha20"]),
                        ("ix-aes3.kdbx", ["--kdf", "aes-kdbx3", "--kdf-iterations", "1000"])]:
        db = path(name)
        run(["db-create", "-p", db] + extra, input="ip\nip\n")
        populate(db, "ip")
        rc, out, err = kxc(["ls", "-q", "-R", db], "ip\n")
        check(rc == 0, "%s: keepassxc-cli ls failed: %s" % (name, err))
        check(out == run(["ls", "-R", db], input="ip\n")[0], "%s: ls differs: %s" % (name, out))
        rc, out, err = kxc(["show", "-q", "-s", "-a", "Password", "-a", "Secret Field", db, "Sample Entry"], "ip\n")
        check(rc == 0 and out == "Password\ns3cr3t\n", "%s: keepassxc show: %r %s" % (name, out, err))
    db = path("ix-kf.kdbx")
    run(["db-create", "-p", "--set-key-file", kf, db] + CHEAP, input="ip\nip\n")
    run(["add", "-k", kf, db, "KF Entry"], input="ip\n")
    rc, out, err = kxc(["ls", "-q", "-k", kf, db], "ip\n")
    check(rc == 0 and "KF Entry" in out, "keepassxc-cli with key file: %s %s" % (out, err))
    # And the other way: keepassxc-cli edits, we read.
    rc, _, err = kxc(["add", "-q", db, "-k", kf, "From KeePassXC", "-u", "kx"], "ip\n")
    check(rc == 0, err)
    check(run(["show", "-a", "UserName", "-k", kf, db, "From KeePassXC"], input="ip\n")[0] == "kx\n", "peer edit")


def test_interop_pykeepass():
    try:
        import pykeepass
    except ImportError:
        raise Fail("pykeepass is not installed (a missing peer is a failure)")
    db = new_db("py.kdbx")
    populate(db)
    kp = pykeepass.PyKeePass(db, password=PW)
    e = kp.find_entries(title="Sample Entry", first=True)
    check(e is not None and e.username == "User Name" and e.password == "Password" and
          e.url == "http://www.somesite.com/" and e.notes == "Notes\nline 2", "pykeepass entry")
    check(e.get_custom_property("Secret Field") == "s3cr3t" and e.get_custom_property("TestAttribute1") == "b",
          "custom fields")
    sub = kp.find_entries(path=["Homebanking", "Subgroup", "Subgroup Entry"])
    check(sub is not None and len(sub.password) == 24, "nested entry")
    kf = path("py.keyx")
    db2 = path("py-kf.kdbx")
    run(["db-create", "-p", "--set-key-file", kf, db2] + CHEAP, input="k\nk\n")
    run(["add", "-k", kf, db2, "X", "-u", "y"], input="k\n")
    kp = pykeepass.PyKeePass(db2, password="k", keyfile=kf)
    check(kp.find_entries(title="X", first=True).username == "y", "pykeepass with key file")


def test_db_edit():
    db = new_db("dbedit.kdbx")
    i = PW + "\n"
    run(["add", db, "E", "-u", "u"], input=i)
    run(["db-edit", db], input=i, rc=EXIT_USAGE)
    run(["db-edit", db, "--cipher", "chacha20", "--name", "Renamed", "--description", "D"], input=i)
    j = json.loads(run(["db-info", "--json", db], input=i)[0])
    check(j["cipher"] == "chacha20" and j["name"] == "Renamed" and j["description"] == "D", j)
    run(["db-edit", db, "--kdf", "argon2d", "--kdf-memory", "1", "--kdf-iterations", "3"], input=i)
    j = json.loads(run(["db-info", "--json", db], input=i)[0])
    check(j["kdf"]["type"] == "argon2d" and j["kdf"]["iterations"] == 3, j)
    run(["db-edit", db, "-p"], input=i + "new\nnew\n")
    run(["ls", db], input=i, rc=EXIT_AUTH)
    run(["ls", db], input="new\n")
    run(["db-edit", db, "-p"], input="new\na\nb\n", rc=EXIT_USAGE)
    kf = path("dbedit.keyx")
    run(["db-edit", db, "--set-key-file", kf], input="new\n")
    run(["ls", db], input="new\n", rc=EXIT_AUTH)
    run(["ls", "-k", kf, db], input="new\n")
    run(["db-edit", "-k", kf, db, "--unset-password"], input="new\n")
    run(["ls", "--no-password", "-k", kf, db])
    run(["db-edit", "--no-password", "-k", kf, db, "--unset-key-file"], rc=EXIT_USAGE)  # nothing left
    run(["db-edit", "--no-password", "-k", kf, db, "-p", "--unset-key-file"], input="p2\np2\n")
    out, _ = run(["show", "-a", "UserName", db, "E"], input="p2\n")
    check(out == "u\n", out)
    rc, out, err = kxc(["ls", "-q", db], "p2\n")
    check(rc == 0 and "E" in out, "keepassxc after db-edit: " + err)


def test_errors_go_to_stderr():
    db = new_db("err.kdbx")
    out, err = run(["show", db, "Nope"], input=PW + "\n", rc=EXIT_NOTFOUND)
    check(out == "" and err.startswith("kdbx: "), (out, err))
    out, err = run(["ls", db], input="bad\n", rc=EXIT_AUTH)
    check(out == "" and "bad" not in err, (out, err))


def main():
    if not KDBX or not os.access(KDBX, os.X_OK):
        print("usage: test_cli.py PATH/TO/kdbx")
        return 1
    shared = os.path.isdir(SHARED)
    tests = [test_help_and_usage, test_version, test_generate, test_db_create_and_info, test_calibration_message,
             test_key_file_and_unlock_errors, test_password_fd_and_crlf, test_device_options_slot_in,
             test_tty_prompt_no_echo, test_entries_ls_show, test_add_edit_errors, test_rm_mkdir_rmdir_mv,
             test_attachments, test_totp, test_totp_matches_keepassxc, test_export_formats,
             test_export_matches_keepassxc, test_interop_keepassxc_cli, test_interop_pykeepass, test_db_edit,
             test_errors_go_to_stderr, test_fido2_cli]
    only = os.environ.get("KDBX_CLI_TEST")
    for t in tests:
        if only and only not in t.__name__:
            continue
        test(t)
    shutil.rmtree(TMP, ignore_errors=True)
    print("cli: %d passed, %d failed" % (results["pass"], results["fail"]))
    if results["fail"]:
        return 1
    if not shared:
        print("skipped: ../shared absent")
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
