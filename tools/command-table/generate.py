#!/usr/bin/env python3
"""Writes src/Cinnabar/Commands/commands.json, the description of every command Cinnabar implements,
from a real redis-server 7.0's COMMAND INFO and COMMAND DOCS (see docs/command-table.md).

    python3 tools/command-table/generate.py                 # starts /usr/bin/redis-server on a free port
    python3 tools/command-table/generate.py --port 6379     # or asks a running one
    python3 tools/command-table/generate.py --check         # fails if commands.json is not what it would write

The names come from commands.txt beside this script ("get", "config|get"; a container is included
when any of its subcommands is). Only the standard library is used."""
import argparse, json, os, socket, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "src", "Cinnabar", "Commands", "commands.json")


class Resp3:
    """A blocking RESP3 connection returning replies as (type, value) trees, so maps, sets, arrays and
    status strings stay distinguishable."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.call("HELLO", "3")

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.read()

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(1 << 20)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self.line()
        t, rest = chr(line[0]), line[1:].decode()
        if t == "+": return ("status", rest)
        if t == "-": raise RuntimeError(rest)
        if t == ":": return ("int", int(rest))
        if t == "$": return ("bulk", self.exact(int(rest)).decode())
        if t == "_": return ("null", None)
        if t in "*~":
            return ("array" if t == "*" else "set", [self.read() for _ in range(int(rest))])
        if t == "%":
            return ("map", [(self.read(), self.read()) for _ in range(int(rest))])
        raise ValueError("unexpected reply type " + t)


def plain(node):
    """A reply tree as JSON; the writer in Cinnabar restores RESP types from the field names."""
    t, v = node
    if t == "map":
        return {plain(k): plain(x) for k, x in v}
    if t in ("array", "set"):
        return [plain(x) for x in v]
    return v


def check_types(node, path):
    """Fails when Redis answers a field with a type the C# writer would not reproduce (CommandDocs.cs)."""
    t, v = node
    name = path[-1] if path else ""
    expected = {
        "doc_flags": "set", "flags": "set", "history": "set", "arguments": "array", "key_spec_index": "int",
    }.get(name)
    if expected and t != expected:
        raise SystemExit(f"{'/'.join(path)}: Redis answers a {t}, the writer assumes a {expected}")
    if t == "map":
        for k, x in v:
            check_types(x, path + [k[1]])
    elif t in ("array", "set"):
        for x in v:
            check_types(x, path + ["[]"] if name != "history" else path + ["history[]"])
            if name in ("flags", "doc_flags") and x[0] != "status":
                raise SystemExit(f"{'/'.join(path)}: flag is a {x[0]}")
            if name == "history" and (x[0] != "array" or any(e[0] != "bulk" for e in x[1])):
                raise SystemExit(f"{'/'.join(path)}: history entry is not an array of bulks")
    elif t not in ("bulk", "int") and name != "[]":
        raise SystemExit(f"{'/'.join(path)}: unexpected {t}")


def describe(info, docs, wanted):
    """One command's description from its COMMAND INFO entry and COMMAND DOCS map."""
    _, f = info
    name = f[0][1]
    key_specs = plain(f[8])
    d = {
        "arity": f[1][1],
        "flags": [x[1] for x in f[2][1]],
        "acl_categories": [x[1].lstrip("@") for x in f[6][1]],
        "tips": [x[1] for x in f[7][1]],
        "key_specs": key_specs,
    }
    check_types(docs, [name])
    doc = [(k, x) for k, x in docs[1] if k[1] != "subcommands"]
    d["docs"] = plain(("map", doc))
    subdocs = dict((k[1], x) for k, x in docs[1]).get("subcommands")
    subdocs = dict((k[1], x) for k, x in subdocs[1]) if subdocs else {}
    subs = {}
    # Redis lists subcommands in its hash table's order, which a random seed changes with every start:
    # sorted, the file stays the same from one generation to the next.
    for sub in sorted(f[9][1], key=lambda s: s[1][0][1]):
        sub_name = sub[1][0][1]
        if sub_name in wanted:
            subs[sub_name] = describe(sub, subdocs[sub_name], wanted)
    if subs:
        d["subcommands"] = subs
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, help="a running redis-server 7.0 (default: start one)")
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--check", action="store_true", help="regenerate into a temporary file and fail if it differs")
    args = ap.parse_args()
    if args.check:
        fd, tmp = tempfile.mkstemp(suffix=".json"); os.close(fd)
        try:
            cmd = [sys.executable, os.path.abspath(__file__), "--out", tmp] + (["--port", str(args.port)] if args.port else [])
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            with open(tmp, "rb") as a, open(args.out, "rb") as b:
                same = a.read() == b.read()
        finally:
            os.unlink(tmp)
        print(("up to date: " if same else "OUT OF DATE (run generate.py): ") + os.path.relpath(args.out, ROOT))
        sys.exit(0 if same else 1)
    with open(os.path.join(HERE, "commands.txt")) as fh:
        wanted = {l.strip().lower() for l in fh if l.strip() and not l.startswith("#")}

    server = None
    port = args.port
    if port is None:
        s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
        server = subprocess.Popen(["/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--dir", tempfile.gettempdir()], stdout=subprocess.DEVNULL)
        for _ in range(100):
            try: socket.create_connection(("127.0.0.1", port)).close(); break
            except OSError: time.sleep(0.05)
    try:
        r = Resp3(port)
        version = dict((k[1], v[1]) for k, v in r.call("HELLO", "3")[1])["version"]
        if not version.startswith("7.0."):
            sys.exit(f"redis-server {version}: the table follows Redis 7.0")
        tops = sorted({w.split("|")[0] for w in wanted})
        wanted |= set(tops)
        table = {}
        for name in tops:
            info = r.call("COMMAND", "INFO", name)[1][0]
            if info[0] == "null":
                sys.exit(f"{name}: unknown to redis-server {version}")
            docs = dict((k[1], v) for k, v in r.call("COMMAND", "DOCS", name)[1])[name]
            table[name] = describe(info, docs, wanted)
        described = set(table) | {s for d in table.values() for s in d.get("subcommands", {})}
        missing = sorted(wanted - described)
        if missing:
            sys.exit("unknown to redis-server: " + ", ".join(missing))
    finally:
        if server:
            server.terminate(); server.wait(5)
    with open(args.out, "w") as fh:
        fh.write("// Generated by tools/command-table/generate.py from redis-server %s's COMMAND INFO and COMMAND DOCS.\n" % version)
        fh.write("// The documentation text is Redis' (Copyright Redis Ltd., BSD 3-Clause licence). Regenerate, do not edit.\n")
        json.dump(table, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    print(f"{len(table)} commands, {len(described) - len(table)} subcommands -> {os.path.relpath(args.out, ROOT)}")


if __name__ == "__main__":
    main()
