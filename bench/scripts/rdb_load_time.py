#!/usr/bin/env python3
"""Time to load an RDB file at start-up, Cinnabar vs a real Redis, on the same file.

Builds a dump with a real Redis (--keys keys of one kind, or `mixed`: equal shares of 5-element lists,
5-field hashes, 5-member sets, 5-member sorted sets and 100-byte strings), then starts each server on a
copy of it several times and reports start-to-first-PONG (which includes the load and, for Cinnabar,
the start-up collections) and RSS after the load.

    python3 bench/scripts/rdb_load_time.py --kind mixed --keys 1000000 \
        --sut-cmd 'dotnet src/Cinnabar.Server/bin/Release/net10.0/cinnabar-server.dll --port {port} --dir {dir} --save ""'
"""
import argparse, os, shlex, shutil, socket, subprocess, tempfile, time

KINDS = ["list", "hash", "set", "zset", "string"]

def ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False

def wait_port(port, timeout=300):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if ping(port):
            return time.time() - t0
        time.sleep(0.005)
    raise SystemExit(f"server on {port} did not start")

def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

def command(args):
    out = [f"*{len(args)}\r\n"]
    for a in args:
        out.append(f"${len(a)}\r\n{a}\r\n")
    return "".join(out)

def payload(kinds, keys):
    parts = []
    for i in range(keys):
        kind = kinds[i % len(kinds)]
        key = f"{kind}:{i}"
        if kind == "list":
            parts.append(command(["RPUSH", key] + [f"item-{j}" for j in range(5)]))
        elif kind == "hash":
            parts.append(command(["HSET", key] + [x for j in range(5) for x in (f"field{j}", f"value-{i}-{j}")]))
        elif kind == "set":
            parts.append(command(["SADD", key] + [f"member-{i}-{j}" for j in range(5)]))
        elif kind == "zset":
            parts.append(command(["ZADD", key] + [x for j in range(5) for x in (str(j * 1.5), f"member-{j}")]))
        else:
            parts.append(command(["SET", key, "v" * 100]))
    return "".join(parts).encode()

def build_dump(kinds, keys, port, directory):
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--dir", directory, "--save", ""],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_port(port)
        subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=payload(kinds, keys), capture_output=True, timeout=900, check=True)
        subprocess.run(["redis-cli", "-p", str(port), "SAVE"], capture_output=True, check=True)
    finally:
        proc.terminate()
        proc.wait(30)

def start_once(template, port, directory):
    argv = shlex.split(template.format(port=port, dir=directory))
    t0 = time.time()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_port(port)
        elapsed = time.time() - t0
        time.sleep(0.5)
        return elapsed, rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sut-cmd", required=True, help="command template with {port} and {dir}")
    ap.add_argument("--redis-cmd", default="redis-server --port {port} --dir {dir} --save '' --appendonly no")
    ap.add_argument("--kind", default="mixed", choices=KINDS + ["mixed"])
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--port", type=int, default=7490)
    a = ap.parse_args()
    kinds = KINDS if a.kind == "mixed" else [a.kind]
    directory = tempfile.mkdtemp(prefix="rdb-load-")
    try:
        build_dump(kinds, a.keys, a.port, directory)
        size = os.path.getsize(os.path.join(directory, "dump.rdb")) / (1 << 20)
        print(f"{a.kind}, {a.keys} keys, dump.rdb {size:.1f} MiB")
        results = {}
        for run in range(a.runs):  # alternate the servers so both see the same machine noise
            for name, template in (("redis", a.redis_cmd), ("cinnabar", a.sut_cmd)):
                results.setdefault(name, []).append(start_once(template, a.port, directory))
        for name, runs in results.items():
            times = ", ".join(f"{t:.2f}" for t, _ in runs)
            print(f"{name:<9} start-to-PONG s: {times}   RSS MiB: {max(r for _, r in runs):.0f}")
        best = {name: min(t for t, _ in runs) for name, runs in results.items()}
        print(f"ratio (best of {a.runs}): {best['cinnabar'] / best['redis']:.2f}x Redis")
    finally:
        if not os.environ.get("KEEP_DUMP"): shutil.rmtree(directory, ignore_errors=True)
        else: print("kept", directory)

if __name__ == "__main__":
    main()
