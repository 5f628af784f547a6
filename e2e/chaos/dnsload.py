#!/usr/bin/env python3
"""A well-behaved DNS client for the chaos scenarios: a steady rate of queries whose answers are known, each checked.

Like a pod's stub resolver (glibc `options timeout:T attempts:N`) it gives every query up to --attempts tries of
--timeout seconds: the first try to a server picked at random from --servers (as kube-proxy picks an endpoint behind
a ClusterIP), each further try to the next server of the list (as glibc moves on to its next nameserver), so with
two servers a dead one cannot take every try; a UDP answer with TC set is retried over TCP. Each query ends as exactly one of:
  ok        NOERROR whose A records are exactly the expected addresses (question and ID matching)
  servfail  SERVFAIL
  wrong     anything else: another rcode, other or missing addresses, a mismatched question, an unparsable answer
  lost      no answer in any try
`sent` counts queries (not tries). Runs for --duration seconds or until --stop-file exists, waits for the queries
in flight, then writes `sent=.. ok=.. servfail=.. lost=.. wrong=..` to --out and a per-10 s timeline to stderr.

--names FILE: one query a line, `NAME A ADDR[,ADDR...]`. --tcp makes every query a DNS-over-TCP query (one
connection per query, as glibc does after TC) from --tcp-workers threads instead of UDP.
Binds its sockets to --bind (a loopback address of its own, e.g. 127.0.11.1: rate limits per client network then
tell it from the attackers, which use 127.0.2.0/24)."""
import argparse
import os
import random
import select
import socket
import struct
import sys
import threading
import time

import dnswire

ap = argparse.ArgumentParser()
ap.add_argument("--servers", required=True, help="HOST:PORT[,HOST:PORT...]")
ap.add_argument("--names", required=True)
ap.add_argument("--rate", type=float, default=50)
ap.add_argument("--duration", type=float, default=60)
ap.add_argument("--stop-file")
ap.add_argument("--timeout", type=float, default=1.0)
ap.add_argument("--attempts", type=int, default=2)
ap.add_argument("--bind", default="127.0.11.1")
ap.add_argument("--tcp", action="store_true")
ap.add_argument("--tcp-workers", type=int, default=4)
ap.add_argument("--out", required=True)
ap.add_argument("--label", default="client")
a = ap.parse_args()

servers = []
for s in a.servers.split(","):
    h, p = s.rsplit(":", 1)
    servers.append((h, int(p)))
names = []
for line in open(a.names):
    f = line.split()
    if len(f) >= 3 and not line.startswith("#"):
        names.append((f[0].lower().rstrip(".") + ".", dnswire.TYPES[f[1]], frozenset(f[2].split(","))))
if not names:
    sys.exit("no names in " + a.names)

lock = threading.Lock()
counts = {"sent": 0, "ok": 0, "servfail": 0, "lost": 0, "wrong": 0}
interval = {"sent": 0, "ok": 0, "servfail": 0, "lost": 0, "wrong": 0}
samples = []
mismatched = [0]  # UDP answers ignored because their question was not the pending query's
t0 = time.time()
end = t0 + a.duration


def stopping():
    return time.time() >= end or (a.stop_file and os.path.exists(a.stop_file))


def finish(kind, detail=None):
    with lock:
        counts[kind] += 1
        interval[kind] += 1
        if detail and sum(1 for k, _ in samples if k == kind) < 5:  # up to 5 examples of each kind
            samples.append((kind, detail))


def judge(resp_bytes, qid, name, qtype, expected):
    """ok / servfail / wrong / 'tc' (retry over TCP)."""
    try:
        r = dnswire.parse(resp_bytes)
    except ValueError as e:
        return "wrong", "%s: unparsable answer (%s)" % (name, e)
    if r.id != qid or r.qname != name or r.qtype != qtype:
        # over UDP a stub ignores it and keeps waiting (a late duplicate answer to an earlier query with this ID)
        return "mismatch", "%s: answer for id %d %s/%s" % (name, r.id, r.qname, r.qtype)
    if r.tc:
        return "tc", None
    if r.rcode == dnswire.SERVFAIL:
        return "servfail", None
    got = frozenset(rd for owner, t, rd in r.answers if t == dnswire.A and owner == name)
    if r.rcode != dnswire.NOERROR or got != expected:
        return "wrong", "%s: rcode %d, A %s, expected %s" % (name, r.rcode, sorted(got), sorted(expected))
    return "ok", None


def tcp_query(server, qid, name, qtype, timeout):
    msg = dnswire.query(qid, name, qtype)
    deadline = time.time() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.bind((a.bind, 0))
        s.connect(server)
        s.sendall(struct.pack(">H", len(msg)) + msg)
        buf = b""
        while True:
            s.settimeout(max(0.01, deadline - time.time()))
            chunk = s.recv(65537)
            if not chunk:
                raise OSError("closed")
            buf += chunk
            if len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
                return buf[2:2 + struct.unpack(">H", buf[:2])[0]]


def server_for(first, tries):
    """The server of a query's try number `tries` (1-based) whose first server was index `first`."""
    return servers[(first + tries - 1) % len(servers)]


def tcp_resolve(name, qtype, expected):
    """One query over TCP with the stub's tries; returns the outcome (already counted by the caller)."""
    last = ("lost", None)
    first = random.randrange(len(servers))
    for tries in range(1, a.attempts + 1):
        qid = random.randrange(65536)
        try:
            data = tcp_query(server_for(first, tries), qid, name, qtype, a.timeout)
        except OSError:
            continue
        kind, detail = judge(data, qid, name, qtype, expected)
        if kind == "mismatch":  # a fresh connection carries no earlier answer: wrong
            return "wrong", detail
        if kind == "tc":
            last = ("wrong", "%s: TC over TCP" % name)
            continue
        return kind, detail
    return last


def tcp_worker(rate):
    nxt = time.time()
    while not stopping():
        now = time.time()
        if now < nxt:
            time.sleep(min(nxt - now, 0.2))
            continue
        nxt += 1.0 / rate
        if nxt < now - 1:  # fell behind (slow answers): do not burst to catch up
            nxt = now
        name, qtype, expected = random.choice(names)
        with lock:
            counts["sent"] += 1
            interval["sent"] += 1
        finish(*tcp_resolve(name, qtype, expected))


def udp_main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((a.bind, 0))
    sock.setblocking(False)
    pending = {}  # id -> [name, qtype, expected, tries, deadline, first server]
    # IDs in sequence from a random start: an ID comes back only after 65,536 queries, long after any late duplicate
    # answer to its previous query (one per try) has arrived
    next_id = random.randrange(65536)
    tcp_retries = []
    nxt = time.time()
    while True:
        now = time.time()
        done_sending = stopping()
        if done_sending and not pending:
            break
        while not done_sending and nxt <= now and len(pending) < 60000:
            nxt += 1.0 / a.rate
            if nxt < now - 1:
                nxt = now
            name, qtype, expected = random.choice(names)
            qid = next_id
            while qid in pending:
                qid = (qid + 1) & 0xFFFF
            next_id = (qid + 1) & 0xFFFF
            first = random.randrange(len(servers))
            pending[qid] = [name, qtype, expected, 1, now + a.timeout, first]
            with lock:
                counts["sent"] += 1
                interval["sent"] += 1
            try:
                sock.sendto(dnswire.query(qid, name, qtype), servers[first])
            except OSError:
                pass  # counted as lost if no try gets through
        r, _, _ = select.select([sock], [], [], 0.005)
        if r:
            while True:
                try:
                    data, _src = sock.recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:  # ICMP port unreachable from a restarting server: the try times out
                    continue
                if len(data) < 2:
                    continue
                qid = struct.unpack(">H", data[:2])[0]
                p = pending.get(qid)
                if p is None:
                    continue  # a late answer to a query already answered or given up
                kind, detail = judge(data, qid, p[0], p[1], p[2])
                if kind == "mismatch":
                    with lock:
                        mismatched[0] += 1
                    continue
                del pending[qid]
                if kind == "tc":
                    tcp_retries.append((p[0], p[1], p[2]))
                else:
                    finish(kind, detail)
        now = time.time()
        for qid in [q for q, p in pending.items() if p[4] <= now]:
            p = pending[qid]
            if p[3] >= a.attempts:
                del pending[qid]
                finish("lost", "%s: no answer in %d tries" % (p[0], p[3]))
            else:
                p[3] += 1
                p[4] = now + a.timeout
                try:
                    sock.sendto(dnswire.query(qid, p[0], p[1]), server_for(p[5], p[3]))
                except OSError:
                    pass
        for name, qtype, expected in tcp_retries:
            finish(*tcp_resolve(name, qtype, expected))
        tcp_retries.clear()


def timeline():
    last = time.time()
    while True:
        time.sleep(1)
        if time.time() - last >= 10 or stop_timeline.is_set():
            with lock:
                snap = dict(interval)
                for k in interval:
                    interval[k] = 0
            print("[%s] t=%4.0fs %s" % (a.label, time.time() - t0, " ".join("%s=%d" % kv for kv in snap.items())),
                  file=sys.stderr, flush=True)
            last = time.time()
            if stop_timeline.is_set():
                return


stop_timeline = threading.Event()
tl = threading.Thread(target=timeline, daemon=True)
tl.start()
if a.tcp:
    ws = [threading.Thread(target=tcp_worker, args=(a.rate / a.tcp_workers,)) for _ in range(a.tcp_workers)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
else:
    udp_main()
stop_timeline.set()
tl.join()
for kind, detail in samples:
    print("[%s] sample %s: %s" % (a.label, kind, detail), file=sys.stderr)
line = " ".join("%s=%d" % (k, counts[k]) for k in ("sent", "ok", "servfail", "lost", "wrong"))
print("[%s] %s (ignored UDP answers to another question: %d)" % (a.label, line, mismatched[0]), file=sys.stderr)
with open(a.out + ".tmp", "w") as f:
    f.write(line + "\n")
os.replace(a.out + ".tmp", a.out)
