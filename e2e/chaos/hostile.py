#!/usr/bin/env python3
"""A hostile upstream for the chaos command, on UDP and TCP at --listen. It serves its own domain (--domain,
default hostile.test) badly, by the first label of the question:

  wks.<domain>      NOERROR with a WKS record whose port bitmap is empty (dnsjava cannot write it back)
  hip.<domain>      NOERROR with a HIP record whose rendezvous-server names are compression pointers that expand
                    to far more than 65,535 bytes once written uncompressed
  tc.<domain>       TC set and no records, over UDP and over TCP alike (truncated forever)
  garbage.<domain>  random bytes: sometimes with the query's ID, sometimes a header alone, sometimes nothing valid
  silent.<domain>   never answers
  poison.<domain>   a real-looking answer plus out-of-bailiwick records: an additional A for a cluster name, an
                    authority NS elsewhere, a CNAME into cluster.local with a forged A
  anything else under <domain>: one of the above, picked by a hash of the name (so random subdomains hit all)

Every other question is relayed unchanged to --relay (the well-behaved Knot upstream) and its answer relayed back,
so the sidecar can use this as its only upstream and the well-behaved clients' names keep resolving."""
import argparse
import random
import select
import socket
import socketserver
import struct
import sys
import threading
import zlib

import dnswire

ap = argparse.ArgumentParser()
ap.add_argument("--listen", required=True)
ap.add_argument("--relay", required=True)
ap.add_argument("--domain", default="hostile.test")
a = ap.parse_args()
lh, lp = a.listen.rsplit(":", 1)
rh, rp = a.relay.rsplit(":", 1)
relay = (rh, int(rp))
domain = a.domain.lower().rstrip(".") + "."
KINDS = ["wks", "hip", "tc", "garbage", "silent", "poison"]
stats = {k: 0 for k in KINDS + ["relayed"]}


def question(q):
    """(id, flags, qname, qtype, question bytes) of a query, or None."""
    try:
        qid, flags, qd = struct.unpack_from(">HHH", q, 0)
        if qd != 1:
            return None
        name, off = dnswire.read_name(q, 12)
        qtype, = struct.unpack_from(">H", q, off)
        return qid, flags, name, qtype, q[12:off + 4]
    except (ValueError, struct.error):
        return None


def kind_of(name):
    first = name.split(".", 1)[0]
    if first in KINDS:
        return first
    return KINDS[zlib.crc32(name.encode()) % len(KINDS)]


def header(qid, flags, an=0, ns=0, ar=0, tc=False, rcode=0):
    f = 0x8400 | (flags & 0x0100) | (0x0200 if tc else 0) | rcode  # QR AA, RD copied
    return struct.pack(">HHHHHH", qid, f, 1, an, ns, ar)


def rr(owner_bytes, rtype, rdata, ttl=300):
    return owner_bytes + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def bad_answer(q, tcp):
    """The hostile answer to q (bytes), or None for silence."""
    qid, flags, name, qtype, qbytes = question(q)
    kind = kind_of(name)
    stats[kind] += 1
    ptr = b"\xc0\x0c"  # the question name
    if kind == "wks":
        return header(qid, flags, an=1) + qbytes + rr(ptr, dnswire.WKS, bytes([192, 0, 2, 1, 6]))  # no bitmap
    if kind == "hip":
        # HIT length 1, algorithm 2, public key length 1, then rendezvous servers: each a pointer to the question
        # name; 4,000 of them expand to 4,000 x len(name) bytes (72 KB here) uncompressed
        rdata = bytes([1, 2, 0, 1, 0xAB, 0xCD]) + ptr * 4000
        return header(qid, flags, an=1) + qbytes + rr(ptr, dnswire.HIP, rdata)
    if kind == "tc":
        return header(qid, flags, tc=True) + qbytes  # TC over UDP and over TCP alike
    if kind == "garbage":
        r = random.random()
        if r < 0.3:
            return struct.pack(">H", qid) + random.randbytes(random.randint(0, 40))
        if r < 0.6:
            return header(qid, flags, an=3) + qbytes + random.randbytes(random.randint(0, 30))
        if r < 0.8:
            return header(qid, flags, an=1) + qbytes + b"\xc0\x0c\xc0"  # truncated record, pointer to a pointer
        return random.randbytes(random.randint(1, 512))
    if kind == "silent":
        return None
    # poison: the answer asked for plus out-of-bailiwick records a resolver must not take
    ans = rr(ptr, dnswire.CNAME, dnswire.encode_name("kubernetes.default.svc.cluster.local"))
    ans += rr(dnswire.encode_name("kubernetes.default.svc.cluster.local"), dnswire.A, bytes([6, 6, 6, 6]))
    auth = rr(dnswire.encode_name("cluster.local"), dnswire.NS, dnswire.encode_name("ns.evil.example"))
    add = rr(dnswire.encode_name("www.cluster.local"), dnswire.A, bytes([6, 6, 6, 7]))
    return header(qid, flags, an=2, ns=1, ar=1) + qbytes + ans + auth + add


def ours(q):
    qq = question(q)
    return qq is not None and (qq[2] == domain or qq[2].endswith("." + domain))


def relay_tcp(q):
    with socket.create_connection(relay, timeout=3) as s:
        s.sendall(struct.pack(">H", len(q)) + q)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
            chunk = s.recv(65537)
            if not chunk:
                return None
            buf += chunk
        return buf[2:2 + struct.unpack(">H", buf[:2])[0]]


class TcpHandler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(10)
        try:
            while True:
                hdr = s.recv(2, socket.MSG_WAITALL)
                if len(hdr) < 2:
                    return
                q = s.recv(struct.unpack(">H", hdr)[0], socket.MSG_WAITALL)
                if question(q) is None:
                    return
                out = bad_answer(q, True) if ours(q) else relay_tcp(q)
                if out is None:
                    continue  # silent: the client waits for nothing
                s.sendall(struct.pack(">H", len(out)) + out)
                if not ours(q):
                    stats["relayed"] += 1
        except OSError:
            return


class TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def udp_loop():
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind((lh, int(lp)))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.bind(("127.0.0.1", 0))
    waiting = {}  # relay id -> (client address, client id)
    n = 0
    while True:
        r, _, _ = select.select([front, back], [], [], 1)
        if front in r:
            q, src = front.recvfrom(65535)
            if question(q) is None:
                continue
            if ours(q):
                out = bad_answer(q, False)
                if out is not None:
                    front.sendto(out, src)
                continue
            n = (n + 1) & 0xFFFF
            if len(waiting) > 20000:
                waiting.clear()  # bounded: queries the relay never answered are forgotten
            waiting[n] = (src, q[:2])
            back.sendto(struct.pack(">H", n) + q[2:], relay)
        if back in r:
            resp, _ = back.recvfrom(65535)
            if len(resp) < 2:
                continue
            w = waiting.pop(struct.unpack(">H", resp[:2])[0], None)
            if w:
                front.sendto(w[1] + resp[2:], w[0])
                stats["relayed"] += 1


def report():
    while True:
        threading.Event().wait(10)
        print("[hostile] %s" % stats, file=sys.stderr, flush=True)


tcp = TcpServer((lh, int(lp)), TcpHandler)
threading.Thread(target=tcp.serve_forever, daemon=True).start()
threading.Thread(target=report, daemon=True).start()
print("[hostile] serving %s badly on %s (UDP and TCP), relaying the rest to %s" % (domain, a.listen, a.relay),
      file=sys.stderr, flush=True)
udp_loop()
