#!/usr/bin/env python3
# test_records.py: the record verifier (records.py) on disks made here
# record by record as src/guest/records.c writes them: whole sequences,
# wrap-around, lost writes, corruption, a torn last write, reboots and
# the console check.
import os
import subprocess
import sys
import tempfile
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import records  # noqa: E402

BOOT_A = "11111111-2222-3333-4444-555555555555"
BOOT_B = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def record(seq, boot):
    r = bytearray(4096)
    r[0:8] = b"TNDMREC1"
    r[8:16] = seq.to_bytes(8, "little")
    r[16:52] = boot.encode()
    for i in range(64, 4092):
        r[i] = (seq + i) & 0xFF
    r[4092:] = zlib.crc32(bytes(r[:4092])).to_bytes(4, "little")
    return bytes(r)


def disk(slots, writes):
    """writes: (seq, boot) in write order; returns the image bytes."""
    d = bytearray(slots * 4096)
    for seq, boot in writes:
        s = seq % slots
        d[s * 4096:(s + 1) * 4096] = record(seq, boot)
    return d


class Verify(unittest.TestCase):
    def test_whole(self):
        rep = records.verify(disk(64, [(i, BOOT_A) for i in range(40)]))
        self.assertEqual(rep["last"], 39)
        self.assertEqual(rep["gaps"], [])
        self.assertEqual(rep["boots"], [{"boot": BOOT_A, "first": 0, "last": 39}])

    def test_wrap_around(self):
        rep = records.verify(disk(16, [(i, BOOT_A) for i in range(100)]))
        self.assertEqual((rep["last"], rep["gaps"], rep["corrupt_slots"]), (99, [], []))
        self.assertEqual(rep["boots"][0]["first"], 84)

    def test_lost_write(self):
        writes = [(i, BOOT_A) for i in range(40) if i not in (7, 8, 20)]
        rep = records.verify(disk(64, writes))
        self.assertEqual(rep["gaps"], [[7, 8], [20, 20]])

    def test_lost_write_after_wrap(self):
        # Slot 5 still holds record 5: record 21 never reached the disk.
        writes = [(i, BOOT_A) for i in range(30) if i != 21]
        self.assertEqual(records.verify(disk(16, writes))["gaps"], [[21, 21]])

    def test_corrupt(self):
        d = disk(64, [(i, BOOT_A) for i in range(40)])
        d[10 * 4096 + 100] ^= 1
        rep = records.verify(d)
        self.assertEqual(rep["corrupt_slots"], [10])
        self.assertEqual(rep["gaps"], [[10, 10]])

    def test_torn_last_write(self):
        d = disk(64, [(i, BOOT_A) for i in range(40)])
        d[40 * 4096:40 * 4096 + 8] = b"TNDMREC1"  # a write cut short
        rep = records.verify(d)
        self.assertTrue(rep["torn_last"])
        self.assertEqual((rep["corrupt_slots"], rep["gaps"]), ([], []))

    def test_misplaced(self):
        d = disk(64, [(i, BOOT_A) for i in range(10)])
        d[30 * 4096:31 * 4096] = record(3, BOOT_A)
        self.assertEqual(records.verify(d)["misplaced"], [(30, 3)])

    def test_reboot(self):
        writes = [(i, BOOT_A) for i in range(10)] + [(i, BOOT_B) for i in range(10, 25)]
        rep = records.verify(disk(64, writes))
        self.assertEqual([(b["boot"], b["first"], b["last"]) for b in rep["boots"]],
                         [(BOOT_A, 0, 9), (BOOT_B, 10, 24)])

    def test_empty(self):
        rep = records.verify(bytes(64 * 4096))
        self.assertIsNone(rep["last"])


class CommandLine(unittest.TestCase):
    def run_verifier(self, image, console, *args):
        with tempfile.TemporaryDirectory() as d:
            img, log = os.path.join(d, "disk.img"), os.path.join(d, "console.log")
            open(img, "wb").write(image)
            open(log, "w").write(console)
            return subprocess.run([sys.executable, os.path.join(HERE, "records.py"), img, "--console", log,
                                   *args], capture_output=True, text=True)

    def test_acknowledged_but_missing(self):
        image = disk(64, [(i, BOOT_A) for i in range(10)])
        r = self.run_verifier(image, "".join(f"ACK {i} {BOOT_A}\n" for i in range(12)))
        self.assertEqual(r.returncode, 1)
        self.assertIn("record 11 was acknowledged but the disk ends at 9", r.stdout)

    def test_one_boot(self):
        image = disk(64, [(0, BOOT_A), (1, BOOT_B)])
        console = f"ACK 0 {BOOT_A}\r\nACK 1 {BOOT_B}\r\n"
        self.assertEqual(self.run_verifier(image, console).returncode, 0)
        r = self.run_verifier(image, console, "--one-boot")
        self.assertEqual(r.returncode, 1)
        self.assertIn("2 boots", r.stdout)


if __name__ == "__main__":
    unittest.main()
