/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-call.h: one call (outgoing or incoming) as seen by the app and the UI. PcCallManager creates
 * and drives it; everything else only reads it and listens to its notify/signals. */
#pragma once

#include <glib-object.h>

#include "pc-call-session.h"

G_BEGIN_DECLS

typedef enum
{
  PC_CALL_DIRECTION_OUTGOING,
  PC_CALL_DIRECTION_INCOMING,
} PcCallDirection;

/* The states of DESIGN.md's `call-state` event, in order. */
typedef enum
{
  PC_CALL_STATE_INVITING,   /* outgoing: invite sent, no `ringing` yet */
  PC_CALL_STATE_RINGING,    /* outgoing: callee rings; incoming: waiting for the user */
  PC_CALL_STATE_CONNECTING, /* accepted: negotiating ICE/DTLS */
  PC_CALL_STATE_CONNECTED,  /* media flows */
  PC_CALL_STATE_ENDED,      /* final; see "end-reason" */
} PcCallState;

/* End reasons are strings, the wire words: "normal", "cancelled", "timeout", "failed",
 * "declined", "busy", "unavailable", "peer-gone", plus "error" for a local failure (signaling
 * lost before media, server error such as unknown-peer). */
#define PC_CALL_END_NORMAL "normal"
#define PC_CALL_END_CANCELLED "cancelled"
#define PC_CALL_END_TIMEOUT "timeout"
#define PC_CALL_END_FAILED "failed"
#define PC_CALL_END_DECLINED "declined"
#define PC_CALL_END_BUSY "busy"
#define PC_CALL_END_UNAVAILABLE "unavailable"
#define PC_CALL_END_PEER_GONE "peer-gone"
#define PC_CALL_END_ERROR "error"

#define PC_TYPE_CALL_DIRECTION (pc_call_direction_get_type ())
GType pc_call_direction_get_type (void);
#define PC_TYPE_CALL_STATE (pc_call_state_get_type ())
GType pc_call_state_get_type (void);

/* "outgoing"/"incoming" and "inviting"/.../"ended", as in the events */
const char *pc_call_direction_to_string (PcCallDirection direction);
const char *pc_call_state_to_string (PcCallState state);

#define PC_TYPE_CALL (pc_call_get_type ())
G_DECLARE_FINAL_TYPE (PcCall, pc_call, PC, CALL, GObject)

/* Properties (all read-only for users of PcCall; notify on real change):
 *   "id"            char*            the wire call id (construct-only)
 *   "peer"          char*            the other user (construct-only)
 *   "peer-name"     char*            their display name (falls back to "peer")
 *   "direction"     PcCallDirection  construct-only
 *   "state"         PcCallState
 *   "end-reason"    char*            NULL until ended
 *   "ended-locally" gboolean         TRUE when this side hung up/declined/timed out
 *   "video"         gboolean         the call was placed/accepted as a video call
 *   "session"       PcCallSession*   NULL until media is prepared, kept after the end
 *   "start-time"    gint64           g_get_monotonic_time () when it became connected, 0 before
 *   "created-time"  gint64           g_get_monotonic_time () when the call object was made
 *   "remote-video"  gboolean         the peer's description sends video to us (a video m-line
 *                                    that is not recvonly/inactive)
 *
 * Signals: the session's media signals, re-emitted on the main context so listeners need not
 * follow "session":
 *   "ice-state"   (const char *state, const char *local_type, const char *remote_type)
 *   "first-frame" (const char *kind, guint width, guint height)
 *   "remote-track" (const char *kind, const char *mid, guint width, guint height)  a further
 *                 remote video m-line (e.g. a browser's added screen share) decoded its first frame
 *   "stats"       (PcCallStats *stats)
 *   "latency"     (double ms)
 *   "video-source-changed" (const char *kind)  the outgoing video switched ("camera", "screen",
 *                 "test", "none"), e.g. screen sharing started or its portal session ended
 *   "negotiation" (const char *sdp_type)       a local offer/answer was made
 */

const char *pc_call_get_id (PcCall *self);
const char *pc_call_get_peer (PcCall *self);
const char *pc_call_get_peer_name (PcCall *self);
PcCallDirection pc_call_get_direction (PcCall *self);
PcCallState pc_call_get_state (PcCall *self);
const char *pc_call_get_end_reason (PcCall *self);
gboolean pc_call_get_ended_locally (PcCall *self);
gboolean pc_call_get_video (PcCall *self);
PcCallSession *pc_call_get_session (PcCall *self);
gint64 pc_call_get_start_time (PcCall *self);
gint64 pc_call_get_created_time (PcCall *self);
gboolean pc_call_get_remote_video (PcCall *self);
/* Seconds connected so far (0 before connected; frozen once ended). */
double pc_call_get_duration (PcCall *self);

gboolean pc_call_is_active (PcCall *self); /* not ended */

G_END_DECLS
