/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-call-manager"

#include "config.h"

#include <gst/sdp/sdp.h>

#include "pc-call-manager.h"
#include "pc-call-private.h"
#include "pc-contact-list.h"

enum
{
  PROP_0,
  PROP_SERVER_URL,
  PROP_USER,
  PROP_NAME,
  PROP_TOKEN,
  PROP_ICE_CONFIG,
  PROP_VIDEO_SOURCE,
  PROP_AUDIO_SOURCE,
  PROP_LATENCY_PROBE,
  PROP_AUTO_ANSWER,
  PROP_RING_TIMEOUT,
  PROP_SIGNALING_STATE,
  PROP_CURRENT_CALL,
  PROP_CONTACTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_REGISTERED,
  SIGNAL_CALL_ADDED,
  SIGNAL_INCOMING_CALL,
  SIGNAL_CALL_ENDED,
  SIGNAL_PRESENCE,
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* A connected call that the server no longer tracks (a connection dropped, or the server
 * restarted) goes on while the peer's media keeps arriving: polled this often, it ends once no
 * video frame was decoded for MEDIA_STALL_US and the last stats (a second's worth) counted no
 * RTP bytes received. The stats, not a clock, decide for audio: on a loaded machine they come
 * late, never falsely empty. */
#define MEDIA_POLL_MS 250
#define MEDIA_STALL_US (2 * G_TIME_SPAN_SECOND)

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

struct _PcCallManager
{
  GObject parent_instance;

  char *server_url;
  char *user;
  char *name;
  char *token;
  PcIceConfig *ice_config;
  PcMediaSourceKind video_source;
  PcMediaSourceKind audio_source;
  gboolean latency_probe;
  gboolean auto_answer;
  guint ring_timeout;

  PcSignalingClient *client;
  gboolean was_registered;
  PcContactList *contacts;

  /* the call that is not ended yet, and what belongs to it */
  PcCall *current_call;
  guint ring_timeout_id;
  gboolean accepted; /* outgoing: `accept` arrived, queued signals may go out */
  GQueue pending;    /* of PendingSignal*, for the current outgoing call before `accept` */

  /* Signaling outages of the connected current call (media is peer to peer and goes on) */
  gboolean unsupervised; /* the server does not track it: it ends when media stops */
  gboolean peer_gone;    /* `hangup` peer-gone came: ICE trouble ends it too */
  gboolean restoring;    /* caller: the restoring `invite` went out, no answer yet */
  guint media_watch_id;  /* polls the remote media while connected */
  guint64 media_frames;  /* remote video frames decoded at the last poll */
  gint64 media_seen_us;  /* monotonic time media_frames last grew, 0: never */
  gboolean stats_quiet;  /* the last stats counted no RTP received (or none came yet) */

  /* The last call that ended here: a late restoring `invite` for it is refused quietly
   * instead of ringing as a new call. */
  char *last_ended_id;
  char *last_ended_peer;
};

G_DEFINE_TYPE (PcCallManager, pc_call_manager, G_TYPE_OBJECT)

/* Spelled out: clang-format would put spaces into G_DEFINE_QUARK's dashed name. */
GQuark
pc_call_error_quark (void)
{
  return g_quark_from_static_string ("pc-call-error-quark");
}

static void end_call (PcCallManager *self,
                      PcCall *call,
                      const char *reason,
                      gboolean locally,
                      PcMessageType send_type);

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
clear_pending (PcCallManager *self)
{
  g_queue_clear_full (&self->pending, (GDestroyNotify)pending_signal_free);
}

static void
emit_error (PcCallManager *self, const GError *error)
{
  g_autoptr (GError) copy = g_error_copy (error);

  g_debug ("error: %s", error->message);
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, copy);
}

static gboolean
is_current (PcCallManager *self, PcCall *call)
{
  return call != NULL && call == self->current_call;
}

static void
set_current_call (PcCallManager *self, PcCall *call)
{
  if (g_set_object (&self->current_call, call))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_CALL]);
}

/* Sending */

static void
send_or_report (PcCallManager *self, gboolean ok, GError *error)
{
  if (!ok && error != NULL)
    {
      g_warning ("could not send: %s", error->message);
      emit_error (self, error);
    }
}

static void
send_sdp (PcCallManager *self, PcCall *call, const char *sdp_type, const char *sdp)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = pc_signaling_client_send_sdp (self->client, pc_call_get_peer (call),
                                              pc_call_get_id (call), sdp_type, sdp, &error);

  send_or_report (self, ok, error);
}

static void
send_candidate (
    PcCallManager *self, PcCall *call, const char *candidate, const char *sdp_mid, gint mline_index)
{
  g_autoptr (GError) error = NULL;
  gboolean ok;

  ok = pc_signaling_client_send_ice (self->client, pc_call_get_peer (call), pc_call_get_id (call),
                                     candidate, sdp_mid, mline_index, &error);
  send_or_report (self, ok, error);
}

static void
flush_pending (PcCallManager *self)
{
  PendingSignal *pending;

  while ((pending = g_queue_pop_head (&self->pending)) != NULL)
    {
      if (self->current_call != NULL)
        {
          if (pending->type == PC_MESSAGE_SDP)
            send_sdp (self, self->current_call, pending->sdp_type, pending->sdp);
          else
            send_candidate (self, self->current_call, pending->candidate, pending->sdp_mid,
                            pending->mline_index);
        }
      pending_signal_free (pending);
    }
}

/* May the current call's local signals go to the peer now? */
static gboolean
can_send_media_signals (PcCallManager *self, PcCall *call)
{
  return pc_call_get_direction (call) == PC_CALL_DIRECTION_INCOMING || self->accepted;
}

/* Signaling outages. The server ends a call when either party's connection drops, but the
 * media does not go through it: a connected call goes on "unsupervised" while the peer's media
 * keeps arriving, and the caller re-sends `invite` with the same call id once both are signed
 * in again, which the callee answers with `accept` at once (no ringing, no new negotiation), so
 * that the server tracks the call again. */

static void
note_media (PcCallManager *self)
{
  self->media_seen_us = g_get_monotonic_time ();
}

/* Notes a video frame decoded since the last look. */
static void
update_media_seen (PcCallManager *self)
{
  PcCallSession *session = self->current_call ? pc_call_get_session (self->current_call) : NULL;
  guint64 frames = session ? pc_call_session_get_frames_decoded (session) : 0;

  if (frames > self->media_frames)
    {
      self->media_frames = frames;
      note_media (self);
    }
}

/* Does the peer's media arrive: video decoded lately, or RTP counted in the last stats (stats
 * stop when the connection leaves "connected": then only video counts)? */
static gboolean
media_flowing (PcCallManager *self)
{
  PcCallSession *session = self->current_call ? pc_call_get_session (self->current_call) : NULL;

  /* Asked between two polls (a peer-gone right after the first frames): look now. */
  update_media_seen (self);
  if (self->media_seen_us != 0 && g_get_monotonic_time () - self->media_seen_us <= MEDIA_STALL_US)
    return TRUE;
  return session != NULL && !self->stats_quiet
         && pc_call_session_get_connection_state (session) == PC_CONNECTION_STATE_CONNECTED;
}

static void
stop_media_watch (PcCallManager *self)
{
  g_clear_handle_id (&self->media_watch_id, g_source_remove);
}

/* Forgets the outage state of the current call (it ended, or the server tracks it again). */
static void
set_supervised (PcCallManager *self)
{
  self->unsupervised = FALSE;
  self->peer_gone = FALSE;
  self->restoring = FALSE;
}

/* Media stopped (or ICE broke) while the server could not tell us why: the peer is gone. */
static void
end_without_server (PcCallManager *self, PcCall *call, const char *why)
{
  g_autoptr (GError) error = NULL;

  g_debug ("call %s: %s while the server does not track the call: peer gone", pc_call_get_id (call),
           why);
  /* A restoring invite may have made the server ring the peer with this call: withdraw it. A
   * hangup the server no longer knows about would only come back as no-such-call. */
  if (self->restoring
      && !pc_signaling_client_send_hangup (self->client, pc_call_get_peer (call),
                                           pc_call_get_id (call), PC_CALL_END_CANCELLED, &error))
    g_debug ("hangup not sent: %s", error->message);
  end_call (self, call, PC_CALL_END_PEER_GONE, FALSE, PC_MESSAGE_UNKNOWN);
}

static gboolean
on_media_watch (gpointer data)
{
  PcCallManager *self = PC_CALL_MANAGER (data);
  PcCall *call = self->current_call;
  PcCallSession *session = call ? pc_call_get_session (call) : NULL;

  if (session == NULL || pc_call_get_state (call) != PC_CALL_STATE_CONNECTED)
    {
      self->media_watch_id = 0;
      return G_SOURCE_REMOVE;
    }

  update_media_seen (self);
  if (self->unsupervised && !media_flowing (self))
    {
      self->media_watch_id = 0;
      end_without_server (self, call, "media stopped");
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
start_media_watch (PcCallManager *self)
{
  stop_media_watch (self);
  self->media_frames = 0;
  self->media_seen_us = 0;
  self->stats_quiet = TRUE;
  self->media_watch_id = g_timeout_add (MEDIA_POLL_MS, on_media_watch, self);
}

/* The server no longer tracks the connected current call (why: for the log). */
static void
lose_supervision (PcCallManager *self, const char *why)
{
  g_debug ("call %s: %s; it goes on on media alone", pc_call_get_id (self->current_call), why);
  self->unsupervised = TRUE;
  self->restoring = FALSE;
}

/* Caller side: once signed in again and the peer is back, ask the server to track the call
 * again with the same call id. */
static void
maybe_restore_call (PcCallManager *self)
{
  PcCall *call = self->current_call;
  PcContact *contact;
  g_autoptr (GError) error = NULL;

  if (call == NULL || !self->unsupervised || self->restoring
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
  self->restoring = TRUE;
}

/* Session callbacks: `call` is the user data, the manager is found through its qdata. */

static PcCallManager *
manager_of_call (PcCall *call)
{
  return g_object_get_data (G_OBJECT (call), "pc-call-manager");
}

static void
on_session_local_description (PcCallSession *session,
                              const char *sdp_type,
                              const char *sdp,
                              PcCall *call)
{
  PcCallManager *self = manager_of_call (call);

  if (self == NULL || !is_current (self, call))
    return;

  if (can_send_media_signals (self, call))
    {
      send_sdp (self, call, sdp_type, sdp);
    }
  else
    {
      PendingSignal *pending = g_new0 (PendingSignal, 1);

      pending->type = PC_MESSAGE_SDP;
      pending->sdp_type = g_strdup (sdp_type);
      pending->sdp = g_strdup (sdp);
      g_queue_push_tail (&self->pending, pending);
    }
}

static void
on_session_local_candidate (PcCallSession *session,
                            const char *candidate,
                            const char *sdp_mid,
                            gint mline_index,
                            PcCall *call)
{
  PcCallManager *self = manager_of_call (call);

  if (self == NULL || !is_current (self, call))
    return;

  if (can_send_media_signals (self, call))
    {
      send_candidate (self, call, candidate, sdp_mid, mline_index);
    }
  else
    {
      PendingSignal *pending = g_new0 (PendingSignal, 1);

      pending->type = PC_MESSAGE_ICE;
      pending->candidate = g_strdup (candidate);
      pending->sdp_mid = g_strdup (sdp_mid);
      pending->mline_index = mline_index;
      g_queue_push_tail (&self->pending, pending);
    }
}

static void
on_session_connection_state (PcCallSession *session, GParamSpec *pspec, PcCall *call)
{
  PcCallManager *self = manager_of_call (call);
  PcConnectionState state = pc_call_session_get_connection_state (session);

  if (self == NULL || !is_current (self, call))
    return;

  g_debug ("call %s: connection state %d", pc_call_get_id (call), state);
  if (state == PC_CONNECTION_STATE_CONNECTED
      && pc_call_get_state (call) == PC_CALL_STATE_CONNECTING)
    {
      start_media_watch (self);
      pc_call_set_state (call, PC_CALL_STATE_CONNECTED);
    }
  else if (self->peer_gone
           && (state == PC_CONNECTION_STATE_DISCONNECTED || state == PC_CONNECTION_STATE_FAILED))
    {
      end_without_server (self, call, "connection lost");
    }
}

static void
on_session_ice_state (PcCallSession *session, GParamSpec *pspec, PcCall *call)
{
  PcCallManager *self = manager_of_call (call);
  const char *state = pc_call_session_get_ice_connection_state (session);

  if (self == NULL || !is_current (self, call) || !self->peer_gone)
    return;

  if (g_strcmp0 (state, "disconnected") == 0 || g_strcmp0 (state, "failed") == 0)
    end_without_server (self, call, "ICE disconnected");
}

static void
on_session_stats (PcCallSession *session, PcCallStats *stats, PcCall *call)
{
  PcCallManager *self = manager_of_call (call);

  if (self == NULL || !is_current (self, call))
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
on_session_failed (PcCallSession *session, GError *error, PcCall *call)
{
  PcCallManager *self = manager_of_call (call);

  if (self == NULL || !is_current (self, call))
    return;

  g_debug ("call %s failed: %s", pc_call_get_id (call), error->message);
  if (self->unsupervised && pc_call_get_state (call) == PC_CALL_STATE_CONNECTED)
    {
      end_without_server (self, call, error->message);
      return;
    }
  emit_error (self, error);
  end_call (self, call, PC_CALL_END_FAILED, TRUE, PC_MESSAGE_HANGUP);
}

static void
on_session_media_error (PcCallSession *session, GError *error, PcCall *call)
{
  PcCallManager *self = manager_of_call (call);

  if (self != NULL)
    emit_error (self, error);
}

static gboolean
close_session_idle (gpointer data)
{
  pc_call_session_close (PC_CALL_SESSION (data));
  return G_SOURCE_REMOVE;
}

/* Creates the call's session with the current preferences and the server's ICE servers. */
static PcCallSession *
create_session (PcCallManager *self, PcCall *call, gboolean polite)
{
  g_autoptr (PcIceConfig) ice_config = NULL;
  PcMessage *welcome = pc_signaling_client_get_welcome (self->client);
  PcCallSession *session;

  ice_config = self->ice_config ? pc_ice_config_copy (self->ice_config) : pc_ice_config_new ();
  if (welcome != NULL && welcome->ice_servers != NULL)
    pc_ice_config_add_servers (ice_config, welcome->ice_servers);

  session = g_object_new (PC_TYPE_CALL_SESSION, "ice-config", ice_config, "polite", polite,
                          "video-source", self->video_source, "audio-source", self->audio_source,
                          "latency-probe", self->latency_probe, NULL);

  g_signal_connect_object (session, "local-description", G_CALLBACK (on_session_local_description),
                           call, 0);
  g_signal_connect_object (session, "local-candidate", G_CALLBACK (on_session_local_candidate),
                           call, 0);
  g_signal_connect_object (session, "notify::connection-state",
                           G_CALLBACK (on_session_connection_state), call, 0);
  g_signal_connect_object (session, "notify::ice-connection-state",
                           G_CALLBACK (on_session_ice_state), call, 0);
  g_signal_connect_object (session, "stats", G_CALLBACK (on_session_stats), call, 0);
  g_signal_connect_object (session, "failed", G_CALLBACK (on_session_failed), call, 0);
  g_signal_connect_object (session, "media-error", G_CALLBACK (on_session_media_error), call, 0);

  pc_call_set_session (call, session);
  return session;
}

/* Starts the session; on failure ends the call as failed. */
static gboolean
start_session (PcCallManager *self, PcCall *call, PcCallSession *session, gboolean offerer)
{
  g_autoptr (GError) error = NULL;

  if (!pc_call_get_video (call))
    pc_call_session_set_camera_enabled (session, FALSE);

  if (!pc_call_session_start (session, offerer, &error))
    {
      g_warning ("call %s: could not start media: %s", pc_call_get_id (call), error->message);
      emit_error (self, error);
      end_call (self, call, PC_CALL_END_FAILED, TRUE, PC_MESSAGE_HANGUP);
      return FALSE;
    }
  return TRUE;
}

/* Ending */

static void
stop_ring_timer (PcCallManager *self)
{
  g_clear_handle_id (&self->ring_timeout_id, g_source_remove);
}

/* Ends `call` with `reason`. send_type PC_MESSAGE_HANGUP/DECLINE tells the peer first;
 * PC_MESSAGE_UNKNOWN sends nothing (the peer ended it, or the server did). */
static void
end_call (PcCallManager *self,
          PcCall *call,
          const char *reason,
          gboolean locally,
          PcMessageType send_type)
{
  g_autoptr (PcCall) hold = g_object_ref (call);
  g_autoptr (GError) error = NULL;
  PcCallSession *session;

  if (!pc_call_is_active (call))
    return;

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

  if (is_current (self, call))
    {
      stop_ring_timer (self);
      stop_media_watch (self);
      set_supervised (self);
      clear_pending (self);
      self->accepted = FALSE;
    }
  g_free (self->last_ended_id);
  self->last_ended_id = g_strdup (pc_call_get_id (call));
  g_free (self->last_ended_peer);
  self->last_ended_peer = g_strdup (pc_call_get_peer (call));

  /* Close outside the session's own signal emission (ended from "failed", say). */
  session = pc_call_get_session (call);
  if (session != NULL)
    g_idle_add_full (G_PRIORITY_DEFAULT, close_session_idle, g_object_ref (session),
                     g_object_unref);

  g_debug ("call %s with %s ended: %s%s", pc_call_get_id (call), pc_call_get_peer (call), reason,
           locally ? " (here)" : "");
  pc_call_end (call, reason, locally);
  if (is_current (self, call))
    set_current_call (self, NULL);
  g_signal_emit (self, signals[SIGNAL_CALL_ENDED], 0, call);
}

static gboolean
on_ring_timeout (gpointer data)
{
  PcCallManager *self = PC_CALL_MANAGER (data);

  self->ring_timeout_id = 0;
  if (self->current_call != NULL)
    {
      PcCallState state = pc_call_get_state (self->current_call);

      if (state == PC_CALL_STATE_INVITING || state == PC_CALL_STATE_RINGING)
        end_call (self, self->current_call, PC_CALL_END_TIMEOUT, TRUE, PC_MESSAGE_HANGUP);
    }
  return G_SOURCE_REMOVE;
}

static void
start_ring_timer (PcCallManager *self)
{
  stop_ring_timer (self);
  if (self->ring_timeout > 0)
    self->ring_timeout_id = g_timeout_add_seconds (self->ring_timeout, on_ring_timeout, self);
}

/* TRUE when a remote description sends video to us: a video m-line that is not rejected (port 0
 * without bundle-only) and whose direction is not recvonly/inactive. Decides what
 * --exit-after-frames waits for. */
static gboolean
sdp_sends_video (const char *sdp_text)
{
  g_autoptr (GstSDPMessage) sdp = NULL;

  if (sdp_text == NULL || gst_sdp_message_new_from_text (sdp_text, &sdp) != GST_SDP_OK)
    return FALSE;

  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);
      gboolean bundle_only = FALSE;
      gboolean sending = TRUE;

      if (g_strcmp0 (gst_sdp_media_get_media (media), "video") != 0)
        continue;
      for (guint j = 0; j < gst_sdp_media_attributes_len (media); j++)
        {
          const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, j);

          if (g_strcmp0 (attr->key, "bundle-only") == 0)
            bundle_only = TRUE;
          else if (g_strcmp0 (attr->key, "recvonly") == 0 || g_strcmp0 (attr->key, "inactive") == 0)
            sending = FALSE;
        }
      if (gst_sdp_media_get_port (media) == 0 && !bundle_only)
        continue;
      if (sending)
        return TRUE;
    }
  return FALSE;
}

/* Incoming messages */

static void
handle_invite (PcCallManager *self, PcMessage *message)
{
  g_autoptr (PcCall) call = NULL;
  g_autoptr (GError) error = NULL;
  PcContact *contact;
  PcCall *current = self->current_call;

  if (current != NULL && g_strcmp0 (message->call, pc_call_get_id (current)) == 0
      && g_strcmp0 (message->from, pc_call_get_peer (current)) == 0)
    {
      /* The caller restores our call on a restarted server (or after a drop): answer at once;
       * the media never stopped, nothing is negotiated again. */
      if (pc_call_get_direction (current) == PC_CALL_DIRECTION_INCOMING
          && pc_call_get_state (current) == PC_CALL_STATE_CONNECTED)
        {
          if (pc_signaling_client_send_accept (self->client, message->from, message->call, &error))
            {
              g_debug ("call %s restored on the server", message->call);
              set_supervised (self);
            }
          else
            g_debug ("restoring accept not sent: %s", error->message);
        }
      else
        g_debug ("invite %s again in state %s: ignored", message->call,
                 pc_call_state_to_string (pc_call_get_state (current)));
      return;
    }
  if (current == NULL && g_strcmp0 (message->call, self->last_ended_id) == 0
      && g_strcmp0 (message->from, self->last_ended_peer) == 0)
    {
      /* a restoring invite for a call that already ended here: no new ringing */
      g_debug ("invite %s for a call that ended: unavailable", message->call);
      if (!pc_signaling_client_send_decline (self->client, message->from, message->call,
                                             PC_CALL_END_UNAVAILABLE, &error))
        g_debug ("decline not sent: %s", error->message);
      return;
    }

  if (current != NULL)
    {
      /* one call at a time; the server normally does this itself */
      g_debug ("invite %s from %s while in a call: busy", message->call, message->from);
      if (!pc_signaling_client_send_decline (self->client, message->from, message->call,
                                             PC_CALL_END_BUSY, &error))
        g_debug ("decline not sent: %s", error->message);
      return;
    }

  contact = pc_contact_list_update (self->contacts, message->from, message->name, PC_PRESENCE_BUSY);
  call = pc_call_new (message->call, message->from,
                      message->name ? message->name
                                    : (contact ? pc_contact_get_name (contact) : NULL),
                      PC_CALL_DIRECTION_INCOMING, message->video);
  g_object_set_data (G_OBJECT (call), "pc-call-manager", self);
  self->accepted = FALSE;
  set_current_call (self, call);
  g_signal_emit (self, signals[SIGNAL_CALL_ADDED], 0, call);

  if (!pc_signaling_client_send_ringing (self->client, message->from, message->call, &error))
    g_debug ("ringing not sent: %s", error->message);
  start_ring_timer (self);

  g_signal_emit (self, signals[SIGNAL_INCOMING_CALL], 0, call);

  if (self->auto_answer && is_current (self, call) && pc_call_is_active (call))
    {
      g_autoptr (GError) accept_error = NULL;

      if (!pc_call_manager_accept (self, call, message->video, &accept_error))
        emit_error (self, accept_error);
    }
}

static void
on_client_message (PcSignalingClient *client, PcMessage *message, PcCallManager *self)
{
  PcCall *call = self->current_call;
  g_autoptr (GError) error = NULL;

  if (message->type == PC_MESSAGE_INVITE)
    {
      handle_invite (self, message);
      return;
    }

  /* everything else belongs to the current call, from its peer */
  if (call == NULL || g_strcmp0 (message->call, pc_call_get_id (call)) != 0
      || g_strcmp0 (message->from, pc_call_get_peer (call)) != 0)
    {
      g_debug ("ignoring %s for call %s from %s", pc_message_type_to_string (message->type),
               message->call, message->from);
      return;
    }

  switch (message->type)
    {
    case PC_MESSAGE_RINGING:
      if (pc_call_get_direction (call) == PC_CALL_DIRECTION_OUTGOING
          && pc_call_get_state (call) == PC_CALL_STATE_INVITING)
        pc_call_set_state (call, PC_CALL_STATE_RINGING);
      break;

    case PC_MESSAGE_ACCEPT:
      if (pc_call_get_direction (call) == PC_CALL_DIRECTION_OUTGOING
          && pc_call_get_state (call) < PC_CALL_STATE_CONNECTING)
        {
          stop_ring_timer (self);
          self->accepted = TRUE;
          pc_call_set_state (call, PC_CALL_STATE_CONNECTING);
          /* the offer and candidates gathered while ringing go out now */
          flush_pending (self);
        }
      else if (self->restoring)
        {
          g_debug ("call %s restored on the server", pc_call_get_id (call));
          set_supervised (self);
        }
      break;

    case PC_MESSAGE_DECLINE:
      if (self->restoring && pc_call_get_state (call) == PC_CALL_STATE_CONNECTED)
        {
          /* (busy: the server still had the peer in a call) media alone decides */
          g_debug ("call %s not restored: %s", pc_call_get_id (call), message->reason);
          self->restoring = FALSE;
        }
      else if (pc_call_get_direction (call) == PC_CALL_DIRECTION_OUTGOING)
        end_call (self, call, message->reason ? message->reason : PC_CALL_END_DECLINED, FALSE,
                  PC_MESSAGE_UNKNOWN);
      break;

    case PC_MESSAGE_HANGUP:
      /* The peer's connection to the server dropped, not necessarily its media: go on while
       * media arrives (with none at all, end at once). */
      if (g_strcmp0 (message->reason, PC_CALL_END_PEER_GONE) == 0
          && pc_call_get_state (call) == PC_CALL_STATE_CONNECTED && media_flowing (self))
        {
          lose_supervision (self, "the peer's signaling is gone");
          self->peer_gone = TRUE;
          break;
        }
      end_call (self, call, message->reason ? message->reason : PC_CALL_END_NORMAL, FALSE,
                PC_MESSAGE_UNKNOWN);
      break;

    case PC_MESSAGE_SDP:
      if (pc_call_get_session (call) == NULL)
        {
          g_debug ("sdp before media started: ignored");
          break;
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
          end_call (self, call, PC_CALL_END_FAILED, TRUE, PC_MESSAGE_HANGUP);
        }
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

static void
on_client_registered (PcSignalingClient *client, PcMessage *welcome, PcCallManager *self)
{
  self->was_registered = TRUE;
  pc_contact_list_sync (self->contacts, welcome->peers);

  g_signal_emit (self, signals[SIGNAL_REGISTERED], 0);
  maybe_restore_call (self);

  if (welcome->peers != NULL)
    {
      for (guint i = 0; i < welcome->peers->len; i++)
        {
          PcPeerInfo *info = g_ptr_array_index (welcome->peers, i);
          PcContact *contact = pc_contact_list_lookup (self->contacts, info->user);

          if (contact != NULL)
            g_signal_emit (self, signals[SIGNAL_PRESENCE], 0, contact);
        }
    }
}

static void
on_client_presence (PcSignalingClient *client,
                    const char *user,
                    const char *name,
                    PcPresence status,
                    PcCallManager *self)
{
  PcContact *contact = pc_contact_list_update (self->contacts, user, name, status);

  if (contact != NULL)
    g_signal_emit (self, signals[SIGNAL_PRESENCE], 0, contact);
  if (status == PC_PRESENCE_AVAILABLE && self->current_call != NULL
      && g_strcmp0 (user, pc_call_get_peer (self->current_call)) == 0)
    maybe_restore_call (self);
}

static void
on_client_server_error (PcSignalingClient *client,
                        GError *error,
                        const char *ref,
                        const char *call_id,
                        PcCallManager *self)
{
  PcCall *call = self->current_call;

  /* a late reply about a call that is already over (both sides hung up at once) */
  if (call_id != NULL && (call == NULL || g_strcmp0 (call_id, pc_call_get_id (call)) != 0))
    {
      g_debug ("server error about old call %s: %s", call_id, error->message);
      return;
    }

  if (call != NULL && call_id != NULL && pc_call_get_state (call) == PC_CALL_STATE_CONNECTED)
    {
      if (self->restoring && g_strcmp0 (ref, "invite") == 0)
        {
          /* (unknown-peer: it went offline again) media alone decides */
          g_debug ("call %s not restored: %s", call_id, error->message);
          self->restoring = FALSE;
          return;
        }
      if (g_error_matches (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_NO_SUCH_CALL))
        {
          /* the server forgot the call (restarted, or our connection dropped unnoticed) */
          lose_supervision (self, "the server has no such call");
          maybe_restore_call (self);
          return;
        }
    }

  emit_error (self, error);

  if (call != NULL && call_id != NULL)
    {
      /* the server has no such call (or no such peer): it cannot go on */
      if (g_error_matches (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_UNKNOWN_PEER))
        end_call (self, call, PC_CALL_END_UNAVAILABLE, FALSE, PC_MESSAGE_UNKNOWN);
      else if (g_error_matches (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_NO_SUCH_CALL))
        end_call (self, call, PC_CALL_END_ERROR, FALSE, PC_MESSAGE_UNKNOWN);
    }
}

static void
on_client_disconnected (PcSignalingClient *client, GError *error, PcCallManager *self)
{
  PcCall *call = self->current_call;

  if (error != NULL && self->was_registered)
    emit_error (self, error);

  /* The server ends our calls when the connection drops. A connected call keeps its media
   * (peer to peer) while the client reconnects; a call still being set up cannot go on. */
  if (call != NULL && pc_call_get_state (call) != PC_CALL_STATE_CONNECTED)
    end_call (self, call, PC_CALL_END_ERROR, TRUE, PC_MESSAGE_UNKNOWN);
  else if (call != NULL)
    lose_supervision (self, "signaling lost");
}

static void
on_client_state (PcSignalingClient *client, GParamSpec *pspec, PcCallManager *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGNALING_STATE]);
}

/* GObject */

static void
pc_call_manager_constructed (GObject *object)
{
  PcCallManager *self = PC_CALL_MANAGER (object);

  G_OBJECT_CLASS (pc_call_manager_parent_class)->constructed (object);

  self->contacts = pc_contact_list_new (self->user);

  /* `hello` requires a display name: the user name stands in */
  self->client = pc_signaling_client_new (self->server_url, self->user,
                                          self->name && *self->name ? self->name : self->user,
                                          self->token && *self->token ? self->token : NULL);
  g_signal_connect_object (self->client, "registered", G_CALLBACK (on_client_registered), self, 0);
  g_signal_connect_object (self->client, "presence", G_CALLBACK (on_client_presence), self, 0);
  g_signal_connect_object (self->client, "message", G_CALLBACK (on_client_message), self, 0);
  g_signal_connect_object (self->client, "server-error", G_CALLBACK (on_client_server_error), self,
                           0);
  g_signal_connect_object (self->client, "disconnected", G_CALLBACK (on_client_disconnected), self,
                           0);
  g_signal_connect_object (self->client, "notify::state", G_CALLBACK (on_client_state), self, 0);
}

static void
pc_call_manager_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PcCallManager *self = PC_CALL_MANAGER (object);

  switch (prop_id)
    {
    case PROP_SERVER_URL:
      g_value_set_string (value, self->server_url);
      break;
    case PROP_USER:
      g_value_set_string (value, self->user);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_TOKEN:
      g_value_set_string (value, self->token);
      break;
    case PROP_ICE_CONFIG:
      g_value_set_object (value, self->ice_config);
      break;
    case PROP_VIDEO_SOURCE:
      g_value_set_enum (value, self->video_source);
      break;
    case PROP_AUDIO_SOURCE:
      g_value_set_enum (value, self->audio_source);
      break;
    case PROP_LATENCY_PROBE:
      g_value_set_boolean (value, self->latency_probe);
      break;
    case PROP_AUTO_ANSWER:
      g_value_set_boolean (value, self->auto_answer);
      break;
    case PROP_RING_TIMEOUT:
      g_value_set_uint (value, self->ring_timeout);
      break;
    case PROP_SIGNALING_STATE:
      g_value_set_int (value, pc_call_manager_get_signaling_state (self));
      break;
    case PROP_CURRENT_CALL:
      g_value_set_object (value, self->current_call);
      break;
    case PROP_CONTACTS:
      g_value_set_object (value, self->contacts);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_call_manager_set_property (GObject *object,
                              guint prop_id,
                              const GValue *value,
                              GParamSpec *pspec)
{
  PcCallManager *self = PC_CALL_MANAGER (object);

  switch (prop_id)
    {
    case PROP_SERVER_URL:
      self->server_url = g_value_dup_string (value);
      break;
    case PROP_USER:
      self->user = g_value_dup_string (value);
      break;
    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;
    case PROP_TOKEN:
      self->token = g_value_dup_string (value);
      break;
    case PROP_ICE_CONFIG:
      self->ice_config = g_value_dup_object (value);
      break;
    case PROP_VIDEO_SOURCE:
      pc_call_manager_set_video_source (self, g_value_get_enum (value));
      break;
    case PROP_AUDIO_SOURCE:
      pc_call_manager_set_audio_source (self, g_value_get_enum (value));
      break;
    case PROP_LATENCY_PROBE:
      pc_call_manager_set_latency_probe (self, g_value_get_boolean (value));
      break;
    case PROP_AUTO_ANSWER:
      pc_call_manager_set_auto_answer (self, g_value_get_boolean (value));
      break;
    case PROP_RING_TIMEOUT:
      pc_call_manager_set_ring_timeout (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_call_manager_dispose (GObject *object)
{
  PcCallManager *self = PC_CALL_MANAGER (object);

  stop_ring_timer (self);
  stop_media_watch (self);
  clear_pending (self);
  if (self->current_call != NULL)
    {
      PcCallSession *session = pc_call_get_session (self->current_call);

      if (session != NULL)
        pc_call_session_close (session);
      g_object_set_data (G_OBJECT (self->current_call), "pc-call-manager", NULL);
    }
  g_clear_object (&self->current_call);
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      pc_signaling_client_disconnect (self->client);
    }
  g_clear_object (&self->client);
  g_clear_object (&self->contacts);
  g_clear_object (&self->ice_config);

  G_OBJECT_CLASS (pc_call_manager_parent_class)->dispose (object);
}

static void
pc_call_manager_finalize (GObject *object)
{
  PcCallManager *self = PC_CALL_MANAGER (object);

  g_free (self->server_url);
  g_free (self->user);
  g_free (self->name);
  g_free (self->token);
  g_free (self->last_ended_id);
  g_free (self->last_ended_peer);

  G_OBJECT_CLASS (pc_call_manager_parent_class)->finalize (object);
}

static void
pc_call_manager_class_init (PcCallManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = pc_call_manager_constructed;
  object_class->get_property = pc_call_manager_get_property;
  object_class->set_property = pc_call_manager_set_property;
  object_class->dispose = pc_call_manager_dispose;
  object_class->finalize = pc_call_manager_finalize;

  properties[PROP_SERVER_URL]
      = g_param_spec_string ("server-url", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER]
      = g_param_spec_string ("user", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME]
      = g_param_spec_string ("name", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOKEN]
      = g_param_spec_string ("token", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ICE_CONFIG]
      = g_param_spec_object ("ice-config", NULL, NULL, PC_TYPE_ICE_CONFIG,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VIDEO_SOURCE] = g_param_spec_enum (
      "video-source", NULL, NULL, PC_TYPE_MEDIA_SOURCE_KIND, PC_MEDIA_SOURCE_AUTO,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AUDIO_SOURCE] = g_param_spec_enum (
      "audio-source", NULL, NULL, PC_TYPE_MEDIA_SOURCE_KIND, PC_MEDIA_SOURCE_AUTO,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LATENCY_PROBE]
      = g_param_spec_boolean ("latency-probe", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AUTO_ANSWER]
      = g_param_spec_boolean ("auto-answer", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RING_TIMEOUT] = g_param_spec_uint (
      "ring-timeout", NULL, NULL, 0, G_MAXUINT, PC_CALL_MANAGER_DEFAULT_RING_TIMEOUT,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* PcSignalingState has no GType of its own: an int holding its values */
  properties[PROP_SIGNALING_STATE]
      = g_param_spec_int ("signaling-state", NULL, NULL, PC_SIGNALING_STATE_DISCONNECTED,
                          PC_SIGNALING_STATE_RECONNECTING, PC_SIGNALING_STATE_DISCONNECTED,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CURRENT_CALL]
      = g_param_spec_object ("current-call", NULL, NULL, PC_TYPE_CALL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONTACTS] = g_param_spec_object ("contacts", NULL, NULL, G_TYPE_LIST_MODEL,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_REGISTERED]
      = g_signal_new ("registered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_CALL_ADDED]
      = g_signal_new ("call-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, PC_TYPE_CALL);
  signals[SIGNAL_INCOMING_CALL]
      = g_signal_new ("incoming-call", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, PC_TYPE_CALL);
  signals[SIGNAL_CALL_ENDED]
      = g_signal_new ("call-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, PC_TYPE_CALL);
  signals[SIGNAL_PRESENCE] = g_signal_new ("presence", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, PC_TYPE_CONTACT);
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
pc_call_manager_init (PcCallManager *self)
{
  self->ring_timeout = PC_CALL_MANAGER_DEFAULT_RING_TIMEOUT;
  g_queue_init (&self->pending);
}

PcCallManager *
pc_call_manager_new (const char *server_url,
                     const char *user,
                     const char *name,
                     const char *token,
                     PcIceConfig *ice_config)
{
  g_return_val_if_fail (server_url != NULL, NULL);
  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (ice_config == NULL || PC_IS_ICE_CONFIG (ice_config), NULL);

  return g_object_new (PC_TYPE_CALL_MANAGER, "server-url", server_url, "user", user, "name", name,
                       "token", token, "ice-config", ice_config, NULL);
}

/* Connection */

static void
on_connect_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  PcCallManager *self = g_task_get_source_object (task);
  g_autoptr (PcMessage) welcome = NULL;
  g_autoptr (GError) error = NULL;

  welcome = pc_signaling_client_connect_finish (PC_SIGNALING_CLIENT (source), result, &error);
  if (welcome == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        emit_error (self, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
pc_call_manager_connect_async (PcCallManager *self,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  GTask *task;

  g_return_if_fail (PC_IS_CALL_MANAGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pc_call_manager_connect_async);
  pc_signaling_client_connect_async (self->client, cancellable, on_connect_done, task);
}

gboolean
pc_call_manager_connect_finish (PcCallManager *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
pc_call_manager_connect (PcCallManager *self)
{
  pc_call_manager_connect_async (self, NULL, NULL, NULL);
}

void
pc_call_manager_disconnect (PcCallManager *self)
{
  g_return_if_fail (PC_IS_CALL_MANAGER (self));

  if (self->current_call != NULL)
    pc_call_manager_hangup (self, self->current_call);
  pc_signaling_client_disconnect (self->client);
}

/* Calls */

PcCall *
pc_call_manager_start_call (PcCallManager *self,
                            const char *peer_user,
                            gboolean video,
                            GError **error)
{
  g_autoptr (PcCall) call = NULL;
  PcContact *contact;
  g_autofree char *id = NULL;
  PcCallSession *session;

  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  g_return_val_if_fail (peer_user != NULL, NULL);

  if (pc_signaling_client_get_state (self->client) != PC_SIGNALING_STATE_REGISTERED)
    {
      g_set_error (error, PC_CALL_ERROR, PC_CALL_ERROR_NOT_REGISTERED,
                   "Not signed in to the server");
      return NULL;
    }
  if (self->current_call != NULL)
    {
      g_set_error (error, PC_CALL_ERROR, PC_CALL_ERROR_BUSY, "Already in a call");
      return NULL;
    }
  if (!pc_protocol_is_valid_user (peer_user) || g_strcmp0 (peer_user, self->user) == 0)
    {
      g_set_error (error, PC_CALL_ERROR, PC_CALL_ERROR_INVALID_PEER, "Cannot call “%s”", peer_user);
      return NULL;
    }

  id = g_uuid_string_random ();
  contact = pc_contact_list_lookup (self->contacts, peer_user);
  call = pc_call_new (id, peer_user, contact ? pc_contact_get_name (contact) : NULL,
                      PC_CALL_DIRECTION_OUTGOING, video);
  g_object_set_data (G_OBJECT (call), "pc-call-manager", self);

  if (!pc_signaling_client_send_invite (self->client, peer_user, id, video, error))
    return NULL;

  self->accepted = FALSE;
  clear_pending (self);
  set_current_call (self, call);
  g_signal_emit (self, signals[SIGNAL_CALL_ADDED], 0, call);
  start_ring_timer (self);

  /* Gather early: the offer and candidates are ready (and queued) by the time `accept` comes. */
  session = create_session (self, call, FALSE);
  start_session (self, call, session, TRUE);

  return g_steal_pointer (&call);
}

gboolean
pc_call_manager_accept (PcCallManager *self, PcCall *call, gboolean video, GError **error)
{
  PcCallSession *session;

  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), FALSE);
  g_return_val_if_fail (PC_IS_CALL (call), FALSE);

  if (!is_current (self, call) || pc_call_get_direction (call) != PC_CALL_DIRECTION_INCOMING
      || pc_call_get_state (call) != PC_CALL_STATE_RINGING)
    {
      g_set_error (error, PC_CALL_ERROR, PC_CALL_ERROR_WRONG_STATE,
                   "This call cannot be answered any more");
      return FALSE;
    }

  if (!pc_signaling_client_send_accept (self->client, pc_call_get_peer (call),
                                        pc_call_get_id (call), error))
    return FALSE;

  stop_ring_timer (self);
  pc_call_set_video (call, video);
  pc_call_set_state (call, PC_CALL_STATE_CONNECTING);
  session = create_session (self, call, TRUE);
  start_session (self, call, session, FALSE);
  return TRUE;
}

gboolean
pc_call_manager_decline (PcCallManager *self, PcCall *call, const char *reason, GError **error)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), FALSE);
  g_return_val_if_fail (PC_IS_CALL (call), FALSE);

  if (reason == NULL)
    reason = PC_CALL_END_DECLINED;
  if (g_strcmp0 (reason, PC_CALL_END_DECLINED) != 0 && g_strcmp0 (reason, PC_CALL_END_BUSY) != 0
      && g_strcmp0 (reason, PC_CALL_END_UNAVAILABLE) != 0)
    {
      g_set_error (error, PC_CALL_ERROR, PC_CALL_ERROR_WRONG_STATE, "“%s” is not a decline reason",
                   reason);
      return FALSE;
    }
  if (!is_current (self, call) || pc_call_get_direction (call) != PC_CALL_DIRECTION_INCOMING
      || pc_call_get_state (call) != PC_CALL_STATE_RINGING)
    {
      g_set_error (error, PC_CALL_ERROR, PC_CALL_ERROR_WRONG_STATE,
                   "This call cannot be declined any more");
      return FALSE;
    }

  end_call (self, call, reason, TRUE, PC_MESSAGE_DECLINE);
  return TRUE;
}

void
pc_call_manager_hangup (PcCallManager *self, PcCall *call)
{
  PcCallState state;

  g_return_if_fail (PC_IS_CALL_MANAGER (self));
  g_return_if_fail (PC_IS_CALL (call));

  if (!pc_call_is_active (call))
    return;

  state = pc_call_get_state (call);
  if (pc_call_get_direction (call) == PC_CALL_DIRECTION_INCOMING && state == PC_CALL_STATE_RINGING)
    end_call (self, call, PC_CALL_END_DECLINED, TRUE, PC_MESSAGE_DECLINE);
  else if (pc_call_get_direction (call) == PC_CALL_DIRECTION_OUTGOING
           && state < PC_CALL_STATE_CONNECTING)
    end_call (self, call, PC_CALL_END_CANCELLED, TRUE, PC_MESSAGE_HANGUP);
  else
    end_call (self, call, PC_CALL_END_NORMAL, TRUE, PC_MESSAGE_HANGUP);
}

/* Accessors */

PcCall *
pc_call_manager_get_current_call (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  return self->current_call;
}

GListModel *
pc_call_manager_get_contacts (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  return G_LIST_MODEL (self->contacts);
}

PcContact *
pc_call_manager_lookup_contact (PcCallManager *self, const char *user)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  return pc_contact_list_lookup (self->contacts, user);
}

PcSignalingState
pc_call_manager_get_signaling_state (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), PC_SIGNALING_STATE_DISCONNECTED);
  return self->client ? pc_signaling_client_get_state (self->client)
                      : PC_SIGNALING_STATE_DISCONNECTED;
}

PcSignalingClient *
pc_call_manager_get_signaling_client (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  return self->client;
}

const char *
pc_call_manager_get_user (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  return self->user;
}

const char *
pc_call_manager_get_name (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  return self->name && *self->name ? self->name : self->user;
}

const char *
pc_call_manager_get_server_url (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  return self->server_url;
}

void
pc_call_manager_set_video_source (PcCallManager *self, PcMediaSourceKind kind)
{
  g_return_if_fail (PC_IS_CALL_MANAGER (self));
  if (self->video_source == kind)
    return;
  self->video_source = kind;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIDEO_SOURCE]);
}

PcMediaSourceKind
pc_call_manager_get_video_source (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), PC_MEDIA_SOURCE_NONE);
  return self->video_source;
}

void
pc_call_manager_set_audio_source (PcCallManager *self, PcMediaSourceKind kind)
{
  g_return_if_fail (PC_IS_CALL_MANAGER (self));
  if (self->audio_source == kind)
    return;
  self->audio_source = kind;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUDIO_SOURCE]);
}

PcMediaSourceKind
pc_call_manager_get_audio_source (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), PC_MEDIA_SOURCE_NONE);
  return self->audio_source;
}

void
pc_call_manager_set_latency_probe (PcCallManager *self, gboolean latency_probe)
{
  g_return_if_fail (PC_IS_CALL_MANAGER (self));
  latency_probe = !!latency_probe;
  if (self->latency_probe == latency_probe)
    return;
  self->latency_probe = latency_probe;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LATENCY_PROBE]);
}

void
pc_call_manager_set_auto_answer (PcCallManager *self, gboolean auto_answer)
{
  g_return_if_fail (PC_IS_CALL_MANAGER (self));
  auto_answer = !!auto_answer;
  if (self->auto_answer == auto_answer)
    return;
  self->auto_answer = auto_answer;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTO_ANSWER]);
}

gboolean
pc_call_manager_get_auto_answer (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), FALSE);
  return self->auto_answer;
}

void
pc_call_manager_set_ring_timeout (PcCallManager *self, guint seconds)
{
  g_return_if_fail (PC_IS_CALL_MANAGER (self));
  if (self->ring_timeout == seconds)
    return;
  self->ring_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RING_TIMEOUT]);
}

const char *
pc_call_manager_error_code (const GError *error)
{
  static const char *const signaling_codes[] = {
    [PC_SIGNALING_ERROR_INVALID_URL] = "invalid-url",
    [PC_SIGNALING_ERROR_CONNECTION_REFUSED] = "connection-refused",
    [PC_SIGNALING_ERROR_CONNECTION_LOST] = "connection-lost",
    [PC_SIGNALING_ERROR_TLS] = "tls",
    [PC_SIGNALING_ERROR_HANDSHAKE] = "handshake",
    [PC_SIGNALING_ERROR_NOT_CONNECTED] = "not-connected",
  };
  static const char *const media_codes[] = {
    [PC_MEDIA_ERROR_PIPELINE] = "pipeline",
    [PC_MEDIA_ERROR_NEGOTIATION] = "negotiation",
    [PC_MEDIA_ERROR_DEVICE_MISSING] = "device-missing",
    [PC_MEDIA_ERROR_DEVICE_BUSY] = "device-busy",
    [PC_MEDIA_ERROR_ICE_FAILED] = "ice-failed",
    [PC_MEDIA_ERROR_SCREENCAST] = "screencast",
    [PC_MEDIA_ERROR_DTLS_FINGERPRINT] = "dtls-fingerprint",
  };
  static const char *const call_codes[] = {
    [PC_CALL_ERROR_NOT_REGISTERED] = "not-registered",
    [PC_CALL_ERROR_BUSY] = "busy",
    [PC_CALL_ERROR_INVALID_PEER] = "invalid-peer",
    [PC_CALL_ERROR_WRONG_STATE] = "wrong-state",
  };

  if (error == NULL)
    return "error";

  if (error->domain == PC_PROTOCOL_ERROR)
    {
      const char *code = pc_protocol_error_to_code (error->code);

      return code ? code : "error";
    }
  if (error->domain == PC_SIGNALING_ERROR && error->code >= 0
      && (gsize)error->code < G_N_ELEMENTS (signaling_codes))
    return signaling_codes[error->code];
  if (error->domain == PC_MEDIA_ERROR && error->code >= 0
      && (gsize)error->code < G_N_ELEMENTS (media_codes))
    return media_codes[error->code];
  if (error->domain == PC_CALL_ERROR && error->code >= 0
      && (gsize)error->code < G_N_ELEMENTS (call_codes))
    return call_codes[error->code];
  return "error";
}
