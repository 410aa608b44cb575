/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-active-call"

#include "config.h"

#include "pc-active-call.h"
#include "pc-call-private.h"
#include "pc-sdp.h"

/* A connected call that the server no longer tracks (a connection dropped, or the server
 * restarted) goes on while the peer's media keeps arriving: polled this often, it ends once no
 * video frame was decoded for MEDIA_STALL_US and the last stats (a second's worth) counted no
 * RTP bytes received. The stats, not a clock, decide for audio: on a loaded machine they come
 * late, never falsely empty. */
#define MEDIA_POLL_MS 250
#define MEDIA_STALL_US (2 * G_TIME_SPAN_SECOND)

enum
{
  SIGNAL_ERROR,
  SIGNAL_ENDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* One queued local description or candidate: an outgoing call prepares media while it rings,
 * but nothing may reach the callee before it accepted. */
typedef struct
{
  PcMessageType type;
  char *sdp_type;
  char *sdp;
  char *candidate;
  char *sdp_mid;
  gint mline_index;
} PendingSignal;

struct _PcActiveCall
{
  GObject parent_instance;

  PcCall *call;
  PcSignalingClient *client;
  PcContactList *contacts;

  guint ring_timeout_id;
  gboolean accepted; /* outgoing: `accept` arrived, queued signals may go out */
  GQueue pending;    /* of PendingSignal*, for an outgoing call before `accept` */

  /* Signaling outages of the connected call (media is peer to peer and goes on) */
  PcCallSupervision supervision;
  guint media_watch_id; /* polls the remote media while connected */
  guint64 media_frames; /* remote video frames decoded at the last poll */
  gint64 media_seen_us; /* monotonic time media_frames last grew, 0: never */
  gboolean stats_quiet; /* the last stats counted no RTP received (or none came yet) */
};

G_DEFINE_FINAL_TYPE (PcActiveCall, pc_active_call, G_TYPE_OBJECT)

static void
pending_signal_free (PendingSignal *pending)
{
  g_free (pending->sdp_type);
  g_free (pending->sdp);
  g_free (pending->candidate);
  g_free (pending->sdp_mid);
  g_free (pending);
}

static void
clear_pending (PcActiveCall *self)
{
  g_queue_clear_full (&self->pending, (GDestroyNotify)pending_signal_free);
}

static void
emit_error (PcActiveCall *self, const GError *error)
{
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, error);
}

/* Handlers and timers act only until the call ended. */
static gboolean
is_live (PcActiveCall *self)
{
  return self->call != NULL && pc_call_is_active (self->call);
}

/* Sending */

static void
send_or_report (PcActiveCall *self, gboolean ok, GError *error)
{
  if (!ok && error != NULL)
    {
      g_warning ("could not send: %s", error->message);
      emit_error (self, error);
    }
}

static void
send_sdp (PcActiveCall *self, const char *sdp_type, const char *sdp)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = pc_signaling_client_send_sdp (self->client, pc_call_get_peer (self->call),
                                              pc_call_get_id (self->call), sdp_type, sdp, &error);

  send_or_report (self, ok, error);
}

static void
send_candidate (PcActiveCall *self, const char *candidate, const char *sdp_mid, gint mline_index)
{
  g_autoptr (GError) error = NULL;
  gboolean ok;

  ok = pc_signaling_client_send_ice (self->client, pc_call_get_peer (self->call),
                                     pc_call_get_id (self->call), candidate, sdp_mid, mline_index,
                                     &error);
  send_or_report (self, ok, error);
}

static void
flush_pending (PcActiveCall *self)
{
  PendingSignal *pending;

  while ((pending = g_queue_pop_head (&self->pending)) != NULL)
    {
      if (pending->type == PC_MESSAGE_SDP)
        send_sdp (self, pending->sdp_type, pending->sdp);
      else
        send_candidate (self, pending->candidate, pending->sdp_mid, pending->mline_index);
      pending_signal_free (pending);
    }
}

/* May the call's local signals go to the peer now? */
static gboolean
can_send_media_signals (PcActiveCall *self)
{
  return pc_call_get_direction (self->call) == PC_CALL_DIRECTION_INCOMING || self->accepted;
}

/* Signaling outages. The server ends a call when either party's connection drops, but the
 * media does not go through it: a connected call goes on "unsupervised" while the peer's media
 * keeps arriving, and the caller re-sends `invite` with the same call id once both are signed
 * in again, which the callee answers with `accept` at once (no ringing, no new negotiation), so
 * that the server tracks the call again. */

static gboolean
is_unsupervised (PcActiveCall *self)
{
  return self->supervision != PC_CALL_SUPERVISION_TRACKED;
}

static gboolean
is_peer_gone (PcActiveCall *self)
{
  return self->supervision == PC_CALL_SUPERVISION_PEER_GONE
         || self->supervision == PC_CALL_SUPERVISION_PEER_GONE_RESTORING;
}

static gboolean
is_restoring (PcActiveCall *self)
{
  return self->supervision == PC_CALL_SUPERVISION_RESTORING
         || self->supervision == PC_CALL_SUPERVISION_PEER_GONE_RESTORING;
}

/* Untracked, no restoring `invite` in flight (a peer gone stays gone). */
static void
stop_restoring (PcActiveCall *self)
{
  self->supervision
      = is_peer_gone (self) ? PC_CALL_SUPERVISION_PEER_GONE : PC_CALL_SUPERVISION_UNTRACKED;
}

/* Notes a video frame decoded since the last look. */
static void
update_media_seen (PcActiveCall *self)
{
  PcCallSession *session = pc_call_get_session (self->call);
  guint64 frames = session ? pc_call_session_get_frames_decoded (session) : 0;

  if (frames > self->media_frames)
    {
      self->media_frames = frames;
      self->media_seen_us = g_get_monotonic_time ();
    }
}

/* Does the peer's media arrive: video decoded lately, or RTP counted in the last stats (stats
 * stop when the connection leaves "connected": then only video counts)? */
static gboolean
media_flowing (PcActiveCall *self)
{
  PcCallSession *session = pc_call_get_session (self->call);

  /* Asked between two polls (a peer-gone right after the first frames): look now. */
  update_media_seen (self);
  if (self->media_seen_us != 0 && g_get_monotonic_time () - self->media_seen_us <= MEDIA_STALL_US)
    return TRUE;
  return session != NULL && !self->stats_quiet
         && pc_call_session_get_connection_state (session) == PC_CONNECTION_STATE_CONNECTED;
}

static void
stop_media_watch (PcActiveCall *self)
{
  g_clear_handle_id (&self->media_watch_id, g_source_remove);
}

/* Media stopped (or ICE broke) while the server could not tell us why: the peer is gone. */
static void
end_without_server (PcActiveCall *self, const char *why)
{
  g_autoptr (GError) error = NULL;
  PcCall *call = self->call;

  g_debug ("call %s: %s while the server does not track the call: peer gone", pc_call_get_id (call),
           why);
  /* A restoring invite may have made the server ring the peer with this call: withdraw it. A
   * hangup the server no longer knows about would only come back as no-such-call. */
  if (is_restoring (self)
      && !pc_signaling_client_send_hangup (self->client, pc_call_get_peer (call),
                                           pc_call_get_id (call), PC_CALL_END_CANCELLED, &error))
    g_debug ("hangup not sent: %s", error->message);
  pc_active_call_end (self, PC_CALL_END_PEER_GONE, FALSE, PC_MESSAGE_UNKNOWN);
}

static gboolean
on_media_watch (gpointer data)
{
  PcActiveCall *self = PC_ACTIVE_CALL (data);

  if (pc_call_get_session (self->call) == NULL
      || pc_call_get_state (self->call) != PC_CALL_STATE_CONNECTED)
    {
      self->media_watch_id = 0;
      return G_SOURCE_REMOVE;
    }

  update_media_seen (self);
  if (is_unsupervised (self) && !media_flowing (self))
    {
      self->media_watch_id = 0;
      end_without_server (self, "media stopped");
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
start_media_watch (PcActiveCall *self)
{
  stop_media_watch (self);
  self->media_frames = 0;
  self->media_seen_us = 0;
  self->stats_quiet = TRUE;
  self->media_watch_id = g_timeout_add (MEDIA_POLL_MS, on_media_watch, self);
}

/* The server no longer tracks the connected call (why: for the log). */
static void
lose_supervision (PcActiveCall *self, const char *why)
{
  g_debug ("call %s: %s; it goes on on media alone", pc_call_get_id (self->call), why);
  stop_restoring (self);
}

void
pc_active_call_maybe_restore (PcActiveCall *self)
{
  PcCall *call;
  PcContact *contact;
  g_autoptr (GError) error = NULL;

  g_return_if_fail (PC_IS_ACTIVE_CALL (self));

  call = self->call;
  if (!is_unsupervised (self) || is_restoring (self)
      || pc_call_get_direction (call) != PC_CALL_DIRECTION_OUTGOING
      || pc_call_get_state (call) != PC_CALL_STATE_CONNECTED
      || pc_signaling_client_get_state (self->client) != PC_SIGNALING_STATE_REGISTERED)
    return;

  contact = pc_contact_list_lookup (self->contacts, pc_call_get_peer (call));
  if (contact == NULL || pc_contact_get_status (contact) != PC_PRESENCE_AVAILABLE)
    return;

  if (!pc_signaling_client_send_invite (self->client, pc_call_get_peer (call),
                                        pc_call_get_id (call), pc_call_get_video (call), &error))
    {
      g_debug ("restoring invite not sent: %s", error->message);
      return;
    }
  g_debug ("call %s: restoring it on the server", pc_call_get_id (call));
  self->supervision = is_peer_gone (self) ? PC_CALL_SUPERVISION_PEER_GONE_RESTORING
                                          : PC_CALL_SUPERVISION_RESTORING;
}

/* Session callbacks */

static void
queue_or_send (PcActiveCall *self, PendingSignal *signal)
{
  if (!can_send_media_signals (self))
    {
      g_queue_push_tail (&self->pending, signal);
      return;
    }
  if (signal->type == PC_MESSAGE_SDP)
    send_sdp (self, signal->sdp_type, signal->sdp);
  else
    send_candidate (self, signal->candidate, signal->sdp_mid, signal->mline_index);
  pending_signal_free (signal);
}

static void
on_session_local_description (PcCallSession *session,
                              const char *sdp_type,
                              const char *sdp,
                              PcActiveCall *self)
{
  PendingSignal *signal;

  if (!is_live (self))
    return;

  signal = g_new0 (PendingSignal, 1);
  signal->type = PC_MESSAGE_SDP;
  signal->sdp_type = g_strdup (sdp_type);
  signal->sdp = g_strdup (sdp);
  queue_or_send (self, signal);
}

static void
on_session_local_candidate (PcCallSession *session,
                            const char *candidate,
                            const char *sdp_mid,
                            gint mline_index,
                            PcActiveCall *self)
{
  PendingSignal *signal;

  if (!is_live (self))
    return;

  signal = g_new0 (PendingSignal, 1);
  signal->type = PC_MESSAGE_ICE;
  signal->candidate = g_strdup (candidate);
  signal->sdp_mid = g_strdup (sdp_mid);
  signal->mline_index = mline_index;
  queue_or_send (self, signal);
}

static void
on_session_connection_state (PcCallSession *session, GParamSpec *pspec, PcActiveCall *self)
{
  PcConnectionState state = pc_call_session_get_connection_state (session);

  if (!is_live (self))
    return;

  g_debug ("call %s: connection state %d", pc_call_get_id (self->call), state);
  if (state == PC_CONNECTION_STATE_CONNECTED
      && pc_call_get_state (self->call) == PC_CALL_STATE_CONNECTING)
    {
      start_media_watch (self);
      pc_call_set_state (self->call, PC_CALL_STATE_CONNECTED);
    }
  else if (is_peer_gone (self)
           && (state == PC_CONNECTION_STATE_DISCONNECTED || state == PC_CONNECTION_STATE_FAILED))
    {
      end_without_server (self, "connection lost");
    }
}

static void
on_session_ice_state (PcCallSession *session, GParamSpec *pspec, PcActiveCall *self)
{
  const char *state = pc_call_session_get_ice_connection_state (session);

  if (!is_live (self) || !is_peer_gone (self))
    return;

  if (g_strcmp0 (state, "disconnected") == 0 || g_strcmp0 (state, "failed") == 0)
    end_without_server (self, "ICE disconnected");
}

static void
on_session_stats (PcCallSession *session, PcCallStats *stats, PcActiveCall *self)
{
  if (!is_live (self))
    return;

  /* Bytes counted since the previous stats: audio (and video not decoded yet) arrives. A
   * report with every rate 0, sent ones too, has none computed (it came right after the
   * previous one): no evidence either way. */
  if (stats->audio_rx_kbps > 0 || stats->video_rx_kbps > 0)
    self->stats_quiet = FALSE;
  else if (stats->audio_tx_kbps > 0 || stats->video_tx_kbps > 0)
    self->stats_quiet = TRUE;
}

static void
on_session_failed (PcCallSession *session, GError *error, PcActiveCall *self)
{
  if (!is_live (self))
    return;

  g_debug ("call %s failed: %s", pc_call_get_id (self->call), error->message);
  if (is_unsupervised (self) && pc_call_get_state (self->call) == PC_CALL_STATE_CONNECTED)
    {
      end_without_server (self, error->message);
      return;
    }
  emit_error (self, error);
  pc_active_call_end (self, PC_CALL_END_FAILED, TRUE, PC_MESSAGE_HANGUP);
}

static void
on_session_media_error (PcCallSession *session, GError *error, PcActiveCall *self)
{
  emit_error (self, error);
}

gboolean
pc_active_call_start_media (PcActiveCall *self, PcCallSession *session, gboolean offerer)
{
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (PC_IS_ACTIVE_CALL (self), FALSE);
  g_return_val_if_fail (PC_IS_CALL_SESSION (session), FALSE);

  g_signal_connect_object (session, "local-description", G_CALLBACK (on_session_local_description),
                           self, 0);
  g_signal_connect_object (session, "local-candidate", G_CALLBACK (on_session_local_candidate),
                           self, 0);
  g_signal_connect_object (session, "notify::connection-state",
                           G_CALLBACK (on_session_connection_state), self, 0);
  g_signal_connect_object (session, "notify::ice-connection-state",
                           G_CALLBACK (on_session_ice_state), self, 0);
  g_signal_connect_object (session, "stats", G_CALLBACK (on_session_stats), self, 0);
  g_signal_connect_object (session, "failed", G_CALLBACK (on_session_failed), self, 0);
  g_signal_connect_object (session, "media-error", G_CALLBACK (on_session_media_error), self, 0);
  pc_call_set_session (self->call, session);

  if (!pc_call_get_video (self->call))
    pc_call_session_set_camera_enabled (session, FALSE);

  if (!pc_call_session_start (session, offerer, &error))
    {
      g_warning ("call %s: could not start media: %s", pc_call_get_id (self->call), error->message);
      emit_error (self, error);
      pc_active_call_end (self, PC_CALL_END_FAILED, TRUE, PC_MESSAGE_HANGUP);
      return FALSE;
    }
  return TRUE;
}

/* Ring timer */

static gboolean
on_ring_timeout (gpointer data)
{
  PcActiveCall *self = PC_ACTIVE_CALL (data);
  PcCallState state = pc_call_get_state (self->call);

  self->ring_timeout_id = 0;
  if (state == PC_CALL_STATE_INVITING || state == PC_CALL_STATE_RINGING)
    pc_active_call_end (self, PC_CALL_END_TIMEOUT, TRUE, PC_MESSAGE_HANGUP);
  return G_SOURCE_REMOVE;
}

void
pc_active_call_start_ring_timer (PcActiveCall *self, guint seconds)
{
  g_return_if_fail (PC_IS_ACTIVE_CALL (self));

  pc_active_call_stop_ring_timer (self);
  if (seconds > 0)
    self->ring_timeout_id = g_timeout_add_seconds (seconds, on_ring_timeout, self);
}

void
pc_active_call_stop_ring_timer (PcActiveCall *self)
{
  g_return_if_fail (PC_IS_ACTIVE_CALL (self));
  g_clear_handle_id (&self->ring_timeout_id, g_source_remove);
}

/* Ending */

/* Until the session is closed its media errors still reach the user: the idle holds us. */
static gboolean
close_session_idle (gpointer data)
{
  PcActiveCall *self = PC_ACTIVE_CALL (data);
  PcCallSession *session = self->call ? pc_call_get_session (self->call) : NULL;

  if (session != NULL)
    pc_call_session_close (session);
  return G_SOURCE_REMOVE;
}

static void
stop_all (PcActiveCall *self)
{
  pc_active_call_stop_ring_timer (self);
  stop_media_watch (self);
  self->supervision = PC_CALL_SUPERVISION_TRACKED;
  clear_pending (self);
  self->accepted = FALSE;
}

void
pc_active_call_end (PcActiveCall *self,
                    const char *reason,
                    gboolean locally,
                    PcMessageType send_type)
{
  g_autoptr (PcActiveCall) hold = NULL;
  g_autoptr (GError) error = NULL;
  PcCall *call;
  PcCallSession *session;

  g_return_if_fail (PC_IS_ACTIVE_CALL (self));

  if (!is_live (self))
    return;

  hold = g_object_ref (self);
  call = self->call;
  if (send_type == PC_MESSAGE_HANGUP)
    {
      if (!pc_signaling_client_send_hangup (self->client, pc_call_get_peer (call),
                                            pc_call_get_id (call), reason, &error))
        g_debug ("hangup not sent: %s", error->message);
    }
  else if (send_type == PC_MESSAGE_DECLINE)
    {
      if (!pc_signaling_client_send_decline (self->client, pc_call_get_peer (call),
                                             pc_call_get_id (call), reason, &error))
        g_debug ("decline not sent: %s", error->message);
    }

  stop_all (self);

  /* Close outside the session's own signal emission (ended from "failed", say). */
  session = pc_call_get_session (call);
  if (session != NULL)
    g_idle_add_full (G_PRIORITY_DEFAULT, close_session_idle, g_object_ref (self), g_object_unref);

  g_debug ("call %s with %s ended: %s%s", pc_call_get_id (call), pc_call_get_peer (call), reason,
           locally ? " (here)" : "");
  pc_call_end (call, reason, locally);
  g_signal_emit (self, signals[SIGNAL_ENDED], 0);
}

void
pc_active_call_close (PcActiveCall *self)
{
  g_autoptr (PcActiveCall) hold = NULL;
  PcCallSession *session;

  g_return_if_fail (PC_IS_ACTIVE_CALL (self));

  hold = g_object_ref (self);
  pc_active_call_stop_ring_timer (self);
  stop_media_watch (self);
  clear_pending (self);
  session = self->call ? pc_call_get_session (self->call) : NULL;
  if (session != NULL)
    pc_call_session_close (session);
}

/* Messages of this call from its peer */

/* Does a remote description send video to us (see pc_sdp_media_sends)? Decides what
 * --exit-after-frames waits for. */
static gboolean
sdp_sends_video (const char *sdp_text)
{
  g_autoptr (GstSDPMessage) sdp = NULL;

  if (sdp_text == NULL || gst_sdp_message_new_from_text (sdp_text, &sdp) != GST_SDP_OK)
    return FALSE;
  return pc_sdp_sends_video (sdp);
}

/* The caller restores our call on a restarted server (or after a drop): answer at once; the
 * media never stopped, nothing is negotiated again. */
static void
handle_invite_again (PcActiveCall *self, PcMessage *message)
{
  g_autoptr (GError) error = NULL;

  if (pc_call_get_direction (self->call) == PC_CALL_DIRECTION_INCOMING
      && pc_call_get_state (self->call) == PC_CALL_STATE_CONNECTED)
    {
      if (pc_signaling_client_send_accept (self->client, message->from, message->call, &error))
        {
          g_debug ("call %s restored on the server", message->call);
          self->supervision = PC_CALL_SUPERVISION_TRACKED;
        }
      else
        g_debug ("restoring accept not sent: %s", error->message);
    }
  else
    g_debug ("invite %s again in state %s: ignored", message->call,
             pc_call_state_to_string (pc_call_get_state (self->call)));
}

static void
handle_accept (PcActiveCall *self)
{
  PcCall *call = self->call;

  if (pc_call_get_direction (call) == PC_CALL_DIRECTION_OUTGOING
      && pc_call_get_state (call) < PC_CALL_STATE_CONNECTING)
    {
      pc_active_call_stop_ring_timer (self);
      self->accepted = TRUE;
      pc_call_set_state (call, PC_CALL_STATE_CONNECTING);
      /* the offer and candidates gathered while ringing go out now */
      flush_pending (self);
    }
  else if (is_restoring (self))
    {
      g_debug ("call %s restored on the server", pc_call_get_id (call));
      self->supervision = PC_CALL_SUPERVISION_TRACKED;
    }
}

static void
handle_remote_sdp (PcActiveCall *self, PcMessage *message)
{
  g_autoptr (GError) error = NULL;
  PcCall *call = self->call;

  if (pc_call_get_session (call) == NULL)
    {
      g_debug ("sdp before media started: ignored");
      return;
    }
  if (sdp_sends_video (message->sdp))
    pc_call_set_remote_video (call, TRUE);
  g_debug ("call %s: remote %s, sends video: %d", pc_call_get_id (call), message->sdp_type,
           pc_call_get_remote_video (call));
  if (!pc_call_session_set_remote_description (pc_call_get_session (call), message->sdp_type,
                                               message->sdp, &error))
    {
      g_warning ("call %s: remote %s refused: %s", pc_call_get_id (call), message->sdp_type,
                 error->message);
      emit_error (self, error);
      pc_active_call_end (self, PC_CALL_END_FAILED, TRUE, PC_MESSAGE_HANGUP);
    }
}

void
pc_active_call_handle_message (PcActiveCall *self, PcMessage *message)
{
  PcCall *call;

  g_return_if_fail (PC_IS_ACTIVE_CALL (self));

  call = self->call;
  switch (message->type)
    {
    case PC_MESSAGE_INVITE:
      handle_invite_again (self, message);
      break;

    case PC_MESSAGE_RINGING:
      if (pc_call_get_direction (call) == PC_CALL_DIRECTION_OUTGOING
          && pc_call_get_state (call) == PC_CALL_STATE_INVITING)
        pc_call_set_state (call, PC_CALL_STATE_RINGING);
      break;

    case PC_MESSAGE_ACCEPT:
      handle_accept (self);
      break;

    case PC_MESSAGE_DECLINE:
      if (is_restoring (self) && pc_call_get_state (call) == PC_CALL_STATE_CONNECTED)
        {
          /* (busy: the server still had the peer in a call) media alone decides */
          g_debug ("call %s not restored: %s", pc_call_get_id (call), message->reason);
          stop_restoring (self);
        }
      else if (pc_call_get_direction (call) == PC_CALL_DIRECTION_OUTGOING)
        pc_active_call_end (self, message->reason ? message->reason : PC_CALL_END_DECLINED, FALSE,
                            PC_MESSAGE_UNKNOWN);
      break;

    case PC_MESSAGE_HANGUP:
      /* The peer's connection to the server dropped, not necessarily its media: go on while
       * media arrives (with none at all, end at once). */
      if (g_strcmp0 (message->reason, PC_CALL_END_PEER_GONE) == 0
          && pc_call_get_state (call) == PC_CALL_STATE_CONNECTED && media_flowing (self))
        {
          lose_supervision (self, "the peer's signaling is gone");
          self->supervision = PC_CALL_SUPERVISION_PEER_GONE;
          break;
        }
      pc_active_call_end (self, message->reason ? message->reason : PC_CALL_END_NORMAL, FALSE,
                          PC_MESSAGE_UNKNOWN);
      break;

    case PC_MESSAGE_SDP:
      handle_remote_sdp (self, message);
      break;

    case PC_MESSAGE_ICE:
      if (pc_call_get_session (call) != NULL)
        pc_call_session_add_remote_candidate (pc_call_get_session (call), message->candidate,
                                              message->sdp_mid, message->sdp_mline_index);
      break;

    default:
      break;
    }
}

void
pc_active_call_handle_server_error (PcActiveCall *self, const GError *error, const char *ref)
{
  const char *id;

  g_return_if_fail (PC_IS_ACTIVE_CALL (self));

  id = pc_call_get_id (self->call);
  if (pc_call_get_state (self->call) == PC_CALL_STATE_CONNECTED)
    {
      if (is_restoring (self) && g_strcmp0 (ref, "invite") == 0)
        {
          /* (unknown-peer: it went offline again) media alone decides */
          g_debug ("call %s not restored: %s", id, error->message);
          stop_restoring (self);
          return;
        }
      if (g_error_matches (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_NO_SUCH_CALL))
        {
          /* the server forgot the call (restarted, or our connection dropped unnoticed) */
          lose_supervision (self, "the server has no such call");
          pc_active_call_maybe_restore (self);
          return;
        }
    }

  emit_error (self, error);

  /* the server has no such call (or no such peer): it cannot go on */
  if (g_error_matches (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_UNKNOWN_PEER))
    pc_active_call_end (self, PC_CALL_END_UNAVAILABLE, FALSE, PC_MESSAGE_UNKNOWN);
  else if (g_error_matches (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_NO_SUCH_CALL))
    pc_active_call_end (self, PC_CALL_END_ERROR, FALSE, PC_MESSAGE_UNKNOWN);
}

void
pc_active_call_signaling_lost (PcActiveCall *self)
{
  g_return_if_fail (PC_IS_ACTIVE_CALL (self));

  /* The server ends our calls when the connection drops. A connected call keeps its media
   * (peer to peer) while the client reconnects; a call still being set up cannot go on. */
  if (pc_call_get_state (self->call) != PC_CALL_STATE_CONNECTED)
    pc_active_call_end (self, PC_CALL_END_ERROR, TRUE, PC_MESSAGE_UNKNOWN);
  else
    lose_supervision (self, "signaling lost");
}

/* GObject */

static void
pc_active_call_dispose (GObject *object)
{
  PcActiveCall *self = PC_ACTIVE_CALL (object);

  g_clear_handle_id (&self->ring_timeout_id, g_source_remove);
  stop_media_watch (self);
  clear_pending (self);
  g_clear_object (&self->call);
  g_clear_object (&self->client);
  g_clear_object (&self->contacts);

  G_OBJECT_CLASS (pc_active_call_parent_class)->dispose (object);
}

static void
pc_active_call_class_init (PcActiveCallClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pc_active_call_dispose;

  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_ENDED] = g_signal_new ("ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
pc_active_call_init (PcActiveCall *self)
{
  g_queue_init (&self->pending);
  self->supervision = PC_CALL_SUPERVISION_TRACKED;
}

PcActiveCall *
pc_active_call_new (PcCall *call, PcSignalingClient *client, PcContactList *contacts)
{
  PcActiveCall *self;

  g_return_val_if_fail (PC_IS_CALL (call), NULL);
  g_return_val_if_fail (PC_IS_SIGNALING_CLIENT (client), NULL);
  g_return_val_if_fail (PC_IS_CONTACT_LIST (contacts), NULL);

  self = g_object_new (PC_TYPE_ACTIVE_CALL, NULL);
  self->call = g_object_ref (call);
  self->client = g_object_ref (client);
  self->contacts = g_object_ref (contacts);
  return self;
}

PcCall *
pc_active_call_get_call (PcActiveCall *self)
{
  g_return_val_if_fail (PC_IS_ACTIVE_CALL (self), NULL);
  return self->call;
}
