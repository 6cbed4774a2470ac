/* net.h: the lab's network: persistent network namespaces, the switch
 * (a bridge in a namespace of its own), one veth cable per host, and cut
 * links as nftables drop rules inside the hosts' namespaces. */
#pragma once

#include <stdbool.h>

/* Create a network namespace and keep it by bind-mounting it on `path`
 * (a file this creates). Loopback is brought up. */
int net_ns_create(const char *path);

/* Unmount and remove a namespace file made by net_ns_create. Missing is
 * fine. */
int net_ns_remove(const char *path);

/* Run argv with the calling process's stdio inside the network namespace
 * bound at `path`. Returns 0 when it exits 0; otherwise prints nothing of
 * its own (the program's stderr is shown) and returns -EIO. */
int net_ns_run(const char *path, char *const *argv);

/* Create the bridge "lab" in the switch namespace. */
int net_switch_create(const char *switch_path);

/* Cable host `name` (namespace at host_path) to the switch: a veth whose
 * switch end is called `name`, host end `eth0` with address `addr`/24. */
int net_cable(const char *switch_path, const char *host_path, const char *name, const char *addr);

/* Install in the host namespace at host_path a drop rule set for traffic
 * from and to each of the n addresses in `blocked` (n may be 0: no rule). */
int net_set_blocked(const char *host_path, const char *const *blocked, unsigned n);
