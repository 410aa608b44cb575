/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-signaling-client.h: libsoup 3 WebSocket client for wire protocol v1. */
#pragma once

#include <gio/gio.h>

#include "pc-protocol.h"

G_BEGIN_DECLS

#define PC_SIGNALING_ERROR (pc_signaling_error_quark ())

/* Connection-level failures. Server `error` messages are reported with PC_PROTOCOL_ERROR. */
typedef enum
{
  PC_SIGNALING_ERROR_INVALID_URL,
  PC_SIGNALING_ERROR_CONNECTION_REFUSED,
  PC_SIGNALING_ERROR_CONNECTION_LOST,
  PC_SIGNALING_ERROR_TLS,
  PC_SIGNALING_ERROR_HANDSHAKE,
  PC_SIGNALING_ERROR_NOT_CONNECTED,
} PcSignalingError;

typedef enum
{
  PC_SIGNALING_STATE_DISCONNECTED,
  PC_SIGNALING_STATE_CONNECTING,
  PC_SIGNALING_STATE_REGISTERED,   /* `welcome` received */
  PC_SIGNALING_STATE_RECONNECTING, /* dropped; waiting for the next backoff attempt */
} PcSignalingState;

#define PC_TYPE_SIGNALING_STATE (pc_signaling_state_get_type ())
GType pc_signaling_state_get_type (void);

#define PC_TYPE_SIGNALING_CLIENT (pc_signaling_client_get_type ())
G_DECLARE_FINAL_TYPE (PcSignalingClient, pc_signaling_client, PC, SIGNALING_CLIENT, GObject)

/* Properties: "url", "user", "name", "token" (construct-only strings), "state" (PcSignalingState,
 * read-only, notify on change), "auto-reconnect" (gboolean, default TRUE), "keepalive-interval"
 * (guint seconds between pings, default 15, 0 = off; with no frame or pong for 3 intervals the
 * connection counts as lost; applies from the next connection).
 *
 * Signals (all emitted on the thread-default main context the client was created in):
 *   "registered"   (PcMessage *welcome)                      after each `welcome` (also after
 * reconnect) "presence"     (const char *user, const char *name, PcPresence status) "message"
 * (PcMessage *message)                      every relayed call message (invite, ringing, accept,
 * decline, hangup, sdp, ice) with `from` set "server-error" (GError *error, const char *ref, const
 * char *call)   an `error` message; error in PC_PROTOCOL_ERROR, message = server's human text
 *   "disconnected" (GError *error)                            connection lost or closed; error is
 *                  NULL for a local disconnect. Fatal close codes (4001/4002/4003) map to
 *                  PC_PROTOCOL_ERROR auth-failed/user-taken/unsupported-version and stop
 * reconnecting. Emitted when a registered connection ends (state goes RECONNECTING, or DISCONNECTED
 * when reconnecting is off or impossible) and when reconnecting gives up; never for a failed
 * connect_async() (its callback has the error).
 *
 * URLs: ws:// or wss:// (http:// and https:// are accepted as the same); an empty path means /ws.
 * While reconnecting, state alternates CONNECTING (an attempt) and RECONNECTING (waiting 0.5 s,
 * doubling to 30 s, ±20 % jitter). A user-taken refusal right after a drop is retried for ~30 s
 * (the server may not have noticed the old connection yet). Environment: PEERCALL_TLS_CA_FILE=F
 * trusts only the PEM certificates in F for wss:// (self-signed test or private servers).
 * Use the client from the thread that created it.
 */

PcSignalingClient *
pc_signaling_client_new (const char *url, const char *user, const char *name, const char *token);

/* Connects and sends `hello`. Completes when `welcome` arrives (returns it) or fails with a clear
 * error: invalid URL, connection refused, auth-failed, user-taken, unsupported-version. */
void pc_signaling_client_connect_async (PcSignalingClient *self,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer user_data);
PcMessage *
pc_signaling_client_connect_finish (PcSignalingClient *self, GAsyncResult *result, GError **error);

void pc_signaling_client_disconnect (PcSignalingClient *self);

PcSignalingState pc_signaling_client_get_state (PcSignalingClient *self);
const char *pc_signaling_client_get_user (PcSignalingClient *self);
/* The most recent `welcome` (peers, ice servers), or NULL before registration. */
PcMessage *pc_signaling_client_get_welcome (PcSignalingClient *self);

/* Sends any client -> server message (validated first). FALSE + error when not connected or
 * the message is invalid. */
gboolean pc_signaling_client_send (PcSignalingClient *self, PcMessage *message, GError **error);

/* Convenience senders */
gboolean pc_signaling_client_send_invite (
    PcSignalingClient *self, const char *to, const char *call, gboolean video, GError **error);
gboolean pc_signaling_client_send_ringing (PcSignalingClient *self,
                                           const char *to,
                                           const char *call,
                                           GError **error);
gboolean pc_signaling_client_send_accept (PcSignalingClient *self,
                                          const char *to,
                                          const char *call,
                                          GError **error);
gboolean pc_signaling_client_send_decline (
    PcSignalingClient *self, const char *to, const char *call, const char *reason, GError **error);
gboolean pc_signaling_client_send_hangup (
    PcSignalingClient *self, const char *to, const char *call, const char *reason, GError **error);
gboolean pc_signaling_client_send_sdp (PcSignalingClient *self,
                                       const char *to,
                                       const char *call,
                                       const char *sdp_type,
                                       const char *sdp,
                                       GError **error);
/* candidate == NULL sends end-of-candidates (null) */
gboolean pc_signaling_client_send_ice (PcSignalingClient *self,
                                       const char *to,
                                       const char *call,
                                       const char *candidate,
                                       const char *sdp_mid,
                                       gint sdp_mline_index,
                                       GError **error);

GQuark pc_signaling_error_quark (void);

G_END_DECLS
