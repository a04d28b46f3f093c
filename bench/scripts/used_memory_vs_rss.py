#!/usr/bin/env python3
"""used_memory against RSS for each data type (issue 17: within 15% after a full collection).

For each type, a fresh Cinnabar: MEMORY PURGE (a full compacting collection), RSS and used_memory; load
about --mb megabytes of that type through pipelined commands; MEMORY PURGE again; then compare the growth
of RSS with the growth of used_memory. The runtime's fixed footprint (code, JIT, mapped libraries) is in
both "before" figures and cancels out.

    python3 bench/scripts/used_memory_vs_rss.py \\
        --sut-cmd 'dotnet src/Cinnabar.Server/bin/Release/net10.0/cinnabar-server.dll --port {port} --save ""'
"""
import argparse, os, shlex, subprocess, sys, time

sys.path.insert(0, os.path.dirname(__file__))
from eviction_hit_ratio import Conn, wait_port, proc_kb, info_field  # noqa: E402


def fills(mb):
    n = mb * 1024 * 1024
    v100 = b"v" * 100
    # (type, commands generator); each yields encoded commands for about n bytes of payload
    def strings():
        for i in range(n // 150):
            yield Conn.enc("SET", b"s:%d" % i, v100)
    def hashes():
        for k in range(n // (1000 * 40)):
            for j in range(0, 1000, 100):
                args = ["HSET", "h:%d" % k]
                for f in range(j, j + 100):
                    args += ["field:%d" % f, "value:%d" % f]
                yield Conn.enc(*args)
    def small_hashes():
        for k in range(n // (50 * 40)):
            args = ["HSET", "sh:%d" % k]
            for f in range(50):
                args += ["f%d" % f, "value:%d" % f]
            yield Conn.enc(*args)
    def lists():
        for k in range(n // (10000 * 20)):
            for j in range(0, 10000, 500):
                yield Conn.enc("RPUSH", "l:%d" % k, *["element:%d" % e for e in range(j, j + 500)])
    def sets():
        for k in range(n // (1000 * 30)):
            for j in range(0, 1000, 100):
                yield Conn.enc("SADD", "set:%d" % k, *["member:%d" % m for m in range(j, j + 100)])
    def zsets():
        for k in range(n // (1000 * 60)):
            for j in range(0, 1000, 100):
                args = ["ZADD", "z:%d" % k]
                for m in range(j, j + 100):
                    args += [str(m * 1.5), "member:%d" % m]
                yield Conn.enc(*args)
    def streams():
        for i in range(n // 60):
            yield Conn.enc("XADD", "x:%d" % (i % 100), "*", "field", "value:%d" % i)
    return [("string", strings), ("hash (hashtable)", hashes), ("hash (listpack)", small_hashes),
            ("list", lists), ("set (hashtable)", sets), ("zset (skiplist)", zsets), ("stream", streams)]


def measure(c, pid):
    c.call("MEMORY", "PURGE")
    time.sleep(1.0)
    c.call("MEMORY", "PURGE")
    time.sleep(0.5)
    return proc_kb(pid, "VmRSS") * 1024, int(info_field(c, "memory", "used_memory"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sut-cmd", required=True)
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--port", type=int, default=7660)
    ap.add_argument("--types", default=None, help="comma-separated subset")
    args = ap.parse_args()
    worst = 0.0
    for name, gen in fills(args.mb):
        if args.types and name.split()[0] not in args.types.split(","):
            continue
        argv = shlex.split(args.sut_cmd.format(port=args.port))
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            if not wait_port(args.port):
                raise SystemExit("server did not start")
            c = Conn(args.port)
            pid = int(info_field(c, "server", "process_id"))
            rss0, used0 = measure(c, pid)
            batch = []
            for cmd in gen():
                batch.append(cmd)
                if len(batch) == 200:
                    c.pipeline(batch)
                    batch = []
            if batch:
                c.pipeline(batch)
            rss1, used1 = measure(c, pid)
            ratio = (rss1 - rss0) / (used1 - used0)
            worst = max(worst, abs(ratio - 1))
            print(f"{name:18} keys={c.call('DBSIZE'):>8} used +{(used1 - used0) / 1048576:7.1f} MB  "
                  f"RSS +{(rss1 - rss0) / 1048576:7.1f} MB  RSS/used growth {ratio:.3f}", flush=True)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(f"worst deviation of RSS growth from used_memory growth: {worst * 100:.1f}%")


if __name__ == "__main__":
    main()
