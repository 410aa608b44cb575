/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-signaling-server.h: the wire protocol v1 server behind peercall-signal (libsoup 3,
 * single-threaded, runs on the thread-default main context it was created in). */
#pragma once

#include <gio/gio.h>

#include "pc-connection-limits.h"

G_BEGIN_DECLS

#define PC_TYPE_SIGNALING_SERVER (pc_signaling_server_get_type ())
G_DECLARE_FINAL_TYPE (PcSignalingServer, pc_signaling_server, PC, SIGNALING_SERVER, GObject)

/* Properties (set them before pc_signaling_server_listen()):
 *   "token-secret"       GBytes*  when set, `hello` needs a valid token (--auth token)
 *   "turn-urls"          GStrv    TURN URLs handed out in `welcome` with credentials
 *   "turn-secret"        GBytes*  coturn static-auth-secret for those credentials
 *   "turn-ttl"           guint    lifetime of TURN credentials in seconds (86400)
 *   "stun-urls"          GStrv    STUN URLs handed out in `welcome`
 *   "rate-limit"         double   messages per second per connection (50)
 *   "rate-burst"         double   bucket size (200)
 *   "web-root"           string   directory served at GET / (nullable: then 404)
 *   "tls-certificate"    GTlsCertificate*  https/wss when set
 *   "keepalive-interval" guint    seconds between WebSocket pings (10)
 *   "idle-timeout"       guint    seconds without any frame or pong before a peer is dropped (25)
 *   "hello-timeout"      guint    seconds a connection may stay open without signing in (30)
 */

PcSignalingServer *pc_signaling_server_new (void);

/* Starts listening on @address:@port (@port 0 picks a free one). */
gboolean pc_signaling_server_listen (PcSignalingServer *self,
                                     GInetAddress *address,
                                     guint16 port,
                                     GError **error);

/* ws://ADDR:PORT/ws (wss:// with TLS) once listening, else NULL. */
const char *pc_signaling_server_get_url (PcSignalingServer *self);

/* The caps on open connections (set them before or after listening); owned by the server. */
PcConnectionLimits *pc_signaling_server_get_connection_limits (PcSignalingServer *self);

guint pc_signaling_server_get_n_connections (PcSignalingServer *self);

/* Stops listening, closes every WebSocket with 1001 and completes when they are all closed
 * (peers that don't answer are cut after a short grace period). */
void pc_signaling_server_shutdown_async (PcSignalingServer *self,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer user_data);
gboolean
pc_signaling_server_shutdown_finish (PcSignalingServer *self, GAsyncResult *result, GError **error);

G_END_DECLS
