/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-connection-limits.h: caps on open WebSockets, in total and per client address
 * (--max-connections, --max-connections-per-ip). An upgrade over a cap is answered with HTTP 503
 * and Retry-After before any WebSocket exists. IPv6 clients count per /64, since one host
 * usually holds a whole /64. Reference counted: tracked connections keep it alive. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define PC_CONNECTION_LIMITS_DEFAULT_MAX 10000
#define PC_CONNECTION_LIMITS_DEFAULT_MAX_PER_IP 64

typedef struct _PcConnectionLimits PcConnectionLimits;

PcConnectionLimits *pc_connection_limits_new (void);
PcConnectionLimits *pc_connection_limits_ref (PcConnectionLimits *limits);
void pc_connection_limits_unref (PcConnectionLimits *limits);

/* 0 means no cap. Existing connections are never cut, only new ones refused. */
void pc_connection_limits_set_caps (PcConnectionLimits *limits, guint max_total, guint max_per_ip);

/* TRUE (and @msg answered 503) when one more connection from @msg's client would pass a cap. */
gboolean pc_connection_limits_refuse (PcConnectionLimits *limits, SoupServerMessage *msg);

/* Counts @ws against the caps until it closes. */
void pc_connection_limits_track (PcConnectionLimits *limits,
                                 SoupServerMessage *msg,
                                 SoupWebsocketConnection *ws);

guint pc_connection_limits_get_n_refused (PcConnectionLimits *limits);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcConnectionLimits, pc_connection_limits_unref)

G_END_DECLS
