#!/usr/bin/env python3
"""Writes an llmbatch results file (Batch API output lines, our `llmbatch` key included) for the merge benchmark.

  generate.py text OUT LINES             chat completions with ~200 characters of content and usage
  generate.py embeddings OUT LINES DIMS  embeddings as base64 float32 (what `encoding_format: base64` returns)

OUT may be a named pipe: the lines are written once, in order, and the byte count is printed at the end.

Lines come in completion order, not input order: blocks of 1,000 are written back to front and each block is
shuffled, as a run with many requests in flight writes them. 1 line in 100 is a failure (http_500) and
1 in 1,000 is a provider line without an input line (it must go last). Deterministic (seeded).
"""
import base64
import random
import struct
import sys

kind, out, lines = sys.argv[1], sys.argv[2], int(sys.argv[3])
dims = int(sys.argv[4]) if len(sys.argv) > 4 else 0
rng = random.Random(1)

STATS = ('"attempts":1,"statuses":[%d],"started_at":"2026-11-30T05:00:00.000Z","finished_at":"2026-11-30T05:00:00.010Z",'
         '"latency_ms":10.0,"limiter_wait_ms":0,"prompt_tokens":%d,"completion_tokens":%d,"usage_reported":true,"model":"m","line":%d')

if kind == "embeddings":
    # A pool of distinct vectors, so that the file is not one line repeated; values vary per line through the pool index.
    pool = []
    for p in range(64):
        values = [rng.uniform(-1, 1) for _ in range(dims)]
        pool.append(base64.b64encode(struct.pack("<%df" % dims, *values)).decode("ascii"))

words = "the of and a to in is you that it he was for on are as with his they at be this have from or one had by".split()
texts = [" ".join(rng.choice(words) for _ in range(40)) for _ in range(256)]


def line(i):
    custom_id = "item-%d" % i
    input_line = 0 if i % 1000 == 999 else i
    if i % 100 == 42:
        return ('{"id":"batch_req_%s","custom_id":"%s","response":{"status_code":500,"request_id":"req_%d","body":{"error":{"message":"boom","type":"server_error"}}},'
                '"error":{"code":"http_500","message":"the server failed"},"llmbatch":{%s}}\n') % (custom_id, custom_id, i, STATS % (500, 0, 0, input_line))
    if kind == "embeddings":
        body = '{"object":"list","data":[{"object":"embedding","index":0,"embedding":"%s"}],"model":"m","usage":{"prompt_tokens":8,"total_tokens":8}}' % pool[i % 64]
        stats = STATS % (200, 8, 0, input_line)
    else:
        body = ('{"id":"chatcmpl-%d","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"%s"},"finish_reason":"stop"}],'
                '"usage":{"prompt_tokens":12,"completion_tokens":40,"total_tokens":52}}') % (i, texts[i % 256])
        stats = STATS % (200, 12, 40, input_line)
    return ('{"id":"batch_req_%s","custom_id":"%s","response":{"status_code":200,"request_id":"req_%d","body":%s},"error":null,"llmbatch":{%s}}\n'
            % (custom_id, custom_id, i, body, stats))


written = 0
# OUT may be a FIFO the merge reads from (bench/merge10m/run --stream): written front to back, never sought.
with open(out, "w", buffering=1 << 22) as f:
    block = 1000
    starts = list(range(1, lines + 1, block))
    for start in reversed(starts):
        ids = list(range(start, min(start + block, lines + 1)))
        rng.shuffle(ids)
        chunk = "".join(line(i) for i in ids)
        f.write(chunk)
        written += len(chunk)  # ASCII: characters are bytes
print("%d lines, %d bytes (%.1f GB)" % (lines, written, written / 1e9))
