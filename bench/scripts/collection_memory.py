#!/usr/bin/env python3
"""Memory per element of one large collection (list, hash, set, sorted set), Cinnabar vs a real Redis.

For each type, starts a fresh server of each kind, measures RSS, loads N elements into one key
(RPUSH/HSET/SADD/ZADD in pipelined batches through redis-cli --pipe), measures RSS again, and prints
the bytes per element of each and their ratio. With --purge, both servers run MEMORY PURGE first.

    python3 bench/scripts/collection_memory.py --elements 1000000 \
        --sut-cmd 'dotnet src/Cinnabar.Server/bin/Release/net10.0/cinnabar-server.dll --port {port} --save ""'
"""
import argparse, shlex, socket, subprocess, time

def wait_port(port, timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on {port} did not start")

def rss_kb(pid):
    best = 0
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True).stdout.split()]
    for p in pids:
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmRSS:"):
                    best = max(best, int(line.split()[1]))
        except OSError:
            pass
    return best

def command(args):
    out = f"*{len(args)}\r\n"
    for a in args:
        out += f"${len(a)}\r\n{a}\r\n"
    return out

def payload(kind, n, batch=1000):
    parts = []
    for start in range(0, n, batch):
        idx = range(start, min(n, start + batch))
        if kind == "list":
            parts.append(command(["RPUSH", "big"] + [f"element:{i}" for i in idx]))
        elif kind == "hash":
            parts.append(command(["HSET", "big"] + [x for i in idx for x in (f"field:{i}", f"value:{i}")]))
        elif kind == "set":
            parts.append(command(["SADD", "big"] + [f"member:{i}" for i in idx]))
        else:
            parts.append(command(["ZADD", "big"] + [x for i in idx for x in (str(i), f"member:{i}")]))
    return "".join(parts).encode()

def measure(template, port, kind, n, purge=False):
    proc = subprocess.Popen(shlex.split(template.format(port=port)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_port(port)
        time.sleep(1)
        before = rss_kb(proc.pid)
        subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=payload(kind, n), capture_output=True, timeout=600)
        time.sleep(2)
        if purge:
            # MEMORY PURGE on both: jemalloc returns dirty pages, Cinnabar runs a compacting collection,
            # so what remains is the data rather than garbage the collector has not reclaimed yet.
            subprocess.run(["redis-cli", "-p", str(port), "MEMORY", "PURGE"], capture_output=True, timeout=120)
            time.sleep(1)
        after = rss_kb(proc.pid)
        return (after - before) * 1024 / n
    finally:
        proc.terminate()
        proc.wait(10)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sut-cmd", required=True)
    ap.add_argument("--redis-cmd", default="redis-server --port {port} --save '' --appendonly no")
    ap.add_argument("--elements", type=int, default=1000000)
    ap.add_argument("--types", default="list,hash,set,zset")
    ap.add_argument("--port", type=int, default=7480)
    ap.add_argument("--purge", action="store_true", help="MEMORY PURGE on both servers before the second RSS reading")
    a = ap.parse_args()
    print(f"{'type':<6}{'redis B/elem':>14}{'cinnabar B/elem':>17}{'ratio':>8}")
    for kind in a.types.split(","):
        r = measure(a.redis_cmd, a.port, kind, a.elements, a.purge)
        c = measure(a.sut_cmd, a.port + 1, kind, a.elements, a.purge)
        print(f"{kind:<6}{r:>14.1f}{c:>17.1f}{c / r if r else 0:>8.2f}", flush=True)

if __name__ == "__main__":
    main()
