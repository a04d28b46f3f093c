#!/usr/bin/env python3
"""TLS throughput side by side with the real Redis (built with TLS, as Debian's redis-server is).

Generates a throwaway CA and server certificate with openssl in a temporary directory (no key is kept),
starts redis-server and Cinnabar each with a plain port and a TLS port, runs `redis-benchmark --tls`
against each TLS port in turn (A B A B ..., so machine noise hits both alike), and prints the median
requests per second, the ratio Cinnabar / Redis, and each server's CPU time per request.

    dotnet build -c Release
    python3 bench/scripts/tls_compare.py --tests set,get,incr,lpush --pipelines 1,16 --rounds 5

Ports: --base-port (7400) for Redis, +2 for Cinnabar, TLS ports 50 above.
"""
import argparse, os, shlex, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def certificates(d):
    def run(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=bench CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "1")


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


def cpu_seconds(pid):
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tests", default="set,get")
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--keyspace", type=int, default=100000)
    ap.add_argument("--base-port", type=int, default=7400)
    ap.add_argument("--sut-cmd", default="dotnet " + os.path.join(ROOT, "src/Cinnabar.Server/bin/Release/net10.0/cinnabar-server.dll"))
    a = ap.parse_args()

    d = tempfile.mkdtemp(prefix="tls-bench-")
    certificates(d)
    tls = f"--tls-cert-file {d}/server.crt --tls-key-file {d}/server.key --tls-ca-cert-file {d}/ca.crt --tls-auth-clients no --save ''"
    servers = {}
    try:
        for name, base, port in (("redis", "redis-server --appendonly no", a.base_port), ("cinnabar", a.sut_cmd, a.base_port + 2)):
            argv = shlex.split(f"{base} --port {port} --tls-port {port + 50} {tls}")
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=d, start_new_session=True)
            if not wait_port(port):
                raise SystemExit(f"{name} did not start")
            servers[name] = (proc, port + 50)
            # Warm-up (the JIT, TLS session setup) before anything is measured.
            subprocess.run(["redis-benchmark", "--tls", "--cacert", f"{d}/ca.crt", "-p", str(port + 50), "-n", "50000", "-c", str(a.clients),
                            "-t", "set,get", "-q"], capture_output=True, timeout=600)
        print(f"{'test':<10} {'P':>3} {'redis':>10} {'cinnabar':>10} {'ratio':>6}   server CPU us/request: redis cinnabar")
        for p in map(int, a.pipelines.split(",")):
            n = a.requests * (5 if p > 1 else 1)
            for t in a.tests.split(","):
                rps = {k: [] for k in servers}
                cpu = {k: [] for k in servers}
                for _ in range(a.rounds):
                    for name, (proc, port) in servers.items():
                        c0 = cpu_seconds(proc.pid)
                        out = subprocess.run(["redis-benchmark", "--tls", "--cacert", f"{d}/ca.crt", "-p", str(port), "-n", str(n),
                                              "-c", str(a.clients), "-P", str(p), "-r", str(a.keyspace), "-t", t, "--csv"],
                                             capture_output=True, timeout=600).stdout.decode()
                        cpu[name].append((cpu_seconds(proc.pid) - c0) * 1e6 / n)
                        for line in out.splitlines():
                            parts = [x.strip('"') for x in line.split(",")]
                            if len(parts) >= 2 and parts[0].lower().startswith(t.lower()):
                                rps[name].append(float(parts[1]))
                r, c = statistics.median(rps["redis"] or [0]), statistics.median(rps["cinnabar"] or [0])
                print(f"{t:<10} {p:>3} {r:>10.0f} {c:>10.0f} {c / r if r else 0:>6.2f}   "
                      f"{statistics.median(cpu['redis']):.2f} {statistics.median(cpu['cinnabar']):.2f}")
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        subprocess.run(["rm", "-rf", d])


if __name__ == "__main__":
    main()
