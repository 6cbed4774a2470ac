/* lrm_history.h: operation results into the CIB's status section, where
 * Pacemaker keeps each node's resource history:
 *   /cib/status/node_state[@id=N]/lrm[@id=N]/lrm_resources/
 *       lrm_resource[@id=RSC]/lrm_rsc_op[@id=...]
 * A result becomes a replication change (cib_sync.h) made against the
 * current CIB, so that every member records it alike; a status-only
 * change, it counts num_updates. */
#pragma once

#include <libxml/tree.h>

#include "cib_sync.h"
#include "executor.h"

/* The change that records res of req for node (node_id as in <nodes>,
 * node_name its uname) into cib's status: creating what is missing of
 * the path, replacing an entry with the same id (RSC_last_0,
 * RSC_last_failure_0 when `failure`, RSC_monitor_INTERVAL). from and id
 * go into the message. Returns 0 and the change, or a negative errno. */
int lrm_history_change(xmlDoc *cib, uint32_t from, uint64_t id, const char *node_id, const char *node_name,
                       const struct exec_request *req, const struct exec_result *res,
                       const char *transition_key, bool failure, struct cib_msg **ret);
