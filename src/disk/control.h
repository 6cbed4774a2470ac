/* control.h: tandem-diskd's control commands (up, down, primary, status,
 * ...) behind its control socket; the protocol is docs/control-protocol.md,
 * the commands are listed there too. */
#pragma once

#include <jansson.h>

#include "hashmap.h"
#include "resource.h"

struct nbd_server;

struct diskd {
        struct diskd_env env;
        const char *config_path;
        struct hashmap *resources;  /* name -> struct resource*, in `up` order */
        struct nbd_server *nbd_tcp; /* --nbd-tcp: every Primary's volumes as "RES/N" */
        struct ctl_server *ctl;     /* the control socket, for deferred replies */
};

/* Serve the volumes of every Primary resource on a TCP address too, as
 * exports "RES/N" ("RES" = volume 0). Returns a negative errno with a
 * logged reason. */
int diskd_listen_nbd_tcp(struct diskd *d, const char *address);

/* Set up d (hostname, resources map). */
int diskd_init(struct diskd *d, sd_event *loop, struct io_ring *ring, const char *config_path,
               const char *run_dir);

/* Take every resource down (at daemon exit), as cleanly as it can. */
void diskd_shutdown(struct diskd *d);

/* The ctl_handler_t of the daemon. */
int diskd_handle_request(const char *command, json_t *args, json_t *request, json_t **ret_reply,
                         void *userdata);
