/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pc-call-session-private.h"

static GstCaps *
video_codec_caps (PcCallSession *self)
{
  GstCaps *caps = gst_caps_new_simple (
      "application/x-rtp", "media", G_TYPE_STRING, "video", "encoding-name", G_TYPE_STRING,
      pc_video_codec_name (self->video_codec), "payload", G_TYPE_INT, (gint)self->video_pt,
      "clock-rate", G_TYPE_INT, 90000, "ssrc", G_TYPE_UINT, self->video_ssrc, NULL);
  if (self->video_codec == PC_VIDEO_CODEC_H264)
    gst_caps_set_simple (
        caps, "packetization-mode", G_TYPE_STRING, "1", "profile-level-id", G_TYPE_STRING,
        self->h264_profile_level_id ? self->h264_profile_level_id : PC_H264_PROFILE_LEVEL_ID,
        "level-asymmetry-allowed", G_TYPE_STRING, "1", NULL);
  if (self->twcc_id > 0)
    {
      g_autofree char *field = g_strdup_printf ("extmap-%d", self->twcc_id);
      gst_caps_set_simple (caps, field, G_TYPE_STRING, TWCC_URI, NULL);
    }
  return caps;
}

static GstCaps *
audio_codec_caps (PcCallSession *self)
{
  GstCaps *caps
      = gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "audio", "encoding-name",
                             G_TYPE_STRING, "OPUS", "payload", G_TYPE_INT, (gint)self->audio_pt,
                             "clock-rate", G_TYPE_INT, 48000, "encoding-params", G_TYPE_STRING, "2",
                             /* what browsers offer: the encoder does in-band FEC (see
                              * build_pipeline) and 10 ms is its shortest frame */
                             "useinbandfec", G_TYPE_STRING, "1", "minptime", G_TYPE_STRING, "10",
                             "ssrc", G_TYPE_UINT, self->audio_ssrc, NULL);
  if (self->twcc_id > 0)
    {
      g_autofree char *field = g_strdup_printf ("extmap-%d", self->twcc_id);
      gst_caps_set_simple (caps, field, G_TYPE_STRING, TWCC_URI, NULL);
    }
  return caps;
}

static void
set_payloader_twcc (GstElement *pay, gint id)
{
  g_signal_emit_by_name (pay, "clear-extensions");
  if (id > 0)
    {
      g_autoptr (GstRTPHeaderExtension) ext = gst_rtp_header_extension_create_from_uri (TWCC_URI);
      if (ext == NULL)
        return;
      gst_rtp_header_extension_set_id (ext, id);
      g_signal_emit_by_name (pay, "add-extension", ext);
    }
}

/* Applies the payload types (and TWCC id) to payloaders and transceivers together: the answer
 * carries a codec only if the transceiver's caps intersect the offer's, payload type included. */
void
_pc_call_session_apply_codec_setup (PcCallSession *self)
{
  g_autoptr (GstCaps) vcaps = video_codec_caps (self);
  g_autoptr (GstCaps) acaps = audio_codec_caps (self);

  /* The SSRCs are fixed here and in the transceivers' caps: webrtcbin writes the a=ssrc of a
   * description from the caps its sink pad received, or, before the payloader's first caps
   * reached it (an answer made while the media is still starting), from a caps query, and then
   * announced an SSRC the payloader never used. A browser routes such a stream to an
   * "unsignaled" receiver with no sink: it decodes the video but never shows it. */
  g_object_set (self->vpay, "pt", self->video_pt, "ssrc", self->video_ssrc, NULL);
  g_object_set (self->apay, "pt", self->audio_pt, "ssrc", self->audio_ssrc, NULL);
  set_payloader_twcc (self->vpay, self->twcc_id);
  set_payloader_twcc (self->apay, self->twcc_id);
  g_object_set (self->video_trans, "codec-preferences", vcaps, NULL);
  g_object_set (self->audio_trans, "codec-preferences", acaps, NULL);
}

/* ---- Local media ---------------------------------------------------------------------- */

/* Camera off: the sender keeps sending (no renegotiation), black frames. */
static GstPadProbeReturn
on_outgoing_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  PcCallSession *self = user_data;
  GstBuffer *buffer;
  GstVideoInfo vinfo;
  GstVideoFrame frame;
  g_autoptr (GstCaps) caps = NULL;

  if (!g_atomic_int_get (&self->camera_off))
    return GST_PAD_PROBE_OK;
  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL || !gst_video_info_from_caps (&vinfo, caps))
    return GST_PAD_PROBE_OK;
  buffer = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  if (gst_video_frame_map (&frame, &vinfo, buffer, GST_MAP_WRITE))
    {
      /* I420: Y 16, U/V 128 is black */
      for (guint c = 0; c < GST_VIDEO_FRAME_N_PLANES (&frame); c++)
        {
          guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (&frame, c);
          gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, c);
          guint rows = GST_VIDEO_FRAME_COMP_HEIGHT (&frame, c);
          memset (data, c == 0 ? 16 : 128, (gsize)stride * rows);
        }
      gst_video_frame_unmap (&frame);
    }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn
_pc_call_session_on_encoded_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  PcCallSession *self = user_data;
  gboolean key
      = !GST_BUFFER_FLAG_IS_SET (GST_PAD_PROBE_INFO_BUFFER (info), GST_BUFFER_FLAG_DELTA_UNIT);

  g_mutex_lock (&self->lock);
  self->frames_encoded++;
  if (key)
    self->keyframes_encoded++;
  g_mutex_unlock (&self->lock);
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn
_pc_call_session_on_depayloaded_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  PcCallSession *self = user_data;

  if (!GST_BUFFER_FLAG_IS_SET (GST_PAD_PROBE_INFO_BUFFER (info), GST_BUFFER_FLAG_DELTA_UNIT))
    {
      g_mutex_lock (&self->lock);
      self->keyframes_received++;
      g_mutex_unlock (&self->lock);
    }
  return GST_PAD_PROBE_OK;
}

GstElement *
_pc_call_session_make (const char *factory, const char *name, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, name);

  if (e == NULL && error && *error == NULL)
    g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                 "GStreamer element “%s” is missing", factory);
  return e;
}

void
_pc_call_session_set_screencast_object (PcCallSession *self,
                                        PcScreencast *screencast,
                                        gboolean owned)
{
  if (self->screencast)
    {
      g_clear_signal_handler (&self->screencast_closed_id, self->screencast);
      if (self->screencast_owned)
        pc_screencast_stop (self->screencast);
      g_clear_object (&self->screencast);
    }
  self->screencast_owned = owned;
  if (screencast)
    {
      self->screencast = g_object_ref (screencast);
      self->screencast_closed_id = g_signal_connect_object (
          screencast, "closed", G_CALLBACK (_pc_call_session_on_screencast_closed), self, 0);
    }
}

/* A new source bin for @kind, or NULL with @error: the caller picks the fallback. Screen
 * sharing comes from the PcScreencast the application gave (portal), or one made here (X11
 * works without a dialog; the portal then fails with PC_MEDIA_ERROR_SCREENCAST). */
GstElement *
_pc_call_session_make_video_source (PcCallSession *self, PcMediaSourceKind kind, GError **error)
{
  if (pc_media_source_resolve (kind, TRUE) == PC_MEDIA_SOURCE_SCREEN)
    {
      GstElement *src;

      if (self->screencast == NULL)
        {
          g_autoptr (PcScreencast) screencast = pc_screencast_new (PC_SCREENCAST_BACKEND_AUTO);
          _pc_call_session_set_screencast_object (self, screencast, TRUE);
        }
      src = pc_screencast_create_source (self->screencast, error);
      /* One we made ourselves is not worth keeping after a failure (the display may come). */
      if (src == NULL && self->screencast_owned)
        _pc_call_session_set_screencast_object (self, NULL, FALSE);
      return src;
    }
  return pc_media_source_create_video (kind, self->video_width, self->video_height, self->video_fps,
                                       error);
}

/* The source the pipeline starts with: a failure is a media-error and black frames instead. */
static GstElement *
create_video_source (PcCallSession *self, PcMediaSourceKind kind)
{
  g_autoptr (GError) error = NULL;
  GstElement *src;

  src = _pc_call_session_make_video_source (self, kind, &error);
  self->sharing_screen
      = src != NULL && pc_media_source_resolve (kind, TRUE) == PC_MEDIA_SOURCE_SCREEN;
  if (src == NULL)
    {
      _pc_call_session_run_on_main (self, _pc_call_session_main_media_error,
                                    g_steal_pointer (&error), (GDestroyNotify)g_error_free);
      src = pc_media_source_create_video (PC_MEDIA_SOURCE_NONE, 0, 0, 0, NULL);
    }
  return src;
}

static const char *
encoder_factory_name (PcCallSession *self)
{
  return gst_plugin_feature_get_name (
      GST_PLUGIN_FEATURE (gst_element_get_factory (self->vencoder)));
}

/* The encoders count in different units: vp8enc and openh264enc in bits/s, x264enc in kbit/s. */
void
_pc_call_session_set_encoder_bitrate (PcCallSession *self, guint bits_per_second)
{
  const char *factory;

  if (self->vencoder == NULL)
    return;
  factory = encoder_factory_name (self);
  if (g_str_equal (factory, "vp8enc"))
    g_object_set (self->vencoder, "target-bitrate", (gint)bits_per_second, NULL);
  else if (g_str_equal (factory, "x264enc"))
    g_object_set (self->vencoder, "bitrate", MAX (bits_per_second / 1000, 1u), NULL);
  else
    g_object_set (self->vencoder, "bitrate", bits_per_second, NULL);
}

/* Real-time H.264 for browsers: constrained baseline (no B-frames, CAVLC), no lookahead, one
 * thread (see vp8enc), keyframes on request with a 10 s safety net. */
static void
configure_h264_encoder (PcCallSession *self)
{
  if (g_str_equal (encoder_factory_name (self), "x264enc"))
    {
      gst_util_set_object_arg (G_OBJECT (self->vencoder), "tune", "zerolatency");
      g_object_set (self->vencoder, "speed-preset", 1 /* ultrafast */, "threads", 1,
                    "sliced-threads", FALSE, "bframes", 0, "b-adapt", FALSE, "cabac", FALSE,
                    "dct8x8", FALSE, "key-int-max", PC_CAMERA_KEYFRAME_MAX_DIST, "vbv-buf-capacity",
                    500, "aud", FALSE, NULL);
    }
  else
    g_object_set (self->vencoder, "gop-size", PC_CAMERA_KEYFRAME_MAX_DIST, "multi-thread", 1, NULL);
  _pc_call_session_set_encoder_bitrate (self, self->target_bitrate);
}

/* Encoder and size for camera-like content or a shared screen. All of these vp8enc settings
 * apply to a running encoder (libvpx controls / config update); a new size re-initialises it
 * and the receiver follows with the keyframe, without any SDP change. */
void
_pc_call_session_apply_video_profile (PcCallSession *self, gboolean screen)
{
  if (self->video_caps)
    {
      if (screen)
        {
          /* No letterboxing into the camera size: the screencast bin already caps the size
           * (1920x1080, aspect kept), and text squeezed into 640x480 is unreadable. */
          g_autoptr (GstCaps) caps
              = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420",
                                     "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
          g_object_set (self->video_caps, "caps", caps, NULL);
        }
      else
        g_object_set (self->video_caps, "caps", self->send_caps, NULL);
    }
  if (self->vencoder == NULL)
    return;
  if (self->video_codec != PC_VIDEO_CODEC_VP8)
    {
      /* The H.264 encoders have no content tuning worth switching: only the bitrate. */
      if (screen)
        {
          self->bitrate_before_screen = self->target_bitrate;
          self->target_bitrate
              = CLAMP (MAX (self->target_bitrate, BITRATE_SCREEN_START), BITRATE_MIN, BITRATE_MAX);
        }
      else if (self->bitrate_before_screen > 0)
        self->target_bitrate = MIN (self->target_bitrate, self->bitrate_before_screen);
      _pc_call_session_set_encoder_bitrate (self, self->target_bitrate);
      return;
    }
  if (screen)
    {
      self->bitrate_before_screen = self->target_bitrate;
      self->target_bitrate
          = CLAMP (MAX (self->target_bitrate, BITRATE_SCREEN_START), BITRATE_MIN, BITRATE_MAX);
      g_object_set (self->vencoder, "static-threshold", PC_SCREEN_STATIC_THRESHOLD, "cpu-used",
                    PC_SCREEN_CPU_USED, "min-quantizer", PC_SCREEN_MIN_QUANTIZER, "max-quantizer",
                    PC_SCREEN_MAX_QUANTIZER, "noise-sensitivity", 0, "sharpness", 0, "tuning",
                    1 /* ssim */, "keyframe-max-dist", PC_SCREEN_KEYFRAME_MAX_DIST,
                    "target-bitrate", (gint)self->target_bitrate, NULL);
    }
  else
    {
      GObjectClass *klass = G_OBJECT_GET_CLASS (self->vencoder);
      GValue value = G_VALUE_INIT;

      /* Back to the camera settings: ours from build_pipeline, libvpx defaults for the rest. */
      if (self->bitrate_before_screen > 0)
        self->target_bitrate = MIN (self->target_bitrate, self->bitrate_before_screen);
      g_object_set (self->vencoder, "static-threshold", 0, "cpu-used", PC_CAMERA_CPU_USED,
                    "max-quantizer", PC_CAMERA_MAX_QUANTIZER, "keyframe-max-dist",
                    PC_CAMERA_KEYFRAME_MAX_DIST, "target-bitrate", (gint)self->target_bitrate,
                    NULL);
      for (guint i = 0; i < 4; i++)
        {
          const char *names[] = { "min-quantizer", "noise-sensitivity", "sharpness", "tuning" };
          GParamSpec *pspec = g_object_class_find_property (klass, names[i]);

          if (pspec == NULL)
            continue;
          g_value_init (&value, pspec->value_type);
          g_param_value_set_default (pspec, &value);
          g_object_set_property (G_OBJECT (self->vencoder), names[i], &value);
          g_value_unset (&value);
        }
    }
}

void
_pc_call_session_force_local_keyframe (PcCallSession *self)
{
  g_autoptr (GstPad) pad = NULL;

  if (self->vencoder == NULL)
    return;
  pad = gst_element_get_static_pad (self->vencoder, "src");
  gst_pad_send_event (pad,
                      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE, 0));
}

/* encoder -> payloader (in the pipeline already); returns the element webrtcbin gets. H.264
 * goes out as constrained baseline level 3.1, and its RTP caps say the profile-level-id that
 * was negotiated: x264/OpenH264 signal constrained baseline as 42c0xx, browsers as 42e0xx (the
 * same profile), and webrtcbin compares the strings. */
static GstElement *
link_video_payloader (PcCallSession *self)
{
  g_autoptr (GstCaps) h264_caps = NULL;
  g_autoptr (GstCaps) rtp_caps = NULL;
  GstElement *filter, *fixup;

  if (self->video_codec != PC_VIDEO_CODEC_H264)
    return gst_element_link (self->vencoder, self->vpay) ? self->vpay : NULL;

  filter = gst_element_factory_make ("capsfilter", NULL);
  fixup = gst_element_factory_make ("capssetter", NULL);
  if (filter == NULL || fixup == NULL)
    {
      g_clear_object (&filter);
      g_clear_object (&fixup);
      return NULL;
    }
  h264_caps = gst_caps_from_string (
      "video/x-h264,profile=(string)constrained-baseline,level=(string)3.1");
  rtp_caps = gst_caps_new_simple (
      "application/x-rtp", "profile-level-id", G_TYPE_STRING,
      self->h264_profile_level_id ? self->h264_profile_level_id : PC_H264_PROFILE_LEVEL_ID, NULL);
  g_object_set (filter, "caps", h264_caps, NULL);
  g_object_set (fixup, "caps", rtp_caps, NULL);
  gst_bin_add_many (GST_BIN (self->pipeline), filter, fixup, NULL);
  if (!gst_element_link_many (self->vencoder, filter, self->vpay, fixup, NULL))
    return NULL;
  return fixup;
}

/* Any thread: webrtcbin makes a dtlsdec for each transport; its peer certificate is checked
 * the moment the handshake delivers it. */
static void
on_webrtc_element_added (GstBin *bin, GstBin *sub_bin, GstElement *element, PcCallSession *self)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  if (factory && g_str_equal (GST_OBJECT_NAME (factory), "dtlsdec"))
    g_signal_connect_object (element, "notify::peer-pem",
                             G_CALLBACK (_pc_call_session_on_dtls_peer_pem), self, 0);
}

/* webrtcbin with ICE configured and the session's handlers connected. */
static gboolean
add_webrtcbin (PcCallSession *self, GError **error)
{
  self->webrtc = gst_element_factory_make_full ("webrtcbin", "name", "webrtc", "bundle-policy",
                                                GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, "latency",
                                                self->jitterbuffer_latency, NULL);
  if (self->webrtc == NULL)
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE, "webrtcbin is missing");
      return FALSE;
    }
  gst_bin_add (GST_BIN (self->pipeline), self->webrtc);
  gst_object_ref (self->webrtc);
  if (self->ice_config && !pc_ice_config_apply (self->ice_config, self->webrtc, error))
    return FALSE;

  g_signal_connect (self->webrtc, "on-negotiation-needed",
                    G_CALLBACK (_pc_call_session_on_negotiation_needed), self);
  g_signal_connect (self->webrtc, "on-ice-candidate",
                    G_CALLBACK (_pc_call_session_on_ice_candidate), self);
  g_signal_connect (self->webrtc, "notify::ice-gathering-state",
                    G_CALLBACK (_pc_call_session_on_gathering_state), self);
  g_signal_connect (self->webrtc, "notify::ice-connection-state",
                    G_CALLBACK (_pc_call_session_on_ice_connection_state), self);
  g_signal_connect (self->webrtc, "notify::connection-state",
                    G_CALLBACK (_pc_call_session_on_connection_state), self);
  g_signal_connect (self->webrtc, "deep-element-added", G_CALLBACK (on_webrtc_element_added), self);
  g_signal_connect (self->webrtc, "pad-added", G_CALLBACK (_pc_call_session_on_pad_added), self);
  g_signal_connect (self->webrtc, "pad-removed", G_CALLBACK (_pc_call_session_on_pad_removed),
                    self);
  {
    g_autoptr (GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (self->webrtc), "rtpbin");

    if (rtpbin)
      g_signal_connect (rtpbin, "new-jitterbuffer",
                        G_CALLBACK (_pc_call_session_on_new_jitterbuffer), self);
  }

  return TRUE;
}

/* Echo cancellation: the probe must exist before webrtcdsp starts; it is linked into the
 * playback chain when the remote audio arrives. Returns the probe's name for the source, or
 * NULL without a microphone (or without webrtcdsp). */
static char *
add_echo_probe (PcCallSession *self, const char *pipeline_name)
{
  g_autofree char *probe_name = NULL;

  if (pc_media_source_resolve (self->audio_kind, FALSE) != PC_MEDIA_SOURCE_MIC)
    return NULL;
  probe_name = g_strdup_printf ("%s-echo-probe", pipeline_name);
  self->echo_probe = gst_element_factory_make ("webrtcechoprobe", probe_name);
  if (self->echo_probe == NULL)
    return NULL;
  gst_bin_add (GST_BIN (self->pipeline), self->echo_probe);
  return g_steal_pointer (&probe_name);
}

/* Audio: source -> convert -> volume (mute) -> opus -> pay (linked to webrtcbin later) */
static gboolean
add_audio_send (PcCallSession *self, const char *probe_name, GError **error)
{
  GstElement *asrc, *aconvert, *aresample, *aqueue, *aenc;

  {
    g_autoptr (GError) src_error = NULL;

    asrc = pc_media_source_create_audio (self->audio_kind, probe_name, &src_error);
    if (asrc == NULL)
      {
        _pc_call_session_run_on_main (self, _pc_call_session_main_media_error,
                                      g_steal_pointer (&src_error), (GDestroyNotify)g_error_free);
        asrc = pc_media_source_create_audio (PC_MEDIA_SOURCE_NONE, NULL, NULL);
      }
  }
  aconvert = _pc_call_session_make ("audioconvert", NULL, error);
  aresample = _pc_call_session_make ("audioresample", NULL, error);
  self->volume = _pc_call_session_make ("volume", "mute", error);
  aqueue = _pc_call_session_make ("queue", NULL, error);
  aenc = _pc_call_session_make ("opusenc", NULL, error);
  self->apay = _pc_call_session_make ("rtpopuspay", "apay", error);
  if (!asrc || !aconvert || !aresample || !self->volume || !aqueue || !aenc || !self->apay)
    {
      if (error && *error == NULL)
        g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                     "Cannot create the audio chain");
      return FALSE;
    }
  g_object_set (aqueue, "leaky", 2, "max-size-time", (guint64)200 * GST_MSECOND, "max-size-buffers",
                0, "max-size-bytes", 0, NULL);
  g_object_set (aenc, "bitrate", 32000, "frame-size", 20, "inband-fec", TRUE, NULL);
  g_object_set (self->apay, "pt", self->audio_pt, "mtu", 1200, NULL);
  gst_bin_add_many (GST_BIN (self->pipeline), asrc, aconvert, aresample, self->volume, aqueue, aenc,
                    self->apay, NULL);
  gst_object_ref (self->apay);
  gst_object_ref (self->volume);
  if (!gst_element_link_many (asrc, aconvert, aresample, self->volume, aqueue, aenc, self->apay,
                              NULL))
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE, "Cannot link the audio chain");
      return FALSE;
    }
  g_object_set (self->volume, "mute", self->muted, NULL);

  return TRUE;
}

/* Send size, queues, encoder and payloader settings of the video chain. */
static void
configure_video_send (PcCallSession *self,
                      GstElement *vscale,
                      GstElement *vqueue,
                      GstElement *pqueue,
                      GstElement *psink)
{
  static const GstAppSinkCallbacks local_callbacks
      = { .new_sample = _pc_call_session_on_local_video_sample };
  g_autoptr (GstCaps) vcaps = NULL;
  g_autoptr (GstCaps) bgra = NULL;

  vcaps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT,
                               (gint)self->video_width, "height", G_TYPE_INT,
                               (gint)self->video_height, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1,
                               1, NULL);
  g_object_set (self->video_caps, "caps", vcaps, NULL);
  g_clear_pointer (&self->send_caps, gst_caps_unref);
  self->send_caps = gst_caps_ref (vcaps);
  g_object_set (vscale, "add-borders", TRUE, NULL);
  /* The encoder must never stall the source: keep one frame, drop older ones. */
  g_object_set (vqueue, "leaky", 2, "max-size-buffers", 1, "max-size-time", (guint64)0,
                "max-size-bytes", 0, NULL);
  g_object_set (pqueue, "leaky", 2, "max-size-buffers", 1, "max-size-time", (guint64)0,
                "max-size-bytes", 0, NULL);
  /* Real-time VP8 the way browsers configure it: CBR, no lookahead, error resilient,
   * keyframes on request (PLI) with a 10 s safety net. One thread: libvpx worker threads
   * spin-wait, and on a loaded 2-core machine threads=2 cost 15x the CPU (measured: 60 frames
   * of 640x480, 4.5 s vs 0.3 s user time). */
  self->target_bitrate = BITRATE_START;
  self->bitrate_before_screen = 0;
  if (self->video_codec == PC_VIDEO_CODEC_H264)
    configure_h264_encoder (self);
  else
    g_object_set (self->vencoder, "deadline", (gint64)1, "cpu-used", PC_CAMERA_CPU_USED, "threads",
                  1, "end-usage", 1 /* cbr */, "target-bitrate", (gint)self->target_bitrate,
                  "lag-in-frames", 0, "keyframe-max-dist", PC_CAMERA_KEYFRAME_MAX_DIST,
                  "error-resilient", 1, "buffer-size", 1000, "buffer-initial-size", 500,
                  "buffer-optimal-size", 600, "undershoot", 95, "max-quantizer",
                  PC_CAMERA_MAX_QUANTIZER, NULL);
  if (self->sharing_screen)
    _pc_call_session_apply_video_profile (self, TRUE);
  if (self->video_codec == PC_VIDEO_CODEC_H264)
    /* SPS/PPS in front of every keyframe (a receiver may join at any keyframe), and each NAL
     * sent as soon as it is encoded */
    g_object_set (self->vpay, "pt", self->video_pt, "mtu", 1200, "config-interval", -1,
                  "aggregate-mode", 1 /* zero-latency */, NULL);
  else
    g_object_set (self->vpay, "pt", self->video_pt, "mtu", 1200, "picture-id-mode", 2 /* 15-bit */,
                  NULL);
  /* the self view may have been attached before the pipeline existed */
  g_object_set (self->preview_valve, "drop", self->local_sink.func == NULL, NULL);
  bgra = gst_caps_from_string ("video/x-raw,format=BGRA");
  g_object_set (psink, "caps", bgra, "sync", FALSE, "max-buffers", 1, "drop", TRUE,
                "enable-last-sample", FALSE, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (psink), (GstAppSinkCallbacks *)&local_callbacks, self,
                              NULL);
}

/* Video: source -> convert/scale to the send size -> tee -> encoder -> pay (-> webrtcbin later)
 *                                                      \-> valve -> BGRA -> local preview
 * Returns the element whose src pad goes to webrtcbin. */
static GstElement *
add_video_send (PcCallSession *self, GError **error)
{
  g_autoptr (GstPad) probe_pad = NULL;
  GstElement *vconvert, *vscale, *vtee, *vqueue, *pqueue, *pconvert, *psink;
  GstElement *pay_out = NULL;

  self->video_src = create_video_source (self, self->video_kind);
  vconvert = _pc_call_session_make ("videoconvert", "vconvert", error);
  vscale = _pc_call_session_make ("videoscale", NULL, error);
  self->video_caps = _pc_call_session_make ("capsfilter", NULL, error);
  vtee = _pc_call_session_make ("tee", NULL, error);
  vqueue = _pc_call_session_make ("queue", NULL, error);
  if (self->video_codec == PC_VIDEO_CODEC_H264)
    {
      self->vencoder = _pc_call_session_make (pc_codec_h264_encoder_factory (), "vencoder", error);
      self->vpay = _pc_call_session_make ("rtph264pay", "vpay", error);
    }
  else
    {
      self->vencoder = _pc_call_session_make ("vp8enc", "vencoder", error);
      self->vpay = _pc_call_session_make ("rtpvp8pay", "vpay", error);
    }
  pqueue = _pc_call_session_make ("queue", NULL, error);
  self->preview_valve = _pc_call_session_make ("valve", NULL, error);
  pconvert = _pc_call_session_make ("videoconvert", NULL, error);
  psink = _pc_call_session_make ("appsink", NULL, error);
  if (!self->video_src || !vconvert || !vscale || !self->video_caps || !vtee || !vqueue
      || !self->vencoder || !self->vpay || !pqueue || !self->preview_valve || !pconvert || !psink)
    {
      if (error && *error == NULL)
        g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                     "Cannot create the video chain");
      return NULL;
    }

  configure_video_send (self, vscale, vqueue, pqueue, psink);

  gst_bin_add_many (GST_BIN (self->pipeline), self->video_src, vconvert, vscale, self->video_caps,
                    vtee, vqueue, self->vencoder, self->vpay, pqueue, self->preview_valve, pconvert,
                    psink, NULL);
  gst_object_ref (self->video_src);
  gst_object_ref (self->vencoder);
  gst_object_ref (self->vpay);
  gst_object_ref (self->preview_valve);
  self->video_in = gst_object_ref (vconvert);
  if (!gst_element_link_many (self->video_src, vconvert, vscale, self->video_caps, vtee, vqueue,
                              self->vencoder, NULL)
      || (pay_out = link_video_payloader (self)) == NULL
      || !gst_element_link_many (vtee, pqueue, self->preview_valve, pconvert, psink, NULL))
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE, "Cannot link the video chain");
      return NULL;
    }
  probe_pad = gst_element_get_static_pad (self->video_caps, "src");
  gst_pad_add_probe (probe_pad, GST_PAD_PROBE_TYPE_BUFFER, on_outgoing_frame, self, NULL);
  {
    g_autoptr (GstPad) enc_src = gst_element_get_static_pad (self->vencoder, "src");
    gst_pad_add_probe (enc_src, GST_PAD_PROBE_TYPE_BUFFER, _pc_call_session_on_encoded_frame, self,
                       NULL);
  }

  return pay_out;
}

/* One transceiver per kind, audio first like browsers, fed by the payloaders. */
static gboolean
link_to_webrtcbin (PcCallSession *self, GstElement *pay_out, GError **error)
{
  g_autoptr (GstPad) vsink = NULL;
  g_autoptr (GstPad) asink = NULL;

  asink = gst_element_request_pad_simple (self->webrtc, "sink_%u");
  vsink = gst_element_request_pad_simple (self->webrtc, "sink_%u");
  if (asink == NULL || vsink == NULL)
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE, "webrtcbin refused a stream");
      return FALSE;
    }
  g_object_get (asink, "transceiver", &self->audio_trans, NULL);
  g_object_get (vsink, "transceiver", &self->video_trans, NULL);
  /* NACK + RTX on video so losses are repaired; Opus uses in-band FEC instead. */
  g_object_set (self->video_trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV,
                "do-nack", TRUE, NULL);
  g_object_set (self->audio_trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV,
                NULL);
  _pc_call_session_apply_codec_setup (self);
  {
    g_autoptr (GstPad) apay_src = gst_element_get_static_pad (self->apay, "src");
    g_autoptr (GstPad) vpay_src = gst_element_get_static_pad (pay_out, "src");
    if (gst_pad_link (apay_src, asink) != GST_PAD_LINK_OK
        || gst_pad_link (vpay_src, vsink) != GST_PAD_LINK_OK)
      {
        g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                     "Cannot link the payloaders to webrtcbin");
        return FALSE;
      }
  }
  return TRUE;
}

gboolean
_pc_call_session_build_pipeline (PcCallSession *self, GError **error)
{
  static gint counter = 0;
  g_autofree char *name = g_strdup_printf ("peercall-call-%d", g_atomic_int_add (&counter, 1));
  g_autofree char *probe_name = NULL;
  GstElement *pay_out;

  self->pipeline = gst_pipeline_new (name);
  gst_object_ref_sink (self->pipeline);
  if (!add_webrtcbin (self, error))
    return FALSE;
  probe_name = add_echo_probe (self, name);
  if (!add_audio_send (self, probe_name, error))
    return FALSE;
  pay_out = add_video_send (self, error);
  return pay_out != NULL && link_to_webrtcbin (self, pay_out, error);
}

static gboolean
element_is_in (GstObject *obj, GstElement *bin)
{
  for (; obj; obj = GST_OBJECT_PARENT (obj))
    if (obj == GST_OBJECT (bin))
      return TRUE;
  return FALSE;
}

gboolean
_pc_call_session_on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
{
  PcCallSession *self = user_data;

  if (self->closed)
    return G_SOURCE_CONTINUE;

  /* Errors and EOS from inside a screencast bin end the share (its "closed" handler swaps the
   * source back); never fatal for the call. */
  if (self->screencast && pc_screencast_handle_message (self->screencast, message))
    return G_SOURCE_CONTINUE;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      {
        g_autoptr (GError) gst_error = NULL;
        g_autofree char *debug = NULL;
        g_autoptr (GError) error = NULL;

        gst_message_parse_error (message, &gst_error, &debug);
        g_debug ("Pipeline error from %s: %s (%s)", GST_OBJECT_NAME (message->src),
                 gst_error->message, debug ? debug : "");
        if (!element_is_in (message->src, self->pipeline))
          {
            /* Queued by a source that was switched away meanwhile. */
            g_debug ("Ignoring an error from a removed element");
          }
        else if (self->pending_src && element_is_in (message->src, self->pending_src))
          {
            /* The source we were switching to failed before taking over: keep the old one. */
            gboolean changed = self->pending_notify;

            error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_DEVICE_MISSING, "%s",
                                 gst_error->message);
            _pc_call_session_cancel_pending_switch (self);
            _pc_call_session_emit_media_error (self, error);
            if (changed)
              g_object_notify_by_pspec (G_OBJECT (self),
                                        _pc_call_session_properties[PROP_VIDEO_SOURCE]);
          }
        else if (self->video_src && element_is_in (message->src, self->video_src))
          {
            /* A camera that vanished or that another program holds: go on without it. */
            gboolean busy = g_error_matches (gst_error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_BUSY)
                            || (debug && strstr (debug, "busy"));
            error = g_error_new (PC_MEDIA_ERROR,
                                 busy ? PC_MEDIA_ERROR_DEVICE_BUSY : PC_MEDIA_ERROR_DEVICE_MISSING,
                                 "%s", gst_error->message);
            _pc_call_session_emit_media_error (self, error);
            if (self->pending_src)
              ; /* a switch under way replaces the failed source anyway */
            else if (self->sharing_screen)
              _pc_call_session_end_screen_share (self);
            else
              {
                g_clear_error (&error);
                if (!_pc_call_session_switch_video_source (self, PC_MEDIA_SOURCE_NONE, &error))
                  _pc_call_session_emit_failed (self, error);
              }
          }
        else
          {
            error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE, "%s", gst_error->message);
            _pc_call_session_emit_failed (self, error);
          }
      }
      break;
    case GST_MESSAGE_LATENCY:
      /* also after adapt_jitterbuffer_latency() */
      gst_bin_recalculate_latency (GST_BIN (self->pipeline));
      break;
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}
