/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pc-call-session-private.h"

static const char *
sdp_mid_for_mline (GstElement *webrtc, guint mline, char **out)
{
  GstWebRTCSessionDescription *desc = NULL;

  *out = NULL;
  g_object_get (webrtc, "local-description", &desc, NULL);
  if (desc)
    {
      if (mline < gst_sdp_message_medias_len (desc->sdp))
        *out = g_strdup (
            gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (desc->sdp, mline), "mid"));
      gst_webrtc_session_description_free (desc);
    }
  return *out;
}

/* ---- Local descriptions --------------------------------------------------------------- */

typedef struct
{
  char *type;
  char *sdp;
  guint generation;
  gboolean is_offer;
} LocalDescription;

static void
local_description_free (LocalDescription *ld)
{
  g_free (ld->type);
  g_free (ld->sdp);
  g_free (ld);
}

static void
main_local_description (PcCallSession *self, gpointer data)
{
  LocalDescription *ld = data;

  if (ld->is_offer)
    {
      guint generation;

      g_mutex_lock (&self->lock);
      generation = self->offer_generation;
      g_mutex_unlock (&self->lock);
      self->making_offer = FALSE;
      if (generation != ld->generation)
        return; /* rolled back meanwhile */
    }
  else
    {
      self->negotiated_once = TRUE;
    }
  g_signal_emit (self, _pc_call_session_signals[SIGNAL_LOCAL_DESCRIPTION], 0, ld->type, ld->sdp);
}

static void
main_offer_failed (PcCallSession *self, gpointer data)
{
  self->making_offer = FALSE;
  if (data)
    g_message ("Offer not sent: %s", ((GError *)data)->message);
}

typedef struct
{
  PcCallSession *self;
  LocalDescription *ld;
} SetLocalData;

static void
set_local_data_free (SetLocalData *d)
{
  g_object_unref (d->self);
  if (d->ld)
    local_description_free (d->ld);
  g_free (d);
}

static void
on_set_local_done (GstPromise *promise, gpointer user_data)
{
  SetLocalData *d = user_data;
  g_autoptr (GError) error = NULL;

  _pc_call_session_promise_reply (promise, &error);
  gst_promise_unref (promise);
  if (error)
    {
      if (d->ld->is_offer)
        _pc_call_session_run_on_main (d->self, main_offer_failed, g_steal_pointer (&error),
                                      (GDestroyNotify)g_error_free);
      else
        _pc_call_session_run_on_main (d->self, _pc_call_session_main_failed,
                                      g_steal_pointer (&error), (GDestroyNotify)g_error_free);
      return;
    }
  _pc_call_session_run_on_main (d->self, main_local_description, g_steal_pointer (&d->ld),
                                (GDestroyNotify)local_description_free);
}

/* Called on webrtcbin's thread with a created offer/answer: sets it as local description. */
static void
set_local (PcCallSession *self,
           GstWebRTCSessionDescription *desc,
           gboolean is_offer,
           guint generation)
{
  SetLocalData *d = g_new0 (SetLocalData, 1);
  GstPromise *promise;

  d->self = g_object_ref (self);
  d->ld = g_new0 (LocalDescription, 1);
  d->ld->type = g_strdup (gst_webrtc_sdp_type_to_string (desc->type));
  d->ld->sdp = gst_sdp_message_as_text (desc->sdp);
  d->ld->is_offer = is_offer;
  d->ld->generation = generation;
  promise = gst_promise_new_with_change_func (on_set_local_done, d,
                                              (GDestroyNotify)set_local_data_free);
  g_signal_emit_by_name (self->webrtc, "set-local-description", desc, promise);
}

typedef struct
{
  PcCallSession *self;
  guint generation;
} OfferData;

static void
offer_data_free (OfferData *d)
{
  g_object_unref (d->self);
  g_free (d);
}

static void
on_offer_created (GstPromise *promise, gpointer user_data)
{
  OfferData *d = user_data;
  PcCallSession *self = d->self;
  g_autoptr (GError) error = NULL;
  GstWebRTCSessionDescription *offer = NULL;
  const GstStructure *reply = _pc_call_session_promise_reply (promise, &error);

  if (reply)
    gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
  if (offer == NULL)
    {
      if (error == NULL)
        g_set_error (&error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_NEGOTIATION, "No offer created");
      _pc_call_session_run_on_main (self, main_offer_failed, g_steal_pointer (&error),
                                    (GDestroyNotify)g_error_free);
    }
  else
    {
      /* Check and enqueue under the lock that rollback also takes, so a rolled-back offer is
       * either undone by the rollback or never applied. */
      g_mutex_lock (&self->lock);
      if (self->offer_generation == d->generation)
        set_local (self, offer, TRUE, d->generation);
      else
        _pc_call_session_run_on_main (self, main_offer_failed, NULL, NULL);
      g_mutex_unlock (&self->lock);
      gst_webrtc_session_description_free (offer);
    }
  gst_promise_unref (promise);
}

void
_pc_call_session_negotiate (PcCallSession *self)
{
  OfferData *d;
  GstPromise *promise;

  if (self->closed || !self->started || self->making_offer)
    return;
  if (_pc_call_session_get_signaling_state (self) != GST_WEBRTC_SIGNALING_STATE_STABLE)
    return;

  self->making_offer = TRUE;
  d = g_new0 (OfferData, 1);
  d->self = g_object_ref (self);
  g_mutex_lock (&self->lock);
  d->generation = self->offer_generation;
  g_mutex_unlock (&self->lock);
  promise = gst_promise_new_with_change_func (on_offer_created, d, (GDestroyNotify)offer_data_free);
  g_signal_emit_by_name (self->webrtc, "create-offer", NULL, promise);
}

static void
main_negotiation_needed (PcCallSession *self, gpointer data)
{
  /* The answerer waits for the caller's first offer; afterwards either side may renegotiate
   * (perfect negotiation). */
  if (self->offerer || self->negotiated_once)
    _pc_call_session_negotiate (self);
}

void
_pc_call_session_on_negotiation_needed (GstElement *webrtc, PcCallSession *self)
{
  _pc_call_session_run_on_main (self, main_negotiation_needed, NULL, NULL);
}

/* ---- Remote descriptions -------------------------------------------------------------- */

static void
flush_pending_candidates (PcCallSession *self)
{
  for (guint i = 0; i < self->pending_candidates->len; i++)
    {
      RemoteCandidate *c = g_ptr_array_index (self->pending_candidates, i);
      g_signal_emit_by_name (self->webrtc, "add-ice-candidate", (guint)MAX (c->mline, 0),
                             c->candidate ? c->candidate : "");
    }
  g_ptr_array_set_size (self->pending_candidates, 0);
}

static void
main_remote_description_set (PcCallSession *self, gpointer data)
{
  gboolean is_answer = GPOINTER_TO_INT (data);

  _pc_call_session_end_stopped_remote_tracks (self);

  self->remote_description_set = TRUE;
  if (is_answer)
    self->negotiated_once = TRUE;
  _pc_call_session_dtls_watch_transports (self);
  flush_pending_candidates (self);
}

static void
on_answer_created (GstPromise *promise, gpointer user_data)
{
  PcCallSession *self = user_data;
  g_autoptr (GError) error = NULL;
  GstWebRTCSessionDescription *answer = NULL;
  const GstStructure *reply = _pc_call_session_promise_reply (promise, &error);

  if (reply)
    gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL);
  if (answer == NULL)
    {
      if (error == NULL)
        g_set_error (&error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_NEGOTIATION, "No answer created");
      _pc_call_session_run_on_main (self, _pc_call_session_main_failed, g_steal_pointer (&error),
                                    (GDestroyNotify)g_error_free);
    }
  else
    {
      set_local (self, answer, FALSE, 0);
      gst_webrtc_session_description_free (answer);
    }
  gst_promise_unref (promise);
}

typedef struct
{
  PcCallSession *self;
  gboolean is_offer;
} RemoteData;

static void
remote_data_free (RemoteData *d)
{
  g_object_unref (d->self);
  g_free (d);
}

static void
on_remote_description_set (GstPromise *promise, gpointer user_data)
{
  RemoteData *d = user_data;
  g_autoptr (GError) error = NULL;

  _pc_call_session_promise_reply (promise, &error);
  gst_promise_unref (promise);
  if (error)
    {
      _pc_call_session_run_on_main (d->self, _pc_call_session_main_failed, g_steal_pointer (&error),
                                    (GDestroyNotify)g_error_free);
      return;
    }
  _pc_call_session_run_on_main (d->self, main_remote_description_set,
                                GINT_TO_POINTER (!d->is_offer), NULL);
  if (d->is_offer)
    {
      GstPromise *answer_promise = gst_promise_new_with_change_func (
          on_answer_created, g_object_ref (d->self), g_object_unref);
      g_signal_emit_by_name (d->self->webrtc, "create-answer", NULL, answer_promise);
    }
}

/* Starts over with a fresh pipeline before answering (nothing is connected yet); a failure
 * fails the session. */
static gboolean
restart_before_answer (PcCallSession *self, GError **error)
{
  g_autoptr (GError) restart_error = NULL;

  if (_pc_call_session_restart_pipeline (self, &restart_error))
    return TRUE;
  _pc_call_session_emit_failed (self, restart_error);
  g_propagate_error (error, g_steal_pointer (&restart_error));
  return FALSE;
}

/* A remote offer that collides with ours (perfect negotiation): the impolite peer ignores it
 * (*@ignore), the polite one drops its own offer. FALSE with @error when starting over failed. */
static gboolean
resolve_offer_collision (PcCallSession *self, gboolean *ignore, GError **error)
{
  if (!self->polite)
    {
      /* Perfect negotiation: the impolite peer keeps its own offer. */
      g_debug ("Ignoring colliding remote offer (impolite)");
      *ignore = TRUE;
      return TRUE;
    }
  /* webrtcbin 1.22 refuses rollback descriptions in every state, so the polite peer
   * "rolls back" its unanswered first offer by starting over with a fresh webrtcbin
   * (nothing is connected yet), then answers. Candidates it already sent for the
   * dropped offer simply never pair. A collision in a later renegotiation cannot be
   * undone in 1.22: the remote offer is ignored there (our sessions never renegotiate
   * on their own, so only a peer's renegotiation could collide). */
  if (self->negotiated_once)
    {
      g_warning ("Renegotiation collision: cannot roll back in webrtcbin 1.22, "
                 "ignoring the remote offer");
      *ignore = TRUE;
      return TRUE;
    }
  g_debug ("Colliding remote offer: dropping our own offer (polite)");
  g_mutex_lock (&self->lock);
  self->offer_generation++;
  g_mutex_unlock (&self->lock);
  return restart_before_answer (self, error);
}

/* Answer with the offer's payload types (a browser decodes nothing otherwise), and its TWCC
 * extension id. FALSE with @error when the media had to start over and could not. */
static gboolean
adopt_offer_codecs (PcCallSession *self, const GstSDPMessage *msg, GError **error)
{
  PcVideoCodec codec = self->video_codec;
  g_autofree char *profile_level_id = NULL;
  gint vpt, apt, twcc;

  vpt = -1;
  if (!pc_sdp_pick_video_codec (msg, pc_codec_h264_available (), &codec, &vpt, &profile_level_id)
      && pc_sdp_find_pt (msg, "video", "H264") >= 0)
    {
      GError *media_error
          = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_NEGOTIATION,
                         "The peer offers no video format Peercall can use (VP8, or H.264 "
                         "constrained baseline); video is off");
      _pc_call_session_run_on_main (self, _pc_call_session_main_media_error, media_error,
                                    (GDestroyNotify)g_error_free);
    }
  if (self->negotiated_once && codec != self->video_codec)
    {
      /* The running encoder stays: a renegotiation only keeps or drops its codec. */
      codec = self->video_codec;
      g_clear_pointer (&profile_level_id, g_free);
      vpt = pc_sdp_find_pt (msg, "video", pc_video_codec_name (codec));
    }
  apt = pc_sdp_find_pt (msg, "audio", "OPUS");
  twcc = pc_sdp_find_extmap (msg, TWCC_URI);
  if ((vpt >= 0 && (guint)vpt != self->video_pt) || (apt >= 0 && (guint)apt != self->audio_pt)
      || twcc != self->twcc_id || (vpt >= 0 && codec != self->video_codec)
      || (profile_level_id && g_strcmp0 (profile_level_id, self->h264_profile_level_id) != 0))
    {
      if (vpt >= 0)
        {
          self->video_pt = vpt;
          self->video_codec = codec;
        }
      if (profile_level_id)
        {
          g_free (self->h264_profile_level_id);
          self->h264_profile_level_id = g_steal_pointer (&profile_level_id);
        }
      if (apt >= 0)
        self->audio_pt = apt;
      self->twcc_id = twcc;
      if (!self->negotiated_once && self->playing)
        {
          /* The media already runs with our own payload types (the answerer starts at
           * accept to be ready for the offer) and webrtcbin answers from the caps it
           * received: start over with the offer's. Nothing is connected yet. */
          g_debug ("Offer uses another codec or other payload types (%s %u, audio %u, TWCC "
                   "%d): rebuilding the media",
                   pc_video_codec_name (self->video_codec), self->video_pt, self->audio_pt,
                   self->twcc_id);
          if (!restart_before_answer (self, error))
            return FALSE;
        }
      else
        _pc_call_session_apply_codec_setup (self);
    }
  return TRUE;
}

/* What the rest of the call reads from the remote description (under the lock, from any
 * thread): each m-line's mid and direction, its video m-lines and announced SSRCs. */
static void
remember_remote_media (PcCallSession *self, const GstSDPMessage *msg)
{
  guint n = gst_sdp_message_medias_len (msg);
  GStrv mids = g_new0 (char *, n + 1);
  GArray *sends = g_array_sized_new (FALSE, TRUE, sizeof (gboolean), n);
  GArray *videos = g_array_new (FALSE, TRUE, sizeof (guint));
  GHashTable *ssrcs = g_hash_table_new (NULL, NULL);
  gint first_video = -1;

  for (guint i = 0; i < n; i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (msg, i);
      const char *mid = gst_sdp_media_get_attribute_val (media, "mid");
      gboolean peer_sends = pc_sdp_media_sends (media);

      g_array_append_val (sends, peer_sends);
      mids[i] = mid ? g_strdup (mid) : g_strdup_printf ("%u", i);
      if (g_strcmp0 (gst_sdp_media_get_media (media), "video") == 0)
        {
          g_array_append_val (videos, i);
          if (first_video < 0)
            first_video = i;
        }
      for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
        {
          const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
          guint ssrc;

          if (g_strcmp0 (attr->key, "ssrc") == 0 && attr->value
              && sscanf (attr->value, "%u", &ssrc) == 1)
            g_hash_table_insert (ssrcs, GUINT_TO_POINTER (ssrc), GUINT_TO_POINTER (i + 1));
        }
    }
  g_mutex_lock (&self->lock);
  g_strfreev (self->remote_mids);
  self->remote_mids = mids;
  g_clear_pointer (&self->remote_sends, g_array_unref);
  self->remote_sends = sends;
  self->first_remote_video_mline = first_video;
  g_clear_pointer (&self->remote_video_mlines, g_array_unref);
  self->remote_video_mlines = videos;
  g_clear_pointer (&self->remote_ssrc_mlines, g_hash_table_unref);
  self->remote_ssrc_mlines = ssrcs;
  g_mutex_unlock (&self->lock);
}

gboolean
pc_call_session_set_remote_description (PcCallSession *self,
                                        const char *sdp_type,
                                        const char *sdp,
                                        GError **error)
{
  g_autoptr (GstSDPMessage) msg = NULL;
  GstWebRTCSessionDescription *desc;
  GstWebRTCSDPType type;
  RemoteData *d;
  GstPromise *promise;

  g_return_val_if_fail (PC_IS_CALL_SESSION (self), FALSE);
  g_return_val_if_fail (sdp_type != NULL && sdp != NULL, FALSE);

  if (self->closed || !self->started)
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_NEGOTIATION, "Call session not running");
      return FALSE;
    }
  if (g_str_equal (sdp_type, "offer"))
    type = GST_WEBRTC_SDP_TYPE_OFFER;
  else if (g_str_equal (sdp_type, "answer"))
    type = GST_WEBRTC_SDP_TYPE_ANSWER;
  else
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_NEGOTIATION,
                   "Unsupported description type “%s”", sdp_type);
      return FALSE;
    }
  if (gst_sdp_message_new_from_text (sdp, &msg) != GST_SDP_OK
      || gst_sdp_message_medias_len (msg) == 0)
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_NEGOTIATION,
                   "The remote description is not valid SDP");
      return FALSE;
    }

  if (type == GST_WEBRTC_SDP_TYPE_OFFER)
    {
      gboolean collision
          = self->making_offer
            || _pc_call_session_get_signaling_state (self) != GST_WEBRTC_SIGNALING_STATE_STABLE;
      gboolean ignore = FALSE;

      if (collision && !resolve_offer_collision (self, &ignore, error))
        return FALSE;
      if (ignore)
        return TRUE;
    }
  if (!_pc_call_session_dtls_set_remote_description (self, sdp, error))
    return FALSE;
  if (type == GST_WEBRTC_SDP_TYPE_OFFER)
    {
      if (!adopt_offer_codecs (self, msg, error))
        return FALSE;
      _pc_call_session_ensure_playing (self);
    }
  remember_remote_media (self, msg);

  desc = gst_webrtc_session_description_new (type, g_steal_pointer (&msg));
  d = g_new0 (RemoteData, 1);
  d->self = g_object_ref (self);
  d->is_offer = type == GST_WEBRTC_SDP_TYPE_OFFER;
  promise = gst_promise_new_with_change_func (on_remote_description_set, d,
                                              (GDestroyNotify)remote_data_free);
  g_signal_emit_by_name (self->webrtc, "set-remote-description", desc, promise);
  gst_webrtc_session_description_free (desc);
  return TRUE;
}

void
pc_call_session_add_remote_candidate (PcCallSession *self,
                                      const char *candidate,
                                      const char *sdp_mid,
                                      gint sdp_mline_index)
{
  RemoteCandidate *c;

  g_return_if_fail (PC_IS_CALL_SESSION (self));

  if (self->closed)
    return;
  if (candidate && *candidate == '\0')
    candidate = NULL;

  c = g_new0 (RemoteCandidate, 1);
  c->candidate = g_strdup (candidate);
  c->sdp_mid = g_strdup (sdp_mid);
  c->mline = sdp_mline_index;
  g_ptr_array_add (self->pending_candidates, c);
  if (self->remote_description_set)
    flush_pending_candidates (self);
}

/* ---- ICE, connection state ------------------------------------------------------------ */

typedef struct
{
  guint mline;
  char *candidate;
} LocalCandidate;

static void
local_candidate_free (LocalCandidate *c)
{
  g_free (c->candidate);
  g_free (c);
}

static void
main_local_candidate (PcCallSession *self, gpointer data)
{
  LocalCandidate *c = data;
  g_autofree char *mid = NULL;

  if (c->candidate == NULL)
    {
      if (self->end_of_candidates_sent)
        return;
      self->end_of_candidates_sent = TRUE;
      g_signal_emit (self, _pc_call_session_signals[SIGNAL_LOCAL_CANDIDATE], 0, NULL, NULL, 0);
      return;
    }
  sdp_mid_for_mline (self->webrtc, c->mline, &mid);
  /* Browsers send "candidate:..." without the "a=" of SDP. */
  g_signal_emit (self, _pc_call_session_signals[SIGNAL_LOCAL_CANDIDATE], 0,
                 g_str_has_prefix (c->candidate, "a=") ? c->candidate + 2 : c->candidate, mid,
                 (gint)c->mline);
}

void
_pc_call_session_on_ice_candidate (GstElement *webrtc,
                                   guint mline,
                                   const char *candidate,
                                   PcCallSession *self)
{
  LocalCandidate *c = g_new0 (LocalCandidate, 1);

  c->mline = mline;
  c->candidate = candidate && *candidate ? g_strdup (candidate) : NULL;
  _pc_call_session_run_on_main (self, main_local_candidate, c,
                                (GDestroyNotify)local_candidate_free);
}

static void
main_gathering_state (PcCallSession *self, gpointer data)
{
  GstWebRTCICEGatheringState state = GPOINTER_TO_INT (data);

  if (state == GST_WEBRTC_ICE_GATHERING_STATE_GATHERING)
    self->end_of_candidates_sent = FALSE;
  else if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    {
      LocalCandidate c = { 0, NULL };
      main_local_candidate (self, &c);
    }
}

void
_pc_call_session_on_gathering_state (GObject *webrtc, GParamSpec *pspec, PcCallSession *self)
{
  GstWebRTCICEGatheringState state;

  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  _pc_call_session_run_on_main (self, main_gathering_state, GINT_TO_POINTER (state), NULL);
}

static void
start_stats_timer (PcCallSession *self)
{
  if (self->stats_source)
    return;
  self->stats_source = g_timeout_source_new (1000);
  g_source_set_callback (self->stats_source, _pc_call_session_on_stats_tick, self, NULL);
  g_source_set_static_name (self->stats_source, "[peercall] stats");
  g_source_attach (self->stats_source, self->context);
}

void
_pc_call_session_stop_stats_timer (PcCallSession *self)
{
  if (self->stats_source)
    {
      g_source_destroy (self->stats_source);
      g_clear_pointer (&self->stats_source, g_source_unref);
    }
}

static void
main_connection_state (PcCallSession *self, gpointer data)
{
  PcConnectionState state = GPOINTER_TO_INT (data);

  if (state == self->connection_state)
    return;
  /* "connected" only with a peer certificate that matches its description */
  if (state == PC_CONNECTION_STATE_CONNECTED && !_pc_call_session_dtls_check_transports (self))
    return;
  self->connection_state = state;
  g_object_notify_by_pspec (G_OBJECT (self), _pc_call_session_properties[PROP_CONNECTION_STATE]);

  if (state == PC_CONNECTION_STATE_CONNECTED)
    {
      start_stats_timer (self);
      _pc_call_session_request_stats (self);
    }
  else if (state != PC_CONNECTION_STATE_CONNECTING)
    {
      _pc_call_session_stop_stats_timer (self);
    }
  if (state == PC_CONNECTION_STATE_FAILED)
    {
      g_autoptr (GError) error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_ICE_FAILED,
                                              "The connection to the peer failed");
      _pc_call_session_emit_failed (self, error);
    }
}

void
_pc_call_session_on_connection_state (GObject *webrtc, GParamSpec *pspec, PcCallSession *self)
{
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  /* Frames encoded before SRTP had keys never left: the next one must be a keyframe, or the
   * peer waits for its picture-loss request to come back as one. Asked here, on webrtcbin's
   * thread, it lands one main-loop turn sooner. */
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    _pc_call_session_force_local_keyframe (self);
  /* PcConnectionState mirrors GstWebRTCPeerConnectionState value for value. */
  _pc_call_session_run_on_main (self, main_connection_state, GINT_TO_POINTER ((gint)state), NULL);
}

gboolean
_pc_call_session_ice_state_is_connected (const char *state)
{
  return g_strcmp0 (state, "connected") == 0 || g_strcmp0 (state, "completed") == 0;
}

static void
main_ice_connection_state (PcCallSession *self, gpointer data)
{
  const char *state = data;

  if (g_strcmp0 (state, self->ice_state) == 0)
    return;
  g_free (self->ice_state);
  self->ice_state = g_strdup (state);
  g_object_notify_by_pspec (G_OBJECT (self),
                            _pc_call_session_properties[PROP_ICE_CONNECTION_STATE]);

  if (_pc_call_session_ice_state_is_connected (state))
    {
      /* Reported with the selected pair's types once get-stats has them. */
      self->ice_types_reported = FALSE;
      _pc_call_session_request_stats (self);
      return;
    }
  g_signal_emit (self, _pc_call_session_signals[SIGNAL_ICE_STATE], 0, state, NULL, NULL);
  if (g_str_equal (state, "failed"))
    {
      g_autoptr (GError) error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_ICE_FAILED,
                                              "No network path to the peer (ICE failed)");
      _pc_call_session_emit_failed (self, error);
    }
}

void
_pc_call_session_on_ice_connection_state (GObject *webrtc, GParamSpec *pspec, PcCallSession *self)
{
  GstWebRTCICEConnectionState state;
  GEnumClass *klass;
  GEnumValue *value;

  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  klass = g_type_class_ref (GST_TYPE_WEBRTC_ICE_CONNECTION_STATE);
  value = g_enum_get_value (klass, state);
  _pc_call_session_run_on_main (self, main_ice_connection_state,
                                g_strdup (value ? value->value_nick : "new"), g_free);
  g_type_class_unref (klass);
}
