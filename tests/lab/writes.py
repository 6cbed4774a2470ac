#!/usr/bin/env python3
"""Random writes for the replication tests, and their verification.

  writes.py gen N SIZE SEED > cmds.txt      qemu-io commands: N writes of 4-64 KiB,
                                           4 KiB aligned, inside SIZE bytes, each
                                           with its own pattern byte
  writes.py check cmds.txt acks.log image MODE
                                           image: the surviving copy (a file read
                                           from the new Primary). MODE 'all': every
                                           acknowledged write must be there (B, C);
                                           'prefix': the image must be the result of
                                           some prefix of the writes, in order (A).

The image must show, block by block, the result of applying the first k
writes in order, for some k; 'all' also needs k >= the number of writes
qemu-io acknowledged. Exit 0 and a summary line, or 1 with the first block
that does not match.
"""
import random
import re
import sys

BLOCK = 4096


def gen(n, size, seed):
    rnd = random.Random(seed)
    blocks = size // BLOCK
    for i in range(n):
        length = rnd.randint(1, 16)
        start = rnd.randrange(0, blocks - length)
        pattern = i % 255 + 1
        print(f"write -P {pattern} {start * BLOCK} {length * BLOCK}")


def parse_cmds(path):
    writes = []
    for line in open(path):
        m = re.match(r"write -P (\d+) (\d+) (\d+)", line)
        if m:
            writes.append(tuple(int(x) for x in m.groups()))
    return writes


def check(cmds, acks, image, mode):
    writes = parse_cmds(cmds)
    acked = len(re.findall(r"^(?:qemu-io> )*wrote \d+/\d+ bytes", open(acks).read(), re.M))
    data = open(image, "rb").read()
    touched = sorted({b for _, off, ln in writes for b in range(off // BLOCK, (off + ln) // BLOCK)})
    actual = {}
    for b in touched:
        chunk = data[b * BLOCK:(b + 1) * BLOCK]
        actual[b] = chunk[0] if chunk == bytes([chunk[0]]) * BLOCK else None
    # state after k writes, for k = 0..n; find the largest k that matches
    model = {b: 0 for b in touched}
    states = [dict(model)]
    for pattern, off, ln in writes:
        for b in range(off // BLOCK, (off + ln) // BLOCK):
            model[b] = pattern
        states.append(dict(model))
    best = None
    for k in range(len(writes), -1, -1):
        if all(states[k][b] == actual[b] for b in touched):
            best = k
            break
    if best is None:
        bad = [b for b in touched if actual[b] is None]
        where = f"block {bad[0]} holds mixed bytes" if bad else "no prefix of the writes explains the image"
        print(f"FAIL: {where} ({len(writes)} writes, {acked} acknowledged)")
        return 1
    need = acked if mode == "all" else 0
    print(f"{len(writes)} writes, {acked} acknowledged, image = first {best} writes in order "
          f"({'lost ' + str(acked - best) + ' acknowledged' if best < acked else 'none lost'})")
    if best < need:
        print(f"FAIL: {acked - best} acknowledged writes are missing")
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
        sys.exit(0)
    sys.exit(check(*sys.argv[2:6]))
