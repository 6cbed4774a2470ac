#!/usr/bin/env python3
"""Benchmark: tandem's replicated NBD export against qemu-nbd, same run.

Brings up a two-host lab (root needed), makes a protocol C resource r0
with alice Primary and bob replicating, and runs fio (nbd engine) inside
alice against
  - tandem:   nbd+unix:///0?socket=/run/tandem/r0.nbd   (replicated, O_DIRECT)
  - qemu-nbd: a plain file on the same file system, unreplicated,
              --cache=none --aio=native (O_DIRECT, like tandem)
Workloads: 1 MiB sequential write at queue depth 8, 4 KiB random write at
depth 1 and 32, 4 KiB random read at depth 32. Prints a Markdown table
with each figure and the ratio tandem / qemu-nbd.

  bench/disk_nbd.py [--tandem build/src/tandem] [--seconds 15] [--size-mib 1024] [--rounds 3] [--peer-ram]

Each workload runs --rounds times on each target, alternating, and the
median run of each is reported.

--peer-ram puts bob's backing file on bob's private tmpfs (/dev/shm): in
the lab both hosts share one disk, and this shows the replication path
without the second copy competing for that disk.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

WORKLOADS = [
    ("seq-write 1M qd8", dict(rw="write", bs="1M", iodepth=8), "bw"),
    ("rand-write 4K qd1", dict(rw="randwrite", bs="4k", iodepth=1), "iops"),
    ("rand-write 4K qd32", dict(rw="randwrite", bs="4k", iodepth=32), "iops"),
    ("rand-read 4K qd32", dict(rw="randread", bs="4k", iodepth=32), "iops"),
]


def sh(*cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, text=True, capture_output=True, **kw)


def fio(tandem, uri, params, seconds, size_mib):
    args = [tandem, "lab", "exec", "alice", "--", "fio", "--name=bench", "--ioengine=nbd",
            f"--uri={uri}", f"--size={size_mib}M", f"--runtime={seconds}", "--time_based",
            "--output-format=json", "--direct=1", "--randrepeat=0", "--numjobs=1"]
    args += [f"--{k}={v}" for k, v in params.items()]
    out = sh(*args).stdout
    job = json.loads(out[out.index("{"):])["jobs"][0]
    side = job["write"] if "write" in params["rw"] else job["read"]
    return {"bw": side["bw_bytes"] / 2**20, "iops": side["iops"],
            "lat_us": side["clat_ns"]["mean"] / 1000 + side.get("slat_ns", {}).get("mean", 0) / 1000}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tandem", default="build/src/tandem")
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--peer-ram", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    tandem = os.path.abspath(a.tandem)
    work = tempfile.mkdtemp(prefix="tandem-bench.")
    bob_disk = "volume 0 { disk /dev/shm/r0.img; }" if a.peer_ram else ""
    conf = f"""resource r0 {{
    net {{ protocol C; }}
    volume 0 {{ device /dev/drbd0; disk /var/lib/tandem/r0.img; meta-disk internal; }}
    on alice {{ address 198.51.100.1:7789; node-id 0; }}
    on bob {{ address 198.51.100.2:7789; node-id 1; {bob_disk} }}
}}
"""
    open(f"{work}/disk.conf", "w").write(conf)
    size = a.size_mib + 64
    sh(tandem, "lab", "up", "2")
    qemu = None
    try:
        for h in ("alice", "bob"):
            img = "/dev/shm/r0.img" if a.peer_ram and h == "bob" else "/var/lib/tandem/r0.img"
            sh(tandem, "lab", "exec", h, "--", "sh", "-c",
               f"cp {work}/disk.conf /etc/tandem/disk.conf && fallocate -l {size}M {img} && "
               f"{tandem} disk create-md r0 >/dev/null && {tandem} disk up r0")
        sh(tandem, "lab", "exec", "alice", "--", tandem, "disk", "primary", "--force", "r0")
        for _ in range(600):
            st = sh(tandem, "lab", "exec", "bob", "--", tandem, "disk", "status", "r0").stdout
            if "disk:UpToDate" in st and "peer-disk:UpToDate" in st:
                break
            time.sleep(0.5)
        else:
            sys.exit("initial sync did not finish")
        # the reference: a plain preallocated file, same file system
        sh(tandem, "lab", "exec", "alice", "--", "sh", "-c",
           f"fallocate -l {size}M /var/lib/tandem/plain.img")
        qemu = subprocess.Popen([tandem, "lab", "exec", "alice", "--", "qemu-nbd", "--persistent",
                                 "--shared=4", "--format=raw", "--cache=none", "--aio=native",
                                 "--socket=/run/qemu-plain.nbd", "/var/lib/tandem/plain.img"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        uris = {"tandem": "nbd+unix:///0?socket=/run/tandem/r0.nbd",
                "qemu-nbd": "nbd+unix:///?socket=/run/qemu-plain.nbd"}
        # the lab's round trip, for the depth-1 latency target
        out = sh(tandem, "lab", "exec", "alice", "--", "ping", "-q", "-c", "200", "-i", "0.002",
                 "198.51.100.2").stdout
        rtt_us = float(out.strip().splitlines()[-1].split("=")[1].split("/")[1]) * 1000
        # The lab's virtual disk is shared with the host and its speed
        # drifts: run the two targets alternately, --rounds times, and
        # report the median of each.
        rows = []
        for name, params, metric in WORKLOADS:
            runs = {k: [] for k in uris}
            for _ in range(a.rounds):
                for k, u in uris.items():
                    runs[k].append(fio(tandem, u, params, a.seconds, a.size_mib))
            res = {k: sorted(v, key=lambda r: r[metric])[len(v) // 2] for k, v in runs.items()}
            rows.append((name, metric, res))
        peer = "peer on RAM" if a.peer_ram else "peer on the same disk"
        print(f"| workload | tandem (C, replicated, {peer}) | qemu-nbd (plain file) | ratio |")
        print(f"|---|---|---|---|")
        for name, metric, res in rows:
            t, q = res["tandem"], res["qemu-nbd"]
            unit = "MiB/s" if metric == "bw" else "IOPS"
            print(f"| {name} | {t[metric]:.0f} {unit} ({t['lat_us']:.0f} us) | "
                  f"{q[metric]:.0f} {unit} ({q['lat_us']:.0f} us) | {t[metric] / q[metric]:.2f} |")
        t1, q1 = rows[1][2]["tandem"], rows[1][2]["qemu-nbd"]
        print(f"\nlab round trip (ping, mean): {rtt_us:.0f} us; depth-1 write latency: tandem "
              f"{t1['lat_us']:.0f} us, qemu-nbd {q1['lat_us']:.0f} us, target <= "
              f"{q1['lat_us'] + rtt_us + 50:.0f} us: {'met' if t1['lat_us'] <= q1['lat_us'] + rtt_us + 50 else 'NOT met'}")
    finally:
        if qemu:
            qemu.terminate()
        sh(tandem, "lab", "down", check=False)
        sh("rm", "-rf", work, check=False)


if __name__ == "__main__":
    main()
