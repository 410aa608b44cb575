/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-active-call.h: the one call that is not ended yet, as PcCallManager drives it: its
 * PcCallSession's signals, the local descriptions and candidates held back until `accept`, the
 * ring timer, the messages of its peer and the supervision during signaling outages. The manager
 * routes to it by call id and keeps the one-call policy; only this unit listens to the session. */
#pragma once

#include <glib-object.h>

#include "pc-call.h"
#include "pc-contact-list.h"
#include "pc-signaling-client.h"

G_BEGIN_DECLS

/* Whether the server follows the connected call. Media is peer to peer and goes on without it:
 * an unsupervised call ends once the peer's media stops; the caller re-sends `invite` with the
 * same call id once both are signed in again ("restoring"), and `accept` makes it supervised. */
typedef enum
{
  PC_CALL_SUPERVISION_TRACKED,   /* the server tracks the call (also before connected) */
  PC_CALL_SUPERVISION_UNTRACKED, /* it does not: the call ends when media stops */
  PC_CALL_SUPERVISION_RESTORING, /* untracked; our restoring `invite` awaits an answer */
  PC_CALL_SUPERVISION_PEER_GONE, /* untracked after `hangup` peer-gone: ICE trouble ends it too */
  /* peer-gone, and our restoring `invite` awaits an answer */
  PC_CALL_SUPERVISION_PEER_GONE_RESTORING,
} PcCallSupervision;

#define PC_TYPE_ACTIVE_CALL (pc_active_call_get_type ())
G_DECLARE_FINAL_TYPE (PcActiveCall, pc_active_call, PC, ACTIVE_CALL, GObject)

/* Signals (main context):
 *   "error" (GError *error)  something the user should see; the manager re-emits it
 *   "ended" ()               the call reached state ended (emitted once, from pc_active_call_end)
 */

/* contacts: to see whether the peer is back before restoring the call. */
PcActiveCall *pc_active_call_new (PcCall *call, PcSignalingClient *client, PcContactList *contacts);
PcCall *pc_active_call_get_call (PcActiveCall *self);

/* seconds 0: no timer. On expiry a call still inviting/ringing ends with "timeout". */
void pc_active_call_start_ring_timer (PcActiveCall *self, guint seconds);
void pc_active_call_stop_ring_timer (PcActiveCall *self);

/* Subscribes to `session`, gives it to the call and starts it (camera off for an audio call);
 * on failure reports the error and ends the call as failed. */
gboolean pc_active_call_start_media (PcActiveCall *self, PcCallSession *session, gboolean offerer);

/* A message of this call from its peer (an `invite` again: the caller restores the call). */
void pc_active_call_handle_message (PcActiveCall *self, PcMessage *message);
/* A server `error` about this call; `ref` is the request it answers (nullable). */
void pc_active_call_handle_server_error (PcActiveCall *self, const GError *error, const char *ref);
/* Our signaling connection dropped. */
void pc_active_call_signaling_lost (PcActiveCall *self);
/* Caller side: once signed in again and the peer is back, ask the server to track the call
 * again (with the same call id). */
void pc_active_call_maybe_restore (PcActiveCall *self);

/* Ends the call with `reason`. send_type PC_MESSAGE_HANGUP/DECLINE tells the peer first;
 * PC_MESSAGE_UNKNOWN sends nothing (the peer ended it, or the server did). */
void pc_active_call_end (PcActiveCall *self,
                         const char *reason,
                         gboolean locally,
                         PcMessageType send_type);
/* Stops everything and closes the session now, without ending the call (shutdown). */
void pc_active_call_close (PcActiveCall *self);

G_END_DECLS
