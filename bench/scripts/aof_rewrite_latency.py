#!/usr/bin/env python3
"""Longest wait of a client during BGREWRITEAOF, to compare Cinnabar with a real Redis on the same procedure.

Start the server with `--appendonly yes --enable-debug-command yes`, load a dataset (for example
`redis-cli -p PORT DEBUG POPULATE 1000000`), then:

    python3 bench/scripts/aof_rewrite_latency.py PORT [ROUNDS]

Each round: a client sends SETs one at a time and records every round trip; after one second BGREWRITEAOF
starts, and the window lasts until INFO shows no rewrite running or scheduled (plus 0.2 s). Reports the
longest wait, p99 and p99.9 in that window, and the longest wait in the second before it (the machine's
own noise).
"""
import socket, time, sys, threading
port = int(sys.argv[1]); rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
def conn():
    s = socket.create_connection(('127.0.0.1', port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); return s
def call(s, *args):
    msg = b'*%d\r\n' % len(args) + b''.join(b'$%d\r\n%s\r\n' % (len(a), a) for a in args)
    s.sendall(msg)
    data = b''
    while True:
        data += s.recv(1 << 20)
        if data.endswith(b'\r\n'):
            # crude: bulk replies for INFO
            if data[:1] == b'$':
                n = int(data[1:data.index(b'\r\n')])
                if len(data) < data.index(b'\r\n') + 2 + n + 2: continue
            return data
ctl = conn()
for r in range(rounds):
    s = conn()
    lat = []
    stop = [False]
    def loop():
        i = 0
        while not stop[0]:
            t = time.perf_counter()
            call(s, b'SET', b'lat:%d' % (i % 1000), b'v')
            lat.append((t, time.perf_counter() - t)); i += 1
    th = threading.Thread(target=loop); th.start()
    time.sleep(1.0)
    t0 = time.perf_counter()
    print(call(ctl, b'BGREWRITEAOF').strip().decode())
    while True:
        time.sleep(0.05)
        info = call(ctl, b'INFO', b'persistence').decode()
        if 'aof_rewrite_in_progress:0' in info and 'aof_rewrite_scheduled:0' in info: break
    t1 = time.perf_counter()
    time.sleep(0.5)
    stop[0] = True; th.join()
    during = [l for (t, l) in lat if t0 - 0.01 <= t <= t1 + 0.2]
    before = [l for (t, l) in lat if t < t0]
    during.sort()
    print(f"round {r}: rewrite {t1-t0:.2f}s, cmds during {len(during)}, max {max(during)*1000:.1f} ms, p99 {during[int(len(during)*0.99)]*1000:.2f} ms, p999 {during[int(len(during)*0.999)]*1000:.2f} ms; before max {max(before)*1000:.1f} ms")
    s.close()
    time.sleep(1)
