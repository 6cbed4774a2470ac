/* lab.h: `tandem lab`, a cluster of N hosts on one Linux machine.
 *
 * Each host is a network namespace (kept by a bind mount, so it outlives
 * the host's processes like a NIC outlives a power cut) plus, while the
 * host runs, a PID, mount and UTS namespace whose PID 1 is a small init
 * (host.c). The hosts' eth0 interfaces hang on a bridge inside a separate
 * "switch" namespace (net.c), on 198.51.100.0/24, so nothing of the lab
 * has an address in the machine's own namespace. docs/lab.md describes
 * the layout on disk and every command. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

/* Where a lab keeps its state: TANDEM_LAB_ROOT (an absolute path) or
 * /var/lib/tandem-lab. Labs with different roots run side by side: each
 * has its own switch namespace, so their addresses never meet. */
#define LAB_ROOT_DEFAULT "/var/lib/tandem-lab"
const char *lab_root(void);
#define LAB_MAX_HOSTS 32
#define LAB_SUBNET "198.51.100"

/* All calls print their own errors to stderr (this is command-line code)
 * and return 0 or a negative errno. */

/* Create N hosts, write their corosync.conf, boot them and wait until the
 * cluster daemon on every host sees all N members with quorum. */
int lab_up(unsigned n);
/* Stop every host, remove every namespace, mount and lab file. Tolerates
 * a half-built lab. */
int lab_down(void);
/* Print hosts, addresses, run state and cut links. */
int lab_status(FILE *out);
/* Run argv on host `node`, stdio inherited; returns the command's exit
 * status (0..255, 128+signal) or a negative errno when it could not run. */
int lab_exec(const char *node, char **argv);
/* Drop all traffic between `node` and `peer` (or every other host when
 * peer is NULL), in both directions. */
int lab_cut(const char *node, const char *peer);
/* Undo cuts involving `node`, or all cuts when node is NULL. */
int lab_heal(const char *node);
/* Kill every process of `node` at once, as a power loss would. */
int lab_crash(const char *node);
/* Start a crashed (or stopped) host again, with its services. */
int lab_boot(const char *node);

/* Host name of host number i (0-based): alice, bob, ..., heidi, node9, ... */
void lab_host_name(unsigned i, char *buf, size_t size);
