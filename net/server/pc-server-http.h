/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-server-http.h: the signaling server's plain HTTP side: /healthz, /metrics and the browser
 * client's files. No state of its own: PcSignalingServer hands it a snapshot of its counters. */
#pragma once

#include <libsoup/soup.h>

#include "pc-protocol.h"

G_BEGIN_DECLS

/* One counter per PcProtocolError code. */
#define PC_SERVER_N_ERROR_CODES (PC_PROTOCOL_ERROR_RATE_LIMITED + 1)

/* What /metrics reports, as the server counts it. */
typedef struct
{
  guint connections;
  guint registered_users;
  guint active_calls;
  guint pending_calls;
  guint64 messages_relayed;
  const guint64 *errors; /* PC_SERVER_N_ERROR_CODES entries, indexed by PcProtocolError */
} PcServerMetrics;

/* The metrics in Prometheus' text format. */
char *pc_server_metrics_to_text (const PcServerMetrics *metrics);

/* Answers a request that isn't the WebSocket: only GET and HEAD; /healthz, /metrics, else the
 * file under @web_root that pc_web_root_resolve() finds for @path (403/404 when none). */
void pc_server_http_handle (SoupServerMessage *msg,
                            const char *path,
                            const char *web_root,
                            const PcServerMetrics *metrics);

G_END_DECLS
