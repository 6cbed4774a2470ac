#!/usr/bin/env python3
"""Benchmark: resync throughput against the lab link's raw TCP throughput,
and application write IOPS during a resync against without one (issue 4).

Brings up a two-host lab (root needed) and measures, in the same run:
  - tcp:     a plain TCP copy of SIZE bytes from alice to bob (python
             sockets, 1 MiB sends), median of --rounds;
  - resync:  a full resync of a SIZE volume from alice to bob with the
             resync unthrottled (c-plan-ahead 0; resync-rate 4G), started
             by invalidate-remote, timed from the command to bob's
             "replication:Established peer-disk:UpToDate"; median of
             --rounds;
  - app IOPS: fio 4 KiB random writes at depth 8 through NBD on alice for
             --seconds, without a resync and during one, with tandem's
             default pace (c-plan-ahead 20, c-max-rate 100M, c-min-rate
             250k).
Prints a Markdown table.

  bench/disk_resync.py [--tandem build/src/tandem] [--size-mib 1024] [--rounds 3] [--seconds 8] [--peer-ram]
                       [--link-mbit N]

--link-mbit N shapes both hosts' links to N Mbit/s (tc tbf), like a real
replication link; without it the lab's veth link runs at memory speed
and the disks are what limits a resync.

--peer-ram puts bob's backing file on bob's private tmpfs: in the lab both
hosts share one disk, and a resync reads and writes it at once.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

NBD = "nbd+unix:///0?socket=/run/tandem/r0.nbd"


def sh(*cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, text=True, capture_output=True, **kw)


def conf(disk_opts, peer_ram):
    bob_disk = "volume 0 { disk /dev/shm/r0.img; }" if peer_ram else ""
    return f"""resource r0 {{
    net {{ protocol C; connect-int 1; ping-int 1; }}
    disk {{ {disk_opts} }}
    volume 0 {{ device /dev/drbd0; disk /var/lib/tandem/r0.img; meta-disk internal; }}
    on alice {{ address 198.51.100.1:7789; node-id 0; }}
    on bob {{ address 198.51.100.2:7789; node-id 1; {bob_disk} }}
}}
"""


def status(t, host):
    return sh(t, "lab", "exec", host, "--", t, "disk", "status", "r0").stdout


def wait_resync_started(t, limit=20):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        st = status(t, "alice")
        if "replication:SyncSource" in st or "replication:PausedSyncS" in st:
            return
        time.sleep(0.01)
    raise SystemExit("the resync did not start")


def wait_in_sync(t, limit=600):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if "replication:Established peer-disk:UpToDate" in status(t, "alice"):
            return time.monotonic()
        time.sleep(0.02)
    raise SystemExit("the resync did not finish")


def tcp_copy(t, size):
    server = ("import socket,sys,time\n"
              "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
              "s.bind(('198.51.100.2', 7900)); s.listen(1); c,_=s.accept(); n=0; t0=None\n"
              "while True:\n"
              "    b=c.recv(1<<20)\n"
              "    if t0 is None: t0=time.monotonic()\n"
              "    if not b: break\n"
              "    n+=len(b)\n"
              "print(n/(time.monotonic()-t0))\n")
    client = ("import socket,time\n"
              "c=None\n"
              "for _ in range(100):\n"
              "    try: c=socket.create_connection(('198.51.100.2', 7900)); break\n"
              "    except OSError: time.sleep(0.05)\n"
              f"buf=b'x'*(1<<20)\n"
              f"for _ in range({size >> 20}): c.sendall(buf)\n"
              "c.close()\n")
    srv = subprocess.Popen([t, "lab", "exec", "bob", "--", "python3", "-c", server],
                           stdout=subprocess.PIPE, text=True)
    sh(t, "lab", "exec", "alice", "--", "python3", "-c", client)
    out, _ = srv.communicate(timeout=300)
    return float(out.strip()) / 2**20


def fio_iops(t, seconds, size_mib):
    out = sh(t, "lab", "exec", "alice", "--", "fio", "--name=bench", "--ioengine=nbd", f"--uri={NBD}",
             f"--size={size_mib}M", f"--runtime={seconds}", "--time_based", "--output-format=json",
             "--direct=1", "--rw=randwrite", "--bs=4k", "--iodepth=8", "--randrepeat=0").stdout
    return json.loads(out[out.index("{"):])["jobs"][0]["write"]["iops"]


def setup(t, work, disk_opts, peer_ram, size_mib):
    open(f"{work}/disk.conf", "w").write(conf(disk_opts, peer_ram))
    for h in ("alice", "bob"):
        img = "/dev/shm/r0.img" if peer_ram and h == "bob" else "/var/lib/tandem/r0.img"
        sh(t, "lab", "exec", h, "--", "sh", "-c",
           f"{t} disk down r0 >/dev/null 2>&1; cp {work}/disk.conf /etc/tandem/disk.conf && rm -f {img} && "
           f"fallocate -l {size_mib + 64}M {img} && {t} disk create-md --force r0 >/dev/null && {t} disk up r0")
    sh(t, "lab", "exec", "alice", "--", t, "disk", "primary", "--force", "r0")
    wait_in_sync(t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tandem", default="build/src/tandem")
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--peer-ram", action="store_true")
    ap.add_argument("--link-mbit", type=int, default=0)
    a = ap.parse_args()
    t = os.path.abspath(a.tandem)
    work = tempfile.mkdtemp(prefix="tandem-bench.")
    size = a.size_mib << 20
    sh(t, "lab", "up", "2")
    try:
        if a.link_mbit:
            for h in ("alice", "bob"):
                sh(t, "lab", "exec", h, "--", "tc", "qdisc", "add", "dev", "eth0", "root", "tbf",
                   "rate", f"{a.link_mbit}mbit", "burst", "512kb", "latency", "20ms")
        tcp, resync = [], []
        setup(t, work, "c-plan-ahead 0; resync-rate 4G;", a.peer_ram, a.size_mib)
        for _ in range(a.rounds):
            tcp.append(tcp_copy(t, size))
            t0 = time.monotonic()
            sh(t, "lab", "exec", "alice", "--", t, "disk", "invalidate-remote", "r0")
            wait_resync_started(t)
            resync.append(a.size_mib / (wait_in_sync(t) - t0))
        setup(t, work, "", a.peer_ram, a.size_mib)
        quiet = fio_iops(t, a.seconds, a.size_mib)
        sh(t, "lab", "exec", "alice", "--", t, "disk", "invalidate-remote", "r0")
        busy = fio_iops(t, a.seconds, a.size_mib)
        busy_state = status(t, "bob")
        wait_in_sync(t)
    finally:
        sh(t, "lab", "down", check=False)
    tm, rm = statistics.median(tcp), statistics.median(resync)
    print(f"| measure | tandem | reference | ratio |\n|---|---|---|---|")
    link = f", link {a.link_mbit} Mbit/s" if a.link_mbit else ", link unshaped"
    peer = ", bob on tmpfs" if a.peer_ram else ""
    print(f"| full resync, unthrottled, {a.size_mib} MiB{link}{peer} | {rm:.0f} MiB/s | TCP copy {tm:.0f} MiB/s | {rm / tm:.2f} |")
    print(f"| 4K random write IOPS qd8 during a resync (default pace) | {busy:.0f} | without a resync {quiet:.0f} | "
          f"{busy / quiet:.2f} |")
    print(f"\nresync rounds (MiB/s): {', '.join(f'{x:.0f}' for x in resync)}; "
          f"TCP rounds (MiB/s): {', '.join(f'{x:.0f}' for x in tcp)}")
    print(f"bob during the busy run: {' '.join(busy_state.split())}")


if __name__ == "__main__":
    main()
