/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pc-call-session-private.h"

GParamSpec *_pc_call_session_properties[N_PROPS];
guint _pc_call_session_signals[N_SIGNALS];

G_DEFINE_TYPE (PcCallSession, pc_call_session, G_TYPE_OBJECT)

static void
remote_candidate_free (RemoteCandidate *c)
{
  g_free (c->candidate);
  g_free (c->sdp_mid);
  g_free (c);
}

void
_pc_call_session_raw_stats_clear (RawStats *raw)
{
  g_clear_pointer (&raw->local_type, g_free);
  g_clear_pointer (&raw->remote_type, g_free);
}

void
_pc_call_session_frame_sink_clear (FrameSink *sink)
{
  if (sink->destroy)
    sink->destroy (sink->data);
  sink->func = NULL;
  sink->data = NULL;
  sink->destroy = NULL;
}

void
_pc_call_session_remote_video_free (RemoteVideo *rv)
{
  _pc_call_session_frame_sink_clear (&rv->sink);
  for (guint i = 0; i < G_N_ELEMENTS (rv->elements); i++)
    g_clear_object (&rv->elements[i]);
  g_clear_object (&rv->pad);
  g_free (rv->mid);
  g_free (rv);
}

/* ---- Handing work from streaming threads to the session's main context ---------------- */

typedef struct
{
  PcCallSession *self;
  MainFunc func;
  gpointer data;
  GDestroyNotify destroy;
  gint generation;
} Invocation;

static gboolean
invocation_dispatch (gpointer user_data)
{
  Invocation *inv = user_data;

  /* Nothing reaches the application after close(), nor from a pipeline replaced since. */
  if (!inv->self->closed && inv->generation == g_atomic_int_get (&inv->self->pipeline_generation))
    inv->func (inv->self, inv->data);
  return G_SOURCE_REMOVE;
}

static void
invocation_free (gpointer user_data)
{
  Invocation *inv = user_data;

  if (inv->destroy && inv->data)
    inv->destroy (inv->data);
  g_object_unref (inv->self);
  g_free (inv);
}

void
_pc_call_session_run_on_main_at (PcCallSession *self,
                                 gint priority,
                                 const char *name,
                                 MainFunc func,
                                 gpointer data,
                                 GDestroyNotify destroy)
{
  Invocation *inv = g_new0 (Invocation, 1);
  GSource *source = g_idle_source_new ();

  inv->self = g_object_ref (self);
  inv->func = func;
  inv->data = data;
  inv->destroy = destroy;
  inv->generation = g_atomic_int_get (&self->pipeline_generation);
  g_source_set_priority (source, priority);
  g_source_set_callback (source, invocation_dispatch, inv, invocation_free);
  g_source_set_static_name (source, name);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* Always deferred (never run inline) so signal handlers never run inside webrtcbin's or
 * GStreamer's locks, and the order of events from one thread is kept. */
void
_pc_call_session_run_on_main (PcCallSession *self,
                              MainFunc func,
                              gpointer data,
                              GDestroyNotify destroy)
{
  _pc_call_session_run_on_main_at (self, G_PRIORITY_DEFAULT, "[peercall] call session", func, data,
                                   destroy);
}

void
_pc_call_session_emit_failed (PcCallSession *self, GError *error)
{
  g_warning ("Call failed: %s", error->message);
  g_signal_emit (self, _pc_call_session_signals[SIGNAL_FAILED], 0, error);
}

void
_pc_call_session_emit_media_error (PcCallSession *self, GError *error)
{
  g_message ("Media problem (call continues): %s", error->message);
  g_signal_emit (self, _pc_call_session_signals[SIGNAL_MEDIA_ERROR], 0, error);
}

void
_pc_call_session_main_failed (PcCallSession *self, gpointer data)
{
  _pc_call_session_emit_failed (self, data);
}

void
_pc_call_session_main_media_error (PcCallSession *self, gpointer data)
{
  _pc_call_session_emit_media_error (self, data);
}

GstWebRTCSignalingState
_pc_call_session_get_signaling_state (PcCallSession *self)
{
  GstWebRTCSignalingState state = GST_WEBRTC_SIGNALING_STATE_STABLE;

  if (self->webrtc)
    g_object_get (self->webrtc, "signaling-state", &state, NULL);
  return state;
}

/* Reads a promise reply; FALSE with @error when webrtcbin reported one. */
const GstStructure *
_pc_call_session_promise_reply (GstPromise *promise, GError **error)
{
  const GstStructure *reply;
  GError *reply_error = NULL;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED)
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_NEGOTIATION, "webrtcbin did not reply");
      return NULL;
    }
  reply = gst_promise_get_reply (promise);
  if (reply && gst_structure_has_field (reply, "error"))
    {
      gst_structure_get (reply, "error", G_TYPE_ERROR, &reply_error, NULL);
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_NEGOTIATION, "%s",
                   reply_error ? reply_error->message : "negotiation error");
      g_clear_error (&reply_error);
      return NULL;
    }
  return reply;
}

void
_pc_call_session_ensure_playing (PcCallSession *self)
{
  if (self->playing)
    return;
  self->playing = TRUE;
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      GError *error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                                   "The media pipeline refused to start");
      _pc_call_session_run_on_main (self, _pc_call_session_main_failed, error,
                                    (GDestroyNotify)g_error_free);
    }
}

static void
attach_bus (PcCallSession *self)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (self->pipeline);

  self->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (self->bus_source, G_SOURCE_FUNC (_pc_call_session_on_bus_message), self,
                         NULL);
  g_source_attach (self->bus_source, self->context);
}

/* Stops and drops the pipeline; work it already queued for the main context is discarded. */
static void
teardown_pipeline (PcCallSession *self)
{
  _pc_call_session_stop_stats_timer (self);
  _pc_call_session_clear_pending (self); /* a source still warming up goes with the pipeline */
  if (self->bus_source)
    {
      g_source_destroy (self->bus_source);
      g_clear_pointer (&self->bus_source, g_source_unref);
    }
  if (self->pipeline)
    {
      _pc_call_session_wait_for_stats_requests (self);
      /* Joins every streaming thread: nothing calls back into us after this. */
      gst_element_set_state (self->pipeline, GST_STATE_NULL);
      if (self->webrtc)
        {
          g_autoptr (GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (self->webrtc), "rtpbin");

          if (rtpbin)
            g_signal_handlers_disconnect_by_data (rtpbin, self);
          g_signal_handlers_disconnect_by_data (self->webrtc, self);
        }
      g_signal_handlers_disconnect_by_data (self->pipeline, self);
    }
  g_atomic_int_inc (&self->pipeline_generation);
  /* Streaming threads are joined: the chains' callbacks cannot run any more. */
  {
    GPtrArray *chains;

    g_mutex_lock (&self->lock);
    chains = self->remote_videos;
    self->remote_videos
        = g_ptr_array_new_with_free_func ((GDestroyNotify)_pc_call_session_remote_video_free);
    g_mutex_unlock (&self->lock);
    g_ptr_array_unref (chains); /* outside the lock: frame sinks' destroy notifies run here */
  }
  g_mutex_lock (&self->lock);
  g_ptr_array_set_size (self->jitterbuffers, 0);
  g_mutex_unlock (&self->lock);
  self->late_packets = 0;
  g_clear_object (&self->video_trans);
  g_clear_object (&self->audio_trans);
  g_clear_object (&self->remote_video_sink);
  g_clear_pointer (&self->send_caps, gst_caps_unref);
  self->sharing_screen = FALSE;
  g_clear_object (&self->video_src);
  g_clear_object (&self->video_in);
  g_clear_object (&self->vencoder);
  g_clear_object (&self->vpay);
  g_clear_object (&self->apay);
  g_clear_object (&self->volume);
  g_clear_object (&self->preview_valve);
  self->echo_probe = NULL; /* owned by the pipeline */
  self->video_caps = NULL;
  g_clear_object (&self->webrtc);
  g_clear_object (&self->pipeline);
  self->playing = FALSE;
}

gboolean
_pc_call_session_restart_pipeline (PcCallSession *self, GError **error)
{
  teardown_pipeline (self);
  self->making_offer = FALSE;
  self->remote_description_set = FALSE; /* the peer's queued candidates stay queued */
  self->end_of_candidates_sent = FALSE;
  self->have_prev = FALSE;
  g_clear_pointer (&self->ice_state, g_free);
  self->ice_state = g_strdup ("new");
  if (!_pc_call_session_build_pipeline (self, error))
    return FALSE;
  attach_bus (self);
  if (self->preview_valve && self->local_sink.func)
    g_object_set (self->preview_valve, "drop", FALSE, NULL);
  return TRUE;
}

static void
main_start_offer (PcCallSession *self, gpointer data)
{
  _pc_call_session_negotiate (self);
}

gboolean
pc_call_session_start (PcCallSession *self, gboolean offerer, GError **error)
{
  g_return_val_if_fail (PC_IS_CALL_SESSION (self), FALSE);
  g_return_val_if_fail (!self->started, FALSE);

  if (self->closed)
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE, "Call session closed");
      return FALSE;
    }
  pc_media_prepare_note_call_started ();
  self->offerer = offerer;
  self->video_codec = self->preferred_codec == PC_VIDEO_CODEC_H264 && pc_codec_h264_available ()
                          ? PC_VIDEO_CODEC_H264
                          : PC_VIDEO_CODEC_VP8;
  self->video_pt = self->video_codec == PC_VIDEO_CODEC_H264 ? DEFAULT_H264_PT : DEFAULT_VIDEO_PT;
  if (!_pc_call_session_build_pipeline (self, error))
    {
      pc_call_session_close (self);
      return FALSE;
    }

  attach_bus (self);
  self->started = TRUE;
  /* The answerer starts its media now too, before the offer: sources open and the encoders
   * have their first frames waiting at webrtcbin (which holds them until the stream is
   * negotiated) by the time the offer arrives, so the first keyframe leaves as soon as DTLS
   * is up. An offer with other payload types than ours rebuilds the pipeline (see
   * pc_call_session_set_remote_description). */
  _pc_call_session_ensure_playing (self);
  if (offerer)
    _pc_call_session_run_on_main (self, main_start_offer, NULL, NULL);
  return !self->closed;
}

/* ---- Public controls ------------------------------------------------------------------ */

void
pc_call_session_set_muted (PcCallSession *self, gboolean muted)
{
  g_return_if_fail (PC_IS_CALL_SESSION (self));

  muted = !!muted;
  if (self->muted == muted)
    return;
  self->muted = muted;
  if (self->volume)
    g_object_set (self->volume, "mute", muted, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), _pc_call_session_properties[PROP_MUTED]);
}

gboolean
pc_call_session_get_muted (PcCallSession *self)
{
  g_return_val_if_fail (PC_IS_CALL_SESSION (self), FALSE);
  return self->muted;
}

void
pc_call_session_set_camera_enabled (PcCallSession *self, gboolean enabled)
{
  g_return_if_fail (PC_IS_CALL_SESSION (self));

  enabled = !!enabled;
  if (self->camera_enabled == enabled)
    return;
  self->camera_enabled = enabled;
  g_atomic_int_set (&self->camera_off, !enabled);
  /* The first frame after the switch should not wait for the next scheduled keyframe. */
  _pc_call_session_force_local_keyframe (self);
  g_object_notify_by_pspec (G_OBJECT (self), _pc_call_session_properties[PROP_CAMERA_ENABLED]);
}

gboolean
pc_call_session_get_camera_enabled (PcCallSession *self)
{
  g_return_val_if_fail (PC_IS_CALL_SESSION (self), FALSE);
  return self->camera_enabled;
}

gboolean
pc_call_session_set_video_source (PcCallSession *self, PcMediaSourceKind kind, GError **error)
{
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (PC_IS_CALL_SESSION (self), FALSE);

  if (!self->started || self->closed)
    {
      if (self->video_kind != kind)
        {
          self->video_kind = kind;
          g_object_notify_by_pspec (G_OBJECT (self),
                                    _pc_call_session_properties[PROP_VIDEO_SOURCE]);
        }
      return TRUE;
    }
  if (kind == self->video_kind)
    return TRUE;
  /* "video-source" is notified once the new source's frames go to the encoder. */
  if (!_pc_call_session_switch_video_source (self, kind, &local_error))
    {
      /* Reported once: to the caller when it asked, else as media-error. */
      if (error)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        _pc_call_session_emit_media_error (self, local_error);
      return FALSE;
    }
  return TRUE;
}

void
pc_call_session_set_screencast (PcCallSession *self, PcScreencast *screencast)
{
  g_return_if_fail (PC_IS_CALL_SESSION (self));
  g_return_if_fail (screencast == NULL || PC_IS_SCREENCAST (screencast));

  if (screencast == self->screencast)
    {
      /* The application now owns what we may have made ourselves. */
      if (screencast)
        self->screencast_owned = FALSE;
      return;
    }
  _pc_call_session_set_screencast_object (self, screencast, FALSE);
  if (!self->started || self->closed || !self->sharing_screen)
    return;
  /* Sharing now: move to the new capture at once, or end the share when unset. */
  if (screencast)
    {
      g_autoptr (GError) error = NULL;

      if (!_pc_call_session_switch_video_source (self, PC_MEDIA_SOURCE_SCREEN, &error))
        {
          _pc_call_session_emit_media_error (self, error);
          _pc_call_session_end_screen_share (self);
        }
    }
  else
    _pc_call_session_end_screen_share (self);
}

PcScreencast *
pc_call_session_get_screencast (PcCallSession *self)
{
  g_return_val_if_fail (PC_IS_CALL_SESSION (self), NULL);
  return self->screencast;
}

PcMediaSourceKind
pc_call_session_get_video_source (PcCallSession *self)
{
  g_return_val_if_fail (PC_IS_CALL_SESSION (self), PC_MEDIA_SOURCE_NONE);
  return self->video_kind;
}

void
pc_call_session_request_keyframe (PcCallSession *self)
{
  g_return_if_fail (PC_IS_CALL_SESSION (self));

  /* Upstream from our decoder: rtpsession turns it into a PLI to the peer, whose
   * rtpbin/payloader hand it to its encoder as a force-key-unit event. */
  if (self->remote_video_sink)
    gst_element_send_event (self->remote_video_sink, gst_video_event_new_upstream_force_key_unit (
                                                         GST_CLOCK_TIME_NONE, TRUE, 0));
}

PcConnectionState
pc_call_session_get_connection_state (PcCallSession *self)
{
  g_return_val_if_fail (PC_IS_CALL_SESSION (self), PC_CONNECTION_STATE_CLOSED);
  return self->connection_state;
}

const char *
pc_call_session_get_ice_connection_state (PcCallSession *self)
{
  g_return_val_if_fail (PC_IS_CALL_SESSION (self), NULL);
  return self->ice_state;
}

PcCallStats *
pc_call_session_get_last_stats (PcCallSession *self)
{
  g_return_val_if_fail (PC_IS_CALL_SESSION (self), NULL);
  return self->last_stats;
}

guint64
pc_call_session_get_frames_decoded (PcCallSession *self)
{
  guint64 frames;

  g_return_val_if_fail (PC_IS_CALL_SESSION (self), 0);
  g_mutex_lock (&self->lock);
  frames = self->frames_decoded;
  g_mutex_unlock (&self->lock);
  return frames;
}

void
pc_call_session_get_video_counters (PcCallSession *self,
                                    guint64 *frames_encoded,
                                    guint64 *keyframes_encoded,
                                    guint64 *keyframes_received)
{
  g_return_if_fail (PC_IS_CALL_SESSION (self));

  g_mutex_lock (&self->lock);
  if (frames_encoded)
    *frames_encoded = self->frames_encoded;
  if (keyframes_encoded)
    *keyframes_encoded = self->keyframes_encoded;
  if (keyframes_received)
    *keyframes_received = self->keyframes_received;
  g_mutex_unlock (&self->lock);
}

guint
pc_call_session_get_jitterbuffer_latency (PcCallSession *self)
{
  g_return_val_if_fail (PC_IS_CALL_SESSION (self), 0);
  return self->jitterbuffer_latency;
}

gboolean
pc_call_session_set_extra_video_func (PcCallSession *self,
                                      const char *mid,
                                      PcVideoFrameFunc func,
                                      gpointer user_data,
                                      GDestroyNotify destroy)
{
  FrameSink old = { 0 };
  gboolean found = FALSE;

  g_return_val_if_fail (PC_IS_CALL_SESSION (self), FALSE);
  g_return_val_if_fail (mid != NULL, FALSE);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->remote_videos->len && !found; i++)
    {
      RemoteVideo *rv = g_ptr_array_index (self->remote_videos, i);
      if (!rv->main && g_strcmp0 (rv->mid, mid) == 0)
        {
          old = rv->sink;
          rv->sink.func = func;
          rv->sink.data = user_data;
          rv->sink.destroy = destroy;
          found = TRUE;
        }
    }
  g_mutex_unlock (&self->lock);
  if (found)
    _pc_call_session_frame_sink_clear (&old);
  else if (destroy)
    destroy (user_data);
  return found;
}

guint64
pc_call_session_get_extra_frames_decoded (PcCallSession *self, const char *mid)
{
  guint64 frames = 0;

  g_return_val_if_fail (PC_IS_CALL_SESSION (self), 0);
  g_return_val_if_fail (mid != NULL, 0);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->remote_videos->len; i++)
    {
      RemoteVideo *rv = g_ptr_array_index (self->remote_videos, i);
      if (!rv->main && g_strcmp0 (rv->mid, mid) == 0)
        frames = rv->frames;
    }
  g_mutex_unlock (&self->lock);
  return frames;
}

static void
set_frame_sink (PcCallSession *self,
                FrameSink *sink,
                PcVideoFrameFunc func,
                gpointer user_data,
                GDestroyNotify destroy)
{
  FrameSink old;

  g_mutex_lock (&self->lock);
  old = *sink;
  sink->func = func;
  sink->data = user_data;
  sink->destroy = destroy;
  g_mutex_unlock (&self->lock);
  _pc_call_session_frame_sink_clear (&old);
}

void
pc_call_session_set_remote_video_func (PcCallSession *self,
                                       PcVideoFrameFunc func,
                                       gpointer user_data,
                                       GDestroyNotify destroy)
{
  g_return_if_fail (PC_IS_CALL_SESSION (self));
  set_frame_sink (self, &self->remote_sink, func, user_data, destroy);
}

void
pc_call_session_set_local_video_func (PcCallSession *self,
                                      PcVideoFrameFunc func,
                                      gpointer user_data,
                                      GDestroyNotify destroy)
{
  g_return_if_fail (PC_IS_CALL_SESSION (self));
  set_frame_sink (self, &self->local_sink, func, user_data, destroy);
  /* The preview branch converts to BGRA only while somebody watches. */
  if (self->preview_valve)
    g_object_set (self->preview_valve, "drop", func == NULL, NULL);
}

void
pc_call_session_close (PcCallSession *self)
{
  g_return_if_fail (PC_IS_CALL_SESSION (self));

  if (self->closed)
    return;
  self->closed = TRUE;
  teardown_pipeline (self);
  if (self->screencast && self->screencast_owned)
    pc_screencast_stop (self->screencast);
  if (self->connection_state != PC_CONNECTION_STATE_CLOSED)
    {
      self->connection_state = PC_CONNECTION_STATE_CLOSED;
      g_object_notify_by_pspec (G_OBJECT (self),
                                _pc_call_session_properties[PROP_CONNECTION_STATE]);
    }
}

/* ---- GObject -------------------------------------------------------------------------- */

static void
pc_call_session_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PcCallSession *self = PC_CALL_SESSION (object);

  switch (prop_id)
    {
    case PROP_ICE_CONFIG:
      g_value_set_object (value, self->ice_config);
      break;
    case PROP_POLITE:
      g_value_set_boolean (value, self->polite);
      break;
    case PROP_VIDEO_SOURCE:
      g_value_set_enum (value, self->video_kind);
      break;
    case PROP_AUDIO_SOURCE:
      g_value_set_enum (value, self->audio_kind);
      break;
    case PROP_LATENCY_PROBE:
      g_value_set_boolean (value, self->latency_probe);
      break;
    case PROP_JITTERBUFFER_LATENCY:
      g_value_set_uint (value, self->jitterbuffer_latency);
      break;
    case PROP_VIDEO_WIDTH:
      g_value_set_uint (value, self->video_width);
      break;
    case PROP_VIDEO_HEIGHT:
      g_value_set_uint (value, self->video_height);
      break;
    case PROP_VIDEO_FPS:
      g_value_set_uint (value, self->video_fps);
      break;
    case PROP_VIDEO_CODEC:
      g_value_set_string (value, self->preferred_codec == PC_VIDEO_CODEC_H264 ? "h264" : "vp8");
      break;
    case PROP_CONNECTION_STATE:
      g_value_set_int (value, self->connection_state);
      break;
    case PROP_ICE_CONNECTION_STATE:
      g_value_set_string (value, self->ice_state);
      break;
    case PROP_MUTED:
      g_value_set_boolean (value, self->muted);
      break;
    case PROP_CAMERA_ENABLED:
      g_value_set_boolean (value, self->camera_enabled);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_call_session_set_property (GObject *object,
                              guint prop_id,
                              const GValue *value,
                              GParamSpec *pspec)
{
  PcCallSession *self = PC_CALL_SESSION (object);

  switch (prop_id)
    {
    case PROP_ICE_CONFIG:
      self->ice_config = g_value_dup_object (value);
      break;
    case PROP_POLITE:
      self->polite = g_value_get_boolean (value);
      break;
    case PROP_VIDEO_SOURCE:
      pc_call_session_set_video_source (self, g_value_get_enum (value), NULL);
      break;
    case PROP_AUDIO_SOURCE:
      self->audio_kind = g_value_get_enum (value);
      break;
    case PROP_LATENCY_PROBE:
      self->latency_probe = g_value_get_boolean (value);
      break;
    case PROP_JITTERBUFFER_LATENCY:
      self->jitterbuffer_latency = g_value_get_uint (value);
      break;
    case PROP_VIDEO_WIDTH:
      if (g_value_get_uint (value))
        self->video_width = g_value_get_uint (value) & ~1u;
      break;
    case PROP_VIDEO_HEIGHT:
      if (g_value_get_uint (value))
        self->video_height = g_value_get_uint (value) & ~1u;
      break;
    case PROP_VIDEO_FPS:
      if (g_value_get_uint (value))
        self->video_fps = g_value_get_uint (value);
      break;
    case PROP_VIDEO_CODEC:
      /* only what we offer: an answer follows the offer */
      self->preferred_codec
          = g_ascii_strcasecmp (g_value_get_string (value) ? g_value_get_string (value) : "",
                                "h264")
                    == 0
                ? PC_VIDEO_CODEC_H264
                : PC_VIDEO_CODEC_VP8;
      break;
    case PROP_MUTED:
      pc_call_session_set_muted (self, g_value_get_boolean (value));
      break;
    case PROP_CAMERA_ENABLED:
      pc_call_session_set_camera_enabled (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_call_session_dispose (GObject *object)
{
  PcCallSession *self = PC_CALL_SESSION (object);

  pc_call_session_close (self);
  _pc_call_session_set_screencast_object (self, NULL, FALSE);
  set_frame_sink (self, &self->remote_sink, NULL, NULL, NULL);
  set_frame_sink (self, &self->local_sink, NULL, NULL, NULL);
  g_clear_object (&self->ice_config);

  G_OBJECT_CLASS (pc_call_session_parent_class)->dispose (object);
}

static void
pc_call_session_finalize (GObject *object)
{
  PcCallSession *self = PC_CALL_SESSION (object);

  g_ptr_array_unref (self->pending_candidates);
  g_ptr_array_unref (self->remote_videos);
  g_ptr_array_unref (self->jitterbuffers);
  g_ptr_array_unref (self->stats_requests);
  g_strfreev (self->remote_mids);
  g_clear_pointer (&self->remote_sends, g_array_unref);
  g_clear_pointer (&self->remote_video_mlines, g_array_unref);
  g_clear_pointer (&self->remote_ssrc_mlines, g_hash_table_unref);
  g_free (self->ice_state);
  g_free (self->h264_profile_level_id);
  g_clear_object (&self->dtls_verifier);
  g_clear_error (&self->dtls_error);
  pc_call_stats_free (self->last_stats);
  _pc_call_session_raw_stats_clear (&self->prev);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (pc_call_session_parent_class)->finalize (object);
}

static void
pc_call_session_class_init (PcCallSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const char *env_latency = g_getenv ("PEERCALL_JITTERBUFFER_LATENCY");
  guint default_latency = DEFAULT_JITTERBUFFER_LATENCY;

  if (env_latency)
    default_latency = (guint)g_ascii_strtoull (env_latency, NULL, 10);

  object_class->get_property = pc_call_session_get_property;
  object_class->set_property = pc_call_session_set_property;
  object_class->dispose = pc_call_session_dispose;
  object_class->finalize = pc_call_session_finalize;

  _pc_call_session_properties[PROP_ICE_CONFIG]
      = g_param_spec_object ("ice-config", NULL, NULL, PC_TYPE_ICE_CONFIG, construct);
  _pc_call_session_properties[PROP_POLITE]
      = g_param_spec_boolean ("polite", NULL, NULL, FALSE, construct);
  _pc_call_session_properties[PROP_VIDEO_SOURCE] = g_param_spec_enum (
      "video-source", NULL, NULL, PC_TYPE_MEDIA_SOURCE_KIND, PC_MEDIA_SOURCE_TEST,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _pc_call_session_properties[PROP_AUDIO_SOURCE] = g_param_spec_enum (
      "audio-source", NULL, NULL, PC_TYPE_MEDIA_SOURCE_KIND, PC_MEDIA_SOURCE_TEST, construct);
  _pc_call_session_properties[PROP_LATENCY_PROBE]
      = g_param_spec_boolean ("latency-probe", NULL, NULL, FALSE, construct);
  _pc_call_session_properties[PROP_JITTERBUFFER_LATENCY] = g_param_spec_uint (
      "jitterbuffer-latency", NULL, NULL, 0, 10000, default_latency, construct);
  _pc_call_session_properties[PROP_VIDEO_WIDTH]
      = g_param_spec_uint ("video-width", NULL, NULL, 0, 3840, 0, construct);
  _pc_call_session_properties[PROP_VIDEO_HEIGHT]
      = g_param_spec_uint ("video-height", NULL, NULL, 0, 2160, 0, construct);
  _pc_call_session_properties[PROP_VIDEO_FPS]
      = g_param_spec_uint ("video-fps", NULL, NULL, 0, 120, 0, construct);
  /* "vp8" or "h264": the video codec this side offers (PEERCALL_VIDEO_CODEC sets the
   * default). An answerer takes the offerer's first codec it can use. */
  _pc_call_session_properties[PROP_VIDEO_CODEC] = g_param_spec_string (
      "video-codec", NULL, NULL,
      g_getenv ("PEERCALL_VIDEO_CODEC") ? g_getenv ("PEERCALL_VIDEO_CODEC") : "vp8", construct);
  _pc_call_session_properties[PROP_CONNECTION_STATE] = g_param_spec_int (
      "connection-state", NULL, NULL, PC_CONNECTION_STATE_NEW, PC_CONNECTION_STATE_CLOSED,
      PC_CONNECTION_STATE_NEW, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _pc_call_session_properties[PROP_ICE_CONNECTION_STATE]
      = g_param_spec_string ("ice-connection-state", NULL, NULL, "new",
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _pc_call_session_properties[PROP_MUTED]
      = g_param_spec_boolean ("muted", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  _pc_call_session_properties[PROP_CAMERA_ENABLED]
      = g_param_spec_boolean ("camera-enabled", NULL, NULL, TRUE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, _pc_call_session_properties);

  _pc_call_session_signals[SIGNAL_LOCAL_DESCRIPTION]
      = g_signal_new ("local-description", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  _pc_call_session_signals[SIGNAL_LOCAL_CANDIDATE]
      = g_signal_new ("local-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT);
  _pc_call_session_signals[SIGNAL_ICE_STATE]
      = g_signal_new ("ice-state", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  _pc_call_session_signals[SIGNAL_FIRST_FRAME]
      = g_signal_new ("first-frame", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_UINT);
  _pc_call_session_signals[SIGNAL_STATS]
      = g_signal_new ("stats", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 1, PC_TYPE_CALL_STATS | G_SIGNAL_TYPE_STATIC_SCOPE);
  _pc_call_session_signals[SIGNAL_LATENCY]
      = g_signal_new ("latency", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 1, G_TYPE_DOUBLE);
  _pc_call_session_signals[SIGNAL_MEDIA_ERROR]
      = g_signal_new ("media-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  _pc_call_session_signals[SIGNAL_FAILED]
      = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 1, G_TYPE_ERROR);
  _pc_call_session_signals[SIGNAL_REMOTE_TRACK]
      = g_signal_new ("remote-track", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_UINT);
  _pc_call_session_signals[SIGNAL_REMOTE_TRACK_ENDED]
      = g_signal_new ("remote-track-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  _pc_call_session_signals[SIGNAL_DTLS_VERIFIED]
      = g_signal_new ("dtls-verified", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
}

static void
pc_call_session_init (PcCallSession *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
  self->pending_candidates = g_ptr_array_new_with_free_func ((GDestroyNotify)remote_candidate_free);
  self->remote_videos
      = g_ptr_array_new_with_free_func ((GDestroyNotify)_pc_call_session_remote_video_free);
  self->jitterbuffers
      = g_ptr_array_new_with_free_func ((GDestroyNotify)_pc_call_session_weak_ref_free);
  self->stats_requests = g_ptr_array_new_with_free_func ((GDestroyNotify)gst_promise_unref);
  self->dtls_verifier = pc_dtls_verifier_new ();
  self->first_remote_video_mline = -1;
  self->connection_state = PC_CONNECTION_STATE_NEW;
  self->ice_state = g_strdup ("new");
  self->camera_enabled = TRUE;
  self->video_kind = PC_MEDIA_SOURCE_TEST;
  self->audio_kind = PC_MEDIA_SOURCE_TEST;
  self->video_pt = DEFAULT_VIDEO_PT;
  self->audio_pt = DEFAULT_AUDIO_PT;
  self->twcc_id = DEFAULT_TWCC_ID;
  /* nonzero, distinct, and not the payloaders' "random" value */
  self->video_ssrc = g_random_int_range (1, G_MAXINT32);
  do
    self->audio_ssrc = g_random_int_range (1, G_MAXINT32);
  while (self->audio_ssrc == self->video_ssrc);
  self->video_fps = 30;
  pc_media_source_get_test_video_size (&self->video_width, &self->video_height);
}

PcCallSession *
pc_call_session_new (PcIceConfig *ice_config,
                     gboolean polite,
                     PcMediaSourceKind video_source,
                     PcMediaSourceKind audio_source)
{
  return g_object_new (PC_TYPE_CALL_SESSION, "ice-config", ice_config, "polite", polite,
                       "video-source", video_source, "audio-source", audio_source, NULL);
}
