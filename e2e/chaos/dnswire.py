"""A minimal DNS wire codec for the chaos clients and the hostile upstream (no third-party package: the load
clients must stay cheap on a 2-core machine, and the hostile upstream must write bytes no library would).
Parsing treats every byte as hostile: a malformed message raises ValueError, nothing else."""
import random
import struct

A, NS, CNAME, SOA, WKS, AAAA, SRV, OPT, HIP, ANY = 1, 2, 5, 6, 11, 28, 33, 41, 55, 255
TYPES = {"A": A, "NS": NS, "CNAME": CNAME, "SOA": SOA, "WKS": WKS, "AAAA": AAAA, "SRV": SRV, "HIP": HIP, "ANY": ANY}
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 1, 2, 3, 4, 5


def encode_name(name):
    out = bytearray()
    for label in name.rstrip(".").split("."):
        if label:
            b = label.encode("ascii")
            if len(b) > 63:
                raise ValueError("label too long")
            out += bytes([len(b)]) + b
    return bytes(out + b"\0")


def query(qid, name, qtype=A, rd=True, edns=1232):
    flags = 0x0100 if rd else 0
    msg = struct.pack(">HHHHHH", qid, flags, 1, 0, 0, 1 if edns else 0) + encode_name(name) + struct.pack(">HH", qtype, 1)
    if edns:
        msg += b"\0" + struct.pack(">HHIH", OPT, edns, 0, 0)
    return msg


def read_name(msg, off):
    """(name in lower case with a trailing dot, offset after the name); compression pointers followed with a bound."""
    labels, jumps, end = [], 0, None
    while True:
        if off >= len(msg):
            raise ValueError("name past the end")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(msg):
                raise ValueError("pointer past the end")
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            jumps += 1
            if jumps > 64:
                raise ValueError("compression loop")
            continue
        if n & 0xC0:
            raise ValueError("bad label type")
        off += 1
        if n == 0:
            break
        if off + n > len(msg):
            raise ValueError("label past the end")
        labels.append(msg[off:off + n].decode("latin-1").lower())
        off += n
    return ".".join(labels) + ".", (end if end is not None else off)


class Response:
    __slots__ = ("id", "flags", "rcode", "tc", "qname", "qtype", "answers")


def parse(msg):
    """A Response; answers are (owner, type, rdata-as-text for A/AAAA/CNAME, else raw bytes)."""
    if len(msg) < 12:
        raise ValueError("short header")
    r = Response()
    r.id, r.flags, qd, an, _ns, _ar = struct.unpack_from(">HHHHHH", msg, 0)
    r.rcode = r.flags & 0xF
    r.tc = bool(r.flags & 0x0200)
    if not r.flags & 0x8000:
        raise ValueError("not a response")
    off = 12
    r.qname, r.qtype = None, None
    if qd:
        if qd != 1:
            raise ValueError("qdcount %d" % qd)
        r.qname, off = read_name(msg, off)
        if off + 4 > len(msg):
            raise ValueError("question past the end")
        r.qtype, = struct.unpack_from(">H", msg, off)
        off += 4
    r.answers = []
    for _ in range(an):
        owner, off = read_name(msg, off)
        if off + 10 > len(msg):
            raise ValueError("record past the end")
        rtype, _cls, _ttl, rdlen = struct.unpack_from(">HHIH", msg, off)
        off += 10
        if off + rdlen > len(msg):
            raise ValueError("rdata past the end")
        rdata = msg[off:off + rdlen]
        if rtype == A:
            if rdlen != 4:
                raise ValueError("A of %d bytes" % rdlen)
            rdata = "%d.%d.%d.%d" % tuple(rdata)
        elif rtype == CNAME:
            rdata, _ = read_name(msg, off)
        off += rdlen
        r.answers.append((owner, rtype, rdata))
    return r


def rand_label(n, alphabet="abcdefghijklmnopqrstuvwxyz0123456789"):
    return "".join(random.choice(alphabet) for _ in range(n))


def colliding_blocks(length=3, alphabet="abcdefghijklmnopqrstuvwxyz0123456789-"):
    """The largest group of equal-length strings over a lower-case alphabet with the same Java String.hashCode. Names
    made of such blocks (same count, same suffix) all have one hashCode, even after the server lower-cases them."""
    groups = {}

    def walk(prefix, h):
        if len(prefix) == length:
            groups.setdefault(h, []).append(prefix)
            return
        for c in alphabet:
            walk(prefix + c, (h * 31 + ord(c)) & 0xFFFFFFFF)
    walk("", 0)
    return max(groups.values(), key=len)


def java_hash(s):
    h = 0
    for c in s:
        h = (31 * h + ord(c)) & 0xFFFFFFFF
    return h
