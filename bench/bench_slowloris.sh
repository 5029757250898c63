#!/usr/bin/env bash
# /healthz latency of `sic serve` while 5,000 slow clients (slowloris: a request head sent one
# byte a second) hold its connections, next to the same probes against the same server with no
# slow client, in one run. The slow clients come from 25 loopback addresses; beyond
# --max-connections (4096) the server refuses at once, and the health reserve keeps /healthz
# answering. The spec (spec/lua/http_slow_clients_spec.lua) checks the mechanism; the latency
# is a figure and lives here.
#
# usage: bench/bench_slowloris.sh BUILD_DIR
# env:   SIC_BENCH_SLOW_CONNECTIONS  slow clients (default 5000)
#        SIC_BENCH_SLOW_TIMEOUT      sic serve --timeout in seconds (default 5)
# Target (issue 19): worst /healthz under 100 ms with the slow clients held; every slow client
# closed by the server within --timeout plus its sweep.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: bench/bench_slowloris.sh BUILD_DIR}" && pwd)
conns=${SIC_BENCH_SLOW_CONNECTIONS:-5000}
timeout_s=${SIC_BENCH_SLOW_TIMEOUT:-5}

work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/logs"
"$build/sic" example "$work/logs/app.log" --tasks 2000 --seed 7 >/dev/null
"$build/sic" serve --logs "$work/logs" --listen 127.0.0.1:0 --timeout "$timeout_s" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 400); do grep -q 'listening on' "$work/out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/out")
[ -n "$port" ] || { echo "bench_slowloris: server did not start: $(cat "$work/err")" >&2; exit 1; }

echo "sic serve on 127.0.0.1:$port (--timeout $timeout_s), $conns slow clients from 25 loopback addresses, $(nproc) cores"
echo "machine load before the run: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min)"
PORT=$port N=$conns TIMEOUT=$timeout_s python3 - <<'EOF'
import os, resource, selectors, socket, statistics, time
port, N, TIMEOUT = int(os.environ["PORT"]), int(os.environ["N"]), float(os.environ["TIMEOUT"])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < N + 256:
    raise SystemExit("bench_slowloris: the descriptor limit (ulimit -Hn %d) is below %d" % (hard, N + 256))
if soft < N + 256: resource.setrlimit(resource.RLIMIT_NOFILE, (N + 256, hard))

def health():
    t = time.monotonic()
    p = socket.create_connection(("127.0.0.1", port), timeout=5)
    p.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = p.recv(4096)
        if not chunk: break
        data += chunk
    p.close()
    if not data.startswith(b"HTTP/1.1 200"): raise SystemExit("bench_slowloris: /healthz answered %r" % data[:40])
    return (time.monotonic() - t) * 1000

def summary(ms):
    ms = sorted(ms)
    return "p50 %.1f ms, p95 %.1f ms, worst %.1f ms over %d probes" % (
        statistics.median(ms), ms[int(0.95 * (len(ms) - 1))], ms[-1], len(ms))

# Baseline: the same probes, same server, no slow client.
base = []
for _ in range(40):
    base.append(health()); time.sleep(0.05)

sel = selectors.DefaultSelector()
opened, closed = {}, {}
t0 = time.monotonic()
for i in range(N):
    s = socket.socket(); s.bind(("127.0.0.%d" % (2 + i % 25), 0)); s.settimeout(5)
    s.connect(("127.0.0.1", port)); opened[s] = time.monotonic(); s.setblocking(False)
    try: s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    except OSError: pass
    sel.register(s, selectors.EVENT_READ)
connected = time.monotonic()
loaded, held, last_byte = [], [], time.monotonic()
while time.monotonic() < connected + TIMEOUT + 6 and len(closed) < N:
    for key, _ in sel.select(0.05):
        s = key.fileobj
        try: gone = s.recv(4096) == b""
        except (ConnectionResetError, BrokenPipeError): gone = True
        except BlockingIOError: gone = False
        if gone: sel.unregister(s); closed[s] = time.monotonic()
    now = time.monotonic()
    if now - last_byte >= 1.0:
        last_byte = now
        for s in opened:
            if s not in closed:
                try: s.send(b"X")
                except OSError: pass
    if now - t0 < TIMEOUT - 0.5 and now - connected > 0.3:
        held.append(N - len(closed)); loaded.append(health())
refused = sum(1 for s in closed if closed[s] - opened[s] < TIMEOUT / 2)
held_slow = [closed[s] - opened[s] for s in closed if closed[s] - opened[s] >= TIMEOUT / 2]
print("connect loop: %.2f s for %d clients; refused at once: %d; held during the probes: at least %d"
      % (connected - t0, N, refused, min(held) if held else 0))
print("/healthz, no slow client (baseline):  " + summary(base))
if loaded:
    print("/healthz, slow clients held:          " + summary(loaded))
    print("ratio worst loaded / worst baseline: %.1fx; target: worst under 100 ms: %s"
          % (max(loaded) / max(base), "met" if max(loaded) < 100 else "NOT met"))
else:
    print("/healthz, slow clients held: no probe fit before the first timeout (the connect loop took too long)")
print("slow clients closed by the server: %d of %d held, slowest after %.2f s (--timeout %.0f s); still open: %d"
      % (len(held_slow), N - refused, max(held_slow) if held_slow else 0, TIMEOUT, N - len(closed)))
print("RESULT base_worst_ms=%.1f loaded_worst_ms=%.1f loaded_p50_ms=%.1f refused=%d still_open=%d"
      % (max(base), max(loaded) if loaded else -1, statistics.median(loaded) if loaded else -1, refused, N - len(closed)))
EOF
