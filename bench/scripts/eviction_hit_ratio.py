#!/usr/bin/env python3
"""Eviction under load, Cinnabar and Redis side by side (issue 17).

For each policy (allkeys-lru, allkeys-lfu) and each server (a fresh redis-server and a fresh Cinnabar,
both with the same maxmemory):

  1. write phase: SET random keys of a universe until 3x maxmemory of values was written;
  2. read phase: a cache-aside load: GET a key drawn from a Zipf distribution over the universe, and on a
     miss SET it (as an application filling its cache); the hit ratio is counted over the second half,
     once the cache has adapted to the load;
  3. RSS: the process' peak (VmHWM) and current (VmRSS) resident set, against maxmemory.

The same seeds give both servers the same key sequence. Pure Python, no client library: RESP is written
by hand and pipelined in batches.

  python3 bench/scripts/eviction_hit_ratio.py --maxmemory-mb 100 \\
      --sut-cmd 'dotnet src/Cinnabar.Server/bin/Release/net10.0/cinnabar-server.dll --port {port} --save ""'
"""
import argparse, bisect, os, random, shlex, socket, subprocess, sys, time


def wait_port(port, timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return True
        except OSError:
            time.sleep(0.2)
    return False


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    @staticmethod
    def enc(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self.buf += self.s.recv(1 << 20)

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.s.recv(1 << 20)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        t = line[:1]
        if t == b"$":
            n = int(line[1:])
            return None if n < 0 else self._exact(n)
        if t == b"*":
            return [self.reply() for _ in range(int(line[1:]))]
        if t == b":":
            return int(line[1:])
        if t == b"-":
            return RuntimeError(line[1:].decode())
        return line[1:].decode()

    def call(self, *args):
        self.s.sendall(self.enc(*args))
        return self.reply()

    def pipeline(self, commands):
        self.s.sendall(b"".join(commands))
        return [self.reply() for _ in commands]


def info_field(conn, section, name):
    text = conn.call("INFO", section).decode()
    for line in text.split("\r\n"):
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return None


def proc_kb(pid, field):
    best = 0
    pids = [pid]
    try:
        pids += [int(k) for k in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True).stdout.split()]
    except Exception:
        pass
    for p in pids:
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith(field + ":"):
                    best = max(best, int(line.split()[1]))
        except OSError:
            pass
    return best


class Zipf:
    """Inverse-CDF sampling of ranks 1..n with P(k) ~ 1/k^s; ranks map to keys through a fixed shuffle."""

    def __init__(self, n, s, seed):
        acc, self.cdf = 0.0, []
        for k in range(1, n + 1):
            acc += 1.0 / (k ** s)
            self.cdf.append(acc)
        self.total = acc
        perm = list(range(n))
        random.Random(seed).shuffle(perm)
        self.perm = perm

    def sample(self, rnd):
        return self.perm[bisect.bisect_left(self.cdf, rnd.random() * self.total)]


def run_one(name, template, port, policy, args, zipf):
    argv = shlex.split(template.format(port=port)) + ["--maxmemory", f"{args.maxmemory_mb}mb", "--maxmemory-policy", policy]
    log = open(os.path.join(args.logdir, f"{name}-{policy}.log"), "wb")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        if not wait_port(port):
            raise SystemExit(f"{name} did not start")
        c = Conn(port)
        pid = int(info_field(c, "server", "process_id"))
        value = os.urandom(args.value_size // 2).hex().encode()[: args.value_size]
        rnd = random.Random(args.seed)
        target = 3 * args.maxmemory_mb * 1024 * 1024
        written, t0 = 0, time.time()
        while written < target:
            batch = [Conn.enc("SET", b"key:%d" % rnd.randrange(args.universe), value) for _ in range(args.batch)]
            for r in c.pipeline(batch):
                if isinstance(r, RuntimeError):
                    raise SystemExit(f"{name}: {r}")
            written += args.batch * len(value)
        write_s = time.time() - t0
        rss_after_write = proc_kb(pid, "VmRSS")
        rnd = random.Random(args.seed + 1)
        hits = misses = counted = 0
        reads = args.reads
        t0 = time.time()
        for start in range(0, reads, args.batch):
            keys = [b"key:%d" % zipf.sample(rnd) for _ in range(args.batch)]
            replies = c.pipeline([Conn.enc("GET", k) for k in keys])
            fill = [Conn.enc("SET", k, value) for k, r in zip(keys, replies) if r is None]
            if start >= reads // 2:
                counted += len(keys)
                misses += len(fill)
            if fill:
                c.pipeline(fill)
        read_s = time.time() - t0
        hits = counted - misses
        result = {
            "server": name, "policy": policy,
            "keys": c.call("DBSIZE"),
            "used_memory_mb": int(info_field(c, "memory", "used_memory")) / 1048576,
            "evicted": int(info_field(c, "stats", "evicted_keys")),
            "rss_write_mb": rss_after_write / 1024,
            "rss_mb": proc_kb(pid, "VmRSS") / 1024,
            "rss_peak_mb": proc_kb(pid, "VmHWM") / 1024,
            "hit_ratio": hits / counted,
            "write_s": write_s, "read_s": read_s,
        }
        return result
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sut-cmd", required=True, help="command template with {port}")
    ap.add_argument("--redis-cmd", default="redis-server --port {port} --save '' --appendonly no")
    ap.add_argument("--maxmemory-mb", type=int, default=100)
    ap.add_argument("--policies", default="allkeys-lru,allkeys-lfu")
    ap.add_argument("--value-size", type=int, default=256)
    ap.add_argument("--universe", type=int, default=2_000_000, help="distinct keys")
    ap.add_argument("--zipf", type=float, default=0.99, help="Zipf exponent of the read load")
    ap.add_argument("--reads", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--base-port", type=int, default=7650)
    ap.add_argument("--logdir", default="/tmp/eviction-bench")
    args = ap.parse_args()
    os.makedirs(args.logdir, exist_ok=True)
    zipf = Zipf(args.universe, args.zipf, args.seed)
    rows = []
    port = args.base_port
    for policy in args.policies.split(","):
        for name, template in (("redis", args.redis_cmd), ("cinnabar", args.sut_cmd)):
            r = run_one(name, template, port, policy, args, zipf)
            port += 1
            rows.append(r)
            print(f"{name:9} {policy:12} keys={r['keys']:>8} used={r['used_memory_mb']:7.1f}MB "
                  f"rss={r['rss_mb']:6.1f}MB ({r['rss_mb'] / args.maxmemory_mb:.2f}x) peak={r['rss_peak_mb']:6.1f}MB "
                  f"({r['rss_peak_mb'] / args.maxmemory_mb:.2f}x) evicted={r['evicted']} hit={r['hit_ratio']:.4f} "
                  f"write={r['write_s']:.1f}s read={r['read_s']:.1f}s", flush=True)
    for policy in args.policies.split(","):
        red = next(r for r in rows if r["server"] == "redis" and r["policy"] == policy)
        sut = next(r for r in rows if r["server"] == "cinnabar" and r["policy"] == policy)
        print(f"{policy}: hit ratio cinnabar {sut['hit_ratio']:.4f} vs redis {red['hit_ratio']:.4f} "
              f"({sut['hit_ratio'] / red['hit_ratio']:.3f}x); peak RSS {sut['rss_peak_mb'] / args.maxmemory_mb:.2f}x maxmemory "
              f"(redis {red['rss_peak_mb'] / args.maxmemory_mb:.2f}x)")


if __name__ == "__main__":
    main()
