#!/usr/bin/python3
"""Reference reader for kdbxtool's KEK mode (format version 2), written from
../shared/reference/kdbxtool-notes.md section 1 and using the library kdbxtool
uses (PyCryptodome's Cryptodome namespace): it opens a KDBX 4 file the way
kdbxtool's open() does with a MockYubiKey(secret), i.e. HMAC-SHA1(secret,
CR_SALT) -> unwrap the KEK -> T XOR KEK -> header HMAC, block HMACs, payload.
Used by slots_kdbxtool.c to show that files we enrol in mode 2 open there.

usage: slots_kdbxtool_ref.py FILE PASSWORD SECRET_HEX   (exit 0 = opened)
"""
import gzip
import hashlib
import hmac
import json
import struct
import sys

from Cryptodome.Cipher import AES, ChaCha20
from Cryptodome.Hash import SHA256
from Cryptodome.Protocol.KDF import HKDF


def vdict(b):
    assert b[0:2] == b"\x00\x01", "VariantDictionary version"
    p, out = 2, {}
    while True:
        t = b[p]
        p += 1
        if t == 0:
            return out
        kl = struct.unpack_from("<I", b, p)[0]
        k = b[p + 4:p + 4 + kl].decode()
        p += 4 + kl
        vl = struct.unpack_from("<I", b, p)[0]
        out[k] = (t, b[p + 4:p + 4 + vl])
        p += 4 + vl


def main(path, password, secret_hex):
    data = open(path, "rb").read()
    s1, s2, minor, major = struct.unpack_from("<IIHH", data, 0)
    assert s1 == 0x9AA2D903 and s2 == 0xB54BFB67 and major == 4
    p, fields = 12, {}
    while True:
        fid = data[p]
        ln = struct.unpack_from("<I", data, p + 1)[0]
        fields[fid] = data[p + 5:p + 5 + ln]
        p += 5 + ln
        if fid == 0:
            break
    header = data[:p]
    assert hashlib.sha256(header).digest() == data[p:p + 32], "header hash"
    header_mac = data[p + 32:p + 64]
    p += 64

    # kdbxtool open(): CR version 2, salt, one challenge, entries in file order.
    pcd = {k: v for k, (t, v) in vdict(fields[12]).items() if t == 0x42}  # ByteArray only
    assert pcd["KDBXTOOL_CR_VERSION"] == b"\x02"
    salt = pcd["KDBXTOOL_CR_SALT"]
    response = hmac.new(bytes.fromhex(secret_hex), salt, hashlib.sha1).digest()  # MockYubiKey
    kek = None
    for name, value in pcd.items():
        if not name.startswith("KDBXTOOL_CR_DEVICE_"):
            continue
        meta, wrapped = value.split(b"\x00", 1)
        if len(wrapped) != 64:
            continue
        info = json.loads(meta)
        info.pop("type"), info.pop("label"), info.pop("id")
        key = HKDF(response, 32, None, SHA256, context=b"kdbxtool-kek-wrap-v1")
        try:
            kek = AES.new(key, AES.MODE_GCM, nonce=wrapped[:16]).decrypt_and_verify(wrapped[32:], wrapped[16:32])
            break
        except ValueError:
            continue
    assert kek is not None, "device not recognised"

    composite = hashlib.sha256(hashlib.sha256(password.encode()).digest()).digest()
    kdf = vdict(fields[11])
    uuid = kdf["$UUID"][1]
    if uuid.hex() in ("c9d9f39a628a4460bf740d08c18a4fea", "7c02bb8279a74ac0927d114a00648238"):
        rounds = struct.unpack("<Q", kdf["R"][1])[0]
        ecb = AES.new(kdf["S"][1], AES.MODE_ECB)
        t = composite
        for _ in range(rounds):
            t = ecb.encrypt(t)
        t = hashlib.sha256(t).digest()
    else:
        import argon2.low_level as a2
        typ = a2.Type.D if uuid.hex().startswith("ef636ddf") else a2.Type.ID
        t = a2.hash_secret_raw(composite, kdf["S"][1], time_cost=struct.unpack("<Q", kdf["I"][1])[0],
                               memory_cost=struct.unpack("<Q", kdf["M"][1])[0] // 1024,
                               parallelism=struct.unpack("<I", kdf["P"][1])[0], hash_len=32, type=typ,
                               version=struct.unpack("<I", kdf["V"][1])[0])
    m = bytes(a ^ b for a, b in zip(t, kek))  # derive_final_key: T XOR KEK
    seed = fields[4]
    hmac_base = hashlib.sha512(seed + m + b"\x01").digest()

    def block_key(i):
        return hashlib.sha512(struct.pack("<Q", i) + hmac_base).digest()

    assert hmac.new(block_key(0xFFFFFFFFFFFFFFFF), header, hashlib.sha256).digest() == header_mac, "header HMAC"
    payload, i = b"", 0
    while True:
        mac = data[p:p + 32]
        ln = struct.unpack_from("<I", data, p + 32)[0]
        blk = data[p + 36:p + 36 + ln]
        assert hmac.new(block_key(i), struct.pack("<Q", i) + struct.pack("<I", ln) + blk,
                        hashlib.sha256).digest() == mac, "block HMAC"
        p += 36 + ln
        i += 1
        if ln == 0:
            break
        payload += blk
    ck = hashlib.sha256(seed + m).digest()
    cid = fields[2].hex()
    if cid == "31c1f2e6bf714350be5805216afc5aff":
        plain = AES.new(ck, AES.MODE_CBC, iv=fields[7]).decrypt(payload)
        plain = plain[:-plain[-1]]
    elif cid == "d6038a2b8b6f4cb5a524339a31dbb59a":
        plain = ChaCha20.new(key=ck, nonce=fields[7]).decrypt(payload)
    else:
        raise SystemExit("cipher not handled by this reference reader")
    if struct.unpack("<I", fields[3])[0] == 1:
        plain = gzip.decompress(plain)
    q = 0
    while True:  # inner header
        fid = plain[q]
        ln = struct.unpack_from("<I", plain, q + 1)[0]
        q += 5 + ln
        if fid == 0:
            break
    assert b"<KeePassFile" in plain[q:q + 200], "no XML"
    print("opened")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
