/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-call-manager.h: the calls of one PcSignalingClient: routes its messages by call id to the
 * one current call (a PcActiveCall drives it and its PcCallSession), refuses a second one and
 * keeps the contact list (PcContactList). Independent of PcApplication and GSettings: whoever
 * creates it passes plain values. */
#pragma once

#include <gio/gio.h>

#include "pc-call-session.h"
#include "pc-call.h"
#include "pc-contact.h"
#include "pc-ice-config.h"
#include "pc-media-source.h"
#include "pc-signaling-client.h"

G_BEGIN_DECLS

#define PC_CALL_ERROR (pc_call_error_quark ())

/* Local refusals of call-manager requests. Failures from below keep their own domains
 * (PC_SIGNALING_ERROR, PC_PROTOCOL_ERROR, PC_MEDIA_ERROR). */
typedef enum
{
  PC_CALL_ERROR_NOT_REGISTERED, /* start_call before `welcome` */
  PC_CALL_ERROR_BUSY,           /* already in a call */
  PC_CALL_ERROR_INVALID_PEER,   /* bad user name, or yourself */
  PC_CALL_ERROR_WRONG_STATE,    /* accept on an outgoing/ended call, ... */
} PcCallErrorCode;

/* Seconds an unanswered call rings before both sides end it with reason "timeout". */
#define PC_CALL_MANAGER_DEFAULT_RING_TIMEOUT 45

#define PC_TYPE_CALL_MANAGER (pc_call_manager_get_type ())
G_DECLARE_FINAL_TYPE (PcCallManager, pc_call_manager, PC, CALL_MANAGER, GObject)

/* Properties:
 *   "server-url", "user", "name", "token"   char*   construct-only (name/token nullable)
 *   "ice-config"      PcIceConfig*   construct-only: local policy, local addresses and the
 *                                    user's extra servers; the `welcome` servers are added per call
 *   "video-source"    PcMediaSourceKind  read-write (used for the next call)
 *   "audio-source"    PcMediaSourceKind  read-write
 *   "latency-probe"   gboolean       read-write (next call)
 *   "auto-answer"     gboolean       read-write: accept incoming calls at once
 *   "ring-timeout"    guint          seconds, default 45
 *   "signaling-state" PcSignalingState  read-only, notify (for a "reconnecting" indicator)
 *   "current-call"    PcCall*        read-only, notify: the call that is not ended, or NULL
 *   "contacts"        GListModel*    read-only: PcContact items, sorted by name, never yourself;
 *                                    offline users stay in the list with status offline
 *
 * Signals (main context):
 *   "registered"    ()               after every `welcome` (also after a reconnect)
 *   "call-added"    (PcCall *call)   a new call object exists (either direction, before its first
 *                                    state is announced); listen to notify::state from here
 *   "incoming-call" (PcCall *call)   an invite rings here (state ringing)
 *   "call-ended"    (PcCall *call)   the call reached state ended (end-reason set)
 *   "presence"      (PcContact *contact)  a contact appeared or changed status
 *   "error"         (GError *error)  something the user should see (toast): server `error`,
 *                                    connection failures, media errors (camera missing, ...)
 *
 * Signaling outages: media is peer to peer, so a connected call outlives the server's idea of
 * it. When our connection drops, a call not yet connected ends (reason "error"); a connected
 * one stays connected while the client reconnects. `hangup` peer-gone for a connected call
 * whose media arrives does not end it at once either. Such a call, which the server no longer
 * tracks, ends with "peer-gone" once the peer's media stopped for 2 s (or at once when none
 * arrives, or when ICE disconnects after peer-gone). Once both are signed in again, the caller
 * re-sends `invite` with the same call id and video flag; the callee answers that at once with
 * `accept` (no ringing, no new state, no renegotiation), and the server tracks the call again.
 */

PcCallManager *pc_call_manager_new (const char *server_url,
                                    const char *user,
                                    const char *name,
                                    const char *token,
                                    PcIceConfig *ice_config);

/* Connects to the server (hello/welcome), reconnecting by itself after drops. Failures are reported
 * through "error" and the returned task; a fatal one (auth-failed, user-taken, bad URL) stops. */
void pc_call_manager_connect_async (PcCallManager *self,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data);
gboolean pc_call_manager_connect_finish (PcCallManager *self, GAsyncResult *result, GError **error);
/* Fire-and-forget form of connect_async: errors go to "error". */
void pc_call_manager_connect (PcCallManager *self);
/* Ends any call (hangup normal) and closes the connection. */
void pc_call_manager_disconnect (PcCallManager *self);

/* Places a call: creates the PcCall (state inviting), sends `invite` and prepares media at once.
 * Returns a new reference, or NULL with PC_CALL_ERROR / PC_SIGNALING_ERROR. */
PcCall *pc_call_manager_start_call (PcCallManager *self,
                                    const char *peer_user,
                                    gboolean video,
                                    GError **error);
/* Incoming call in state ringing: sends `accept` and starts media as the answerer. video FALSE
 * answers with the camera off. */
gboolean pc_call_manager_accept (PcCallManager *self, PcCall *call, gboolean video, GError **error);
/* Incoming ringing call: sends `decline` with reason "declined"/"busy"/"unavailable". */
gboolean
pc_call_manager_decline (PcCallManager *self, PcCall *call, const char *reason, GError **error);
/* Any active call: sends `hangup` (reason "cancelled" before the answer on an outgoing call,
 * "normal" otherwise) and ends it locally. */
void pc_call_manager_hangup (PcCallManager *self, PcCall *call);

PcCall *pc_call_manager_get_current_call (PcCallManager *self);
GListModel *pc_call_manager_get_contacts (PcCallManager *self);
PcContact *pc_call_manager_lookup_contact (PcCallManager *self, const char *user); /* nullable */
PcSignalingState pc_call_manager_get_signaling_state (PcCallManager *self);
PcSignalingClient *pc_call_manager_get_signaling_client (PcCallManager *self);
const char *pc_call_manager_get_user (PcCallManager *self);
const char *pc_call_manager_get_name (PcCallManager *self);
const char *pc_call_manager_get_server_url (PcCallManager *self);

void pc_call_manager_set_video_source (PcCallManager *self, PcMediaSourceKind kind);
PcMediaSourceKind pc_call_manager_get_video_source (PcCallManager *self);
void pc_call_manager_set_audio_source (PcCallManager *self, PcMediaSourceKind kind);
PcMediaSourceKind pc_call_manager_get_audio_source (PcCallManager *self);
void pc_call_manager_set_latency_probe (PcCallManager *self, gboolean latency_probe);
void pc_call_manager_set_auto_answer (PcCallManager *self, gboolean auto_answer);
gboolean pc_call_manager_get_auto_answer (PcCallManager *self);
void pc_call_manager_set_ring_timeout (PcCallManager *self, guint seconds);

/* A short stable code for an error from any layer, as printed in the `error` event:
 * the protocol codes (bad-message, unknown-peer, ...), connection-refused, connection-lost,
 * invalid-url, tls, handshake, not-connected, device-missing, device-busy, ice-failed,
 * pipeline, negotiation, screencast, dtls-fingerprint, not-registered, busy, invalid-peer,
 * wrong-state, or "error".
 */
const char *pc_call_manager_error_code (const GError *error);

GQuark pc_call_error_quark (void);

G_END_DECLS
