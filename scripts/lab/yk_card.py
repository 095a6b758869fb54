#!/usr/bin/python3
"""A virtual YubiKey OTP applet (HMAC-SHA1 challenge-response) for vpcd.

Speaks vpcd's socket protocol directly (2-byte big-endian length + payload;
length 1 = control byte) so it needs only the standard library. Behaviour
follows what KeePassXC expects from a YubiKey over PC/SC
(../shared/testlab.md, keepassxc-notes.md 2.3):
  SELECT 00 A4 04 00 07 A0 00 00 05 27 20 01 -> version(3) pgmSeq touchLevel(LE16) 9000
  00 01 10 00 06                             -> serial (4 bytes, big-endian) 9000
  00 01 30|38 00 40 <64 bytes>               -> HMAC-SHA1 (20 bytes) 9000
  6985 while "waiting for a touch", 6A82 for an unconfigured slot.
"""
import argparse
import hashlib
import hmac
import os
import socket
import struct
import sys
import time

OTP_AID = bytes.fromhex("A0000005272001")
ATR = bytes.fromhex("3B8D80018073C021C057597562694B6579F9")  # YubiKey 5 NFC style


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=35963)
    p.add_argument("--serial", type=int, default=12345678)
    p.add_argument("--slot1", help="hex HMAC secret of slot 1 (absent: not configured)")
    p.add_argument("--slot2", help="hex HMAC secret of slot 2 (absent: not configured)")
    p.add_argument("--secret-file", help="file with 'slot1=HEX' / 'slot2=HEX' lines")
    p.add_argument("--fixed", action="store_true", help="fixed 64-byte mode (default: variable length)")
    p.add_argument("--touch", type=int, default=0,
                   help="answer 6985 this many times before computing (-1: forever)")
    p.add_argument("--chain", action="store_true", help="answer HMAC via 61xx + GET RESPONSE")
    p.add_argument("--version", default="5.4.3")
    p.add_argument("--ready", help="file created once connected to vpcd")
    return p.parse_args()


class OtpApplet:
    def __init__(self, a):
        self.secrets = {1: None, 2: None}
        if a.slot1:
            self.secrets[1] = bytes.fromhex(a.slot1)
        if a.slot2:
            self.secrets[2] = bytes.fromhex(a.slot2)
        if a.secret_file:
            with open(a.secret_file) as f:
                for line in f:
                    k, _, v = line.strip().partition("=")
                    if k in ("slot1", "slot2") and v:
                        self.secrets[int(k[-1])] = bytes.fromhex(v)
        self.serial = a.serial
        self.fixed = a.fixed
        self.touch_left = a.touch
        self.chain = a.chain
        self.version = bytes(int(x) for x in a.version.split("."))
        self.selected = False
        self.pending = b""

    def status(self):
        level = 0
        for slot, valid, touch in ((1, 0x01, 0x04), (2, 0x02, 0x08)):
            if self.secrets[slot] is not None:
                level |= valid
                if self.touch_left != 0:
                    level |= touch
        return self.version + bytes([1]) + struct.pack("<H", level)

    def hmac(self, slot, data):
        if len(data) != 64 or self.secrets[slot] is None:
            return b"\x6a\x82"
        if self.touch_left != 0:
            if self.touch_left > 0:
                self.touch_left -= 1
            return b"\x69\x85"
        if not self.fixed:
            # Variable-length mode: the last byte and every byte before it
            # that equals it are padding.
            n = 64
            while n > 0 and data[n - 1] == data[63]:
                n -= 1
            data = data[:n]
        mac = hmac.new(self.secrets[slot], data, hashlib.sha1).digest()
        if self.chain:
            self.pending = mac[8:]
            return mac[:8] + bytes([0x61, len(self.pending)])
        return mac + b"\x90\x00"

    def execute(self, apdu):
        if len(apdu) < 4:
            return b"\x67\x00"
        cla, ins, p1, p2 = apdu[0], apdu[1], apdu[2], apdu[3]
        body = apdu[5:5 + apdu[4]] if len(apdu) > 5 else b""
        if ins == 0xA4 and p1 == 0x04:
            self.selected = body == OTP_AID
            return self.status() + b"\x90\x00" if self.selected else b"\x6a\x82"
        if not self.selected:
            return b"\x6d\x00"
        if ins == 0xC0:
            out, self.pending = self.pending, b""
            return out + b"\x90\x00"
        if ins == 0x01 and p1 == 0x10:
            return struct.pack(">I", self.serial) + b"\x90\x00"
        if ins == 0x01 and p1 in (0x30, 0x38):
            return self.hmac(1 if p1 == 0x30 else 2, body)
        if ins == 0x03:  # status
            return self.status() + b"\x90\x00"
        return b"\x6d\x00"


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        # Without QUICKACK every APDU stalls ~40 ms on delayed ACKs.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def main():
    a = parse_args()
    card = OtpApplet(a)
    deadline = time.time() + 10
    while True:
        try:
            sock = socket.create_connection((a.host, a.port))
            break
        except OSError:
            if time.time() > deadline:
                print("yk_card: cannot reach vpcd", file=sys.stderr)
                return 1
            time.sleep(0.05)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if a.ready:
        with open(a.ready, "w") as f:
            f.write(str(os.getpid()))
    try:
        while True:
            (size,) = struct.unpack(">H", recv_exact(sock, 2))
            msg = recv_exact(sock, size) if size else b""
            if size == 1:
                if msg[0] == 4:  # ATR request
                    sock.sendall(struct.pack(">H", len(ATR)) + ATR)
                elif msg[0] in (0, 1, 2):  # off / on / reset
                    card.selected = False
                continue
            resp = card.execute(msg)
            sock.sendall(struct.pack(">H", len(resp)) + resp)
    except (EOFError, ConnectionError):
        return 0


if __name__ == "__main__":
    sys.exit(main())
