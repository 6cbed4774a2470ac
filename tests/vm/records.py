#!/usr/bin/env python3
# records.py: the verifier of the test guest's records (src/guest/records.c,
# format in docs/guest-records.md). Reads a disk image or an NBD export and
# reports the last intact record, the boots that wrote, and any gap or
# corruption; with the console log it also checks that every record the
# guest saw acknowledged is on the disk.
#
#   records.py IMAGE|nbd+unix://...  [--console LOG]... [--one-boot] [--json]
#
# Exit status 0 when the records are whole, 1 when a record is missing or
# corrupt, 2 on usage errors.
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import zlib

RECORD = 4096
MAGIC = b"TNDMREC1"
CRC_OFFSET = RECORD - 4


def parse(rec):
    """(seq, boot_id) of an intact record, 'empty' for zeros, None if corrupt."""
    if rec[:8] != MAGIC:
        return "empty" if rec.count(0) == RECORD else None
    if int.from_bytes(rec[CRC_OFFSET:], "little") != zlib.crc32(rec[:CRC_OFFSET]):
        return None
    return int.from_bytes(rec[8:16], "little"), rec[16:52].decode("ascii", "replace")


def read_image(path):
    if "://" not in path:
        with open(path, "rb") as f:
            return f.read()
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "disk.img")
        subprocess.run(["nbdcopy", path, out], check=True)
        with open(out, "rb") as f:
            return f.read()


def verify(data):
    slots = len(data) // RECORD
    found = {}          # slot -> (seq, boot)
    corrupt, foreign = [], []
    for s in range(slots):
        r = parse(data[s * RECORD:(s + 1) * RECORD])
        if r is None:
            corrupt.append(s)
        elif r != "empty":
            if r[0] % slots != s:
                foreign.append((s, r[0]))
            else:
                found[s] = r
    report = {"slots": slots, "records": len(found), "last": None, "boots": [],
              "gaps": [], "corrupt_slots": [], "torn_last": False, "misplaced": foreign}
    if not found:
        report["corrupt_slots"] = corrupt
        return report
    last = max(seq for seq, _ in found.values())
    first = max(0, last - slots + 1)
    report["last"] = last
    # Slot s must hold the newest seq <= last that maps to it; an older one
    # (or nothing) means an acknowledged write was lost.
    missing = []
    for seq in range(first, last + 1):
        got = found.get(seq % slots)
        if got is None or got[0] != seq:
            missing.append(seq)
    # The write after the last one may have been cut by a crash: it was
    # never acknowledged, so a corrupt slot there is not an error.
    torn = (last + 1) % slots
    if torn in corrupt:
        corrupt.remove(torn)
        report["torn_last"] = True
    report["corrupt_slots"] = corrupt
    report["gaps"] = ranges(missing)
    boots = []
    for seq in range(first, last + 1):
        got = found.get(seq % slots)
        if not got or got[0] != seq:
            continue
        if boots and boots[-1]["boot"] == got[1]:
            boots[-1]["last"] = seq
        else:
            boots.append({"boot": got[1], "first": seq, "last": seq})
    report["boots"] = boots
    return report


def ranges(seqs):
    out = []
    for s in seqs:
        if out and out[-1][1] == s - 1:
            out[-1][1] = s
        else:
            out.append([s, s])
    return out


def console_acks(paths):
    """The highest acknowledged record and the boot ids seen, over logs."""
    last, boots = None, []
    for p in paths:
        with open(p, "rb") as f:
            for line in f.read().decode("ascii", "replace").splitlines():
                m = re.match(r"ACK (\d+) (\S+)", line.strip())
                if m:
                    seq = int(m.group(1))
                    last = seq if last is None else max(last, seq)
                    if not boots or boots[-1] != m.group(2):
                        boots.append(m.group(2))
    return last, boots


def main():
    ap = argparse.ArgumentParser(description="verify the test guest's records on a disk")
    ap.add_argument("disk", help="image file or NBD URI")
    ap.add_argument("--console", action="append", default=[], help="serial log with ACK lines")
    ap.add_argument("--one-boot", action="store_true", help="all records must come from one boot")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    a = ap.parse_args()

    rep = verify(read_image(a.disk))
    bad = []
    if rep["last"] is None:
        bad.append("no intact record on the disk")
    if rep["gaps"]:
        bad.append("records missing: " + ", ".join(f"{x}..{y}" if x != y else str(x) for x, y in rep["gaps"][:20]))
    if rep["corrupt_slots"]:
        bad.append(f"{len(rep['corrupt_slots'])} corrupt slots, first {rep['corrupt_slots'][:10]}")
    if rep["misplaced"]:
        bad.append(f"records in the wrong slot: {rep['misplaced'][:10]}")
    if a.one_boot and len(rep["boots"]) > 1:
        bad.append(f"records come from {len(rep['boots'])} boots, not one")
    if a.console:
        acked, cboots = console_acks(a.console)
        rep["acked"] = acked
        rep["console_boots"] = cboots
        if acked is None:
            bad.append("the console shows no acknowledged record")
        elif rep["last"] is None or acked > rep["last"]:
            bad.append(f"record {acked} was acknowledged but the disk ends at {rep['last']}")
        if a.one_boot and len(set(cboots)) > 1:
            bad.append(f"the console shows {len(set(cboots))} boot ids")
    rep["problems"] = bad
    if a.json:
        print(json.dumps(rep))
    else:
        print(f"last intact record {rep['last']} of {rep['slots']} slots"
              + (f", acknowledged up to {rep.get('acked')}" if a.console else "")
              + (", last write torn" if rep["torn_last"] else ""))
        for b in rep["boots"]:
            print(f"boot {b['boot']}: records {b['first']}..{b['last']}")
        for p in bad:
            print("PROBLEM:", p)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
