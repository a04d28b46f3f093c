#!/bin/bash
# Side by side: EVALSHA of a GET script and of an INCR+EXPIRE script, Redis vs Cinnabar, P1 and P16, 3 rounds.
# Run from the repository root after `dotnet build -c Release`; prints one line per run (test, pipeline, port, requests/s); 7901 is Redis, 7902 Cinnabar.
set -u
RP=7901; CP=7902
redis-server --port $RP --save "" --appendonly no --daemonize yes >/dev/null
(dotnet src/Cinnabar.Server/bin/Release/net10.0/cinnabar-server.dll --port $CP --save "" > /tmp/evalsha-bench-server.log 2>&1 &)
for i in $(seq 1 50); do redis-cli -p $CP ping >/dev/null 2>&1 && break; sleep 0.2; done
G='return redis.call("GET", KEYS[1])'
I='local n = redis.call("INCR", KEYS[1]) redis.call("EXPIRE", KEYS[1], 100) return n'
for p in $RP $CP; do redis-cli -p $p set key:__rand_int__ v >/dev/null; SG=$(redis-cli -p $p script load "$G"); SI=$(redis-cli -p $p script load "$I"); done
for pl in 1 16; do
  n=$((100000 * (pl > 1 ? 5 : 1)))
  for name in get incr; do
    sha=$([ $name = get ] && echo $SG || echo $SI)
    for r in 1 2 3; do
      for p in $RP $CP; do
        v=$(redis-benchmark -p $p -n $n -c 50 -P $pl -r 100000 --csv EVALSHA $sha 1 key:__rand_int__ 2>/dev/null | tail -1 | cut -d, -f2 | tr -d '"')
        echo "$name P$pl port$p $v"
      done
    done
  done
done
redis-cli -p $RP shutdown nosave >/dev/null 2>&1; redis-cli -p $CP shutdown nosave >/dev/null 2>&1
