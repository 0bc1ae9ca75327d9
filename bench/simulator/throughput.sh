#!/usr/bin/env bash
# Measures simulator requests per second on one core: the simulator pinned to CPU 0 with zero latency and no
# limits, wrk pinned to CPU 1. Needs wrk (apt-get install -y wrk) and a Release build of the CLI.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build -c Release src/LlmBatch.Cli >/dev/null
port=${PORT:-18089}
out=$(mktemp)
taskset -c 0 src/LlmBatch.Cli/bin/Release/net10.0/LlmBatch.Cli simulate --port "$port" --latency 0 --per-token 0 >"$out" 2>/dev/null &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q "listening" "$out" 2>/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port/v1/chat/completions"
taskset -c 1 wrk -t1 -c32 -d5s -s bench/simulator/chat.lua "$url" >/dev/null   # warm-up (JIT, tiered PGO)
taskset -c 1 wrk -t1 -c32 -d${DURATION:-20s} -s bench/simulator/chat.lua --latency "$url"
