/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <gst/app/app.h>
#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "pc-call-session.h"
#include "pc-latency-stamp.h"
#include "pc-screencast.h"

#define TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define DEFAULT_VIDEO_PT 96
#define DEFAULT_AUDIO_PT 111 /* what browsers use; keeps clear of webrtcbin's RTX pick (97) */
#define DEFAULT_TWCC_ID                                                                            \
  3 /* what Chromium offers: an answerer that starts early needs no rebuild                        \
     */

/* Jitterbuffer latency (webrtcbin "latency", ms). Measured with tests/media (release build,
 * two sessions on loopback, 2 cores under load ~17): offer -> first decoded remote frame
 * 142-207 ms with 50 against 293-442 ms with 200 (webrtcbin's default), and glass-to-glass
 * latency (the stamp) 42 ms against 160-184 ms. 50 ms still absorbs the jitter of a LAN or
 * home Wi-Fi path and leaves time for one NACK/RTX round trip to a nearby peer; on worse
 * paths a late packet costs a concealed/dropped frame instead of delaying every frame.
 * Override with the "jitterbuffer-latency" property or PEERCALL_JITTERBUFFER_LATENCY. */
#define DEFAULT_JITTERBUFFER_LATENCY 50
/* When packets keep arriving after the jitterbuffer gave them up (a starved receiver, or a
 * path with more jitter than the latency), the latency doubles, up to this. */
#define MAX_JITTERBUFFER_LATENCY 400
#define LATE_PACKETS_PER_TICK 3
/* Consecutive packets that start a new stream before the latency period is over. */
#define FASTSTART_MIN_PACKETS 2

/* Sender bitrate controller bounds (bits/s); see update_bitrate(). */
#define BITRATE_MIN 150000
#define BITRATE_MAX 2500000
#define BITRATE_START 800000
/* Screen content starts higher: 1080p15 text needs ~1.5 Mbit/s to stay sharp. */
#define BITRATE_SCREEN_START 1500000

/* H.264 as browsers offer it to everyone: constrained baseline, level 3.1, non-interleaved. */
#define H264_PROFILE_LEVEL_ID "42e01f"
#define DEFAULT_H264_PT 102

typedef enum
{
  VIDEO_CODEC_VP8,
  VIDEO_CODEC_H264,
} VideoCodec;

/* vp8enc settings that differ between camera-like content and a shared screen. */
#define CAMERA_CPU_USED 8
#define CAMERA_MAX_QUANTIZER 56
#define CAMERA_KEYFRAME_MAX_DIST 300 /* 10 s at 30 fps */
#define SCREEN_CPU_USED 4            /* sharper text; 1080p15 is still real time on 1 thread */
#define SCREEN_STATIC_THRESHOLD 100  /* skip unchanged macroblocks: most of a screen is still */
#define SCREEN_MIN_QUANTIZER 2
#define SCREEN_MAX_QUANTIZER 48
#define SCREEN_KEYFRAME_MAX_DIST 150 /* 10 s at 15 fps */

enum
{
  PROP_0,
  PROP_ICE_CONFIG,
  PROP_POLITE,
  PROP_VIDEO_SOURCE,
  PROP_AUDIO_SOURCE,
  PROP_LATENCY_PROBE,
  PROP_JITTERBUFFER_LATENCY,
  PROP_VIDEO_WIDTH,
  PROP_VIDEO_HEIGHT,
  PROP_VIDEO_FPS,
  PROP_VIDEO_CODEC,
  PROP_CONNECTION_STATE,
  PROP_ICE_CONNECTION_STATE,
  PROP_MUTED,
  PROP_CAMERA_ENABLED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_LOCAL_DESCRIPTION,
  SIGNAL_LOCAL_CANDIDATE,
  SIGNAL_ICE_STATE,
  SIGNAL_FIRST_FRAME,
  SIGNAL_STATS,
  SIGNAL_LATENCY,
  SIGNAL_MEDIA_ERROR,
  SIGNAL_FAILED,
  SIGNAL_REMOTE_TRACK,
  SIGNAL_REMOTE_TRACK_ENDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  char *candidate; /* NULL: end of candidates */
  char *sdp_mid;
  gint mline;
} RemoteCandidate;

typedef struct
{
  PcVideoFrameFunc func;
  gpointer data;
  GDestroyNotify destroy;
} FrameSink;

/* One receive chain per remote video m-line (depay ! dec ! convert ! appsink). The first video
 * m-line of the remote description is the main remote video (first-frame "video",
 * frames_decoded, the remote video func); a later one (a browser's addTrack screen share) is
 * an extra track with its own counter, "remote-track" signal and frame func. */
typedef struct
{
  PcCallSession *self; /* not a reference: chains never outlive the session's pipeline */
  GstPad *pad;         /* webrtcbin's src pad */
  char *mid;
  guint mline;
  gboolean main;
  GstElement *elements[5];
  /* extra tracks, under self->lock */
  guint64 frames;
  guint width, height;
  FrameSink sink;
  gint first_frame;  /* atomic */
  gboolean stopped;  /* under self->lock: the m-line no longer sends, frames are dropped */
  gboolean reported; /* main context: "remote-track" emitted */
} RemoteVideo;

/* Raw counters read from get-stats on webrtcbin's thread, turned into PcCallStats on the
 * main context. */
typedef struct
{
  gint64 time_us;
  guint64 video_rx_bytes, video_tx_bytes, audio_rx_bytes, audio_tx_bytes;
  gint64 packets_lost;
  double rtt_ms;
  double video_fraction_lost; /* 0..1, -1 unknown */
  char *local_type, *remote_type;
  gboolean have_video_rx, have_video_tx;
  double twcc_bitrate_recv; /* bits/s measured by the peer for what we send, 0 unknown */
} RawStats;

struct _PcCallSession
{
  GObject parent_instance;

  GMainContext *context;
  PcIceConfig *ice_config;
  gboolean polite;
  PcMediaSourceKind video_kind;
  PcMediaSourceKind audio_kind;
  gboolean latency_probe;
  guint jitterbuffer_latency;
  guint video_width, video_height, video_fps;

  GstElement *pipeline;
  GstElement *webrtc;
  GstElement *video_src;
  GstElement *video_in; /* first element after the source: the switch point */
  GstElement *video_caps;
  GstElement *vencoder;
  GstElement *vpay;
  GstElement *apay;
  GstElement *volume;
  GstElement *preview_valve;
  GstElement *echo_probe;
  GstElement *remote_video_sink; /* the main remote video's appsink */
  GstCaps *send_caps;            /* fixed size for camera/test; screen keeps its own size */
  GstWebRTCRTPTransceiver *video_trans;
  GstWebRTCRTPTransceiver *audio_trans;
  GSource *bus_source;
  GSource *stats_source;
  guint video_pt, audio_pt;
  gint twcc_id;
  VideoCodec preferred_codec; /* what we offer */
  VideoCodec video_codec;     /* what the current pipeline sends */
  char *h264_profile_level_id;

  /* main-context state */
  gboolean started;
  gboolean playing;
  gboolean offerer;
  gboolean closed;
  GPtrArray *stats_requests;    /* GstPromise*, get-stats in flight (lock) */
  guint video_ssrc, audio_ssrc; /* ours, for the life of the session */
  gboolean making_offer;
  gboolean negotiated_once;
  gboolean remote_description_set;
  gboolean end_of_candidates_sent;
  GPtrArray *pending_candidates; /* of RemoteCandidate* */
  PcConnectionState connection_state;
  char *ice_state;
  gboolean ice_types_reported;
  gboolean muted;
  gboolean camera_enabled;
  PcCallStats *last_stats;
  RawStats prev;
  gboolean have_prev;
  guint64 prev_frames;
  guint target_bitrate;
  guint64 late_packets; /* sum of the jitterbuffers' num-late at the last stats tick */
  double min_rtt_ms;
  guint stable_ticks;

  /* Screen sharing */
  PcScreencast *screencast;
  gboolean screencast_owned; /* made here: stopped when sharing ends */
  gulong screencast_closed_id;
  gboolean sharing_screen; /* the current source bin comes from the screencast */
  PcMediaSourceKind kind_before_screen;
  guint bitrate_before_screen;

  /* A source switch under way: the new bin already runs in the pipeline, unlinked, its buffers
   * dropped by a probe, until its first frame proves it warm; only then does it replace
   * video_src (see switch_video_source). video_kind is already the new kind meanwhile. */
  GstElement *pending_src;
  PcMediaSourceKind pending_kind;
  PcMediaSourceKind pending_prev_kind; /* what video_src sends */
  gboolean pending_notify;             /* the kind changes: notify when the swap is done */
  gulong pending_probe_id;
  guint pending_timeout_id;
  guint pending_serial; /* tells a stale "first frame" from the current one */
  gint64 pending_since_us;
  /* A second encoder the new source's first frame initialised at its size (vp8enc takes
   * 0.3-1 s to restart at a new size on a loaded machine); it replaces vencoder when the
   * new size reaches it (see on_encoder_swap_event). */
  GstElement *pending_encoder;
  gint pending_seen; /* atomic: pending_serial + 1 once the source gave a frame */
  gboolean pending_extended;

  /* shared with streaming threads */
  GMutex lock;
  guint offer_generation;   /* bumped on rollback: stale offers are dropped */
  gint pipeline_generation; /* atomic; bumped when the pipeline is torn down */
  FrameSink remote_sink;
  FrameSink local_sink;
  gint camera_off;        /* atomic */
  gint first_video;       /* atomic */
  gint first_audio;       /* atomic */
  guint64 frames_decoded; /* atomic via g_atomic_pointer-free helpers below, under lock */
  guint frame_width, frame_height;
  guint remote_video_ssrc, remote_audio_ssrc; /* from the receive pads' caps */
  guint64 frames_encoded, keyframes_encoded;  /* main video sent */
  guint64 keyframes_received;                 /* main video, out of the depayloader */
  GPtrArray *jitterbuffers;                   /* of GWeakRef*: webrtcbin's rtpjitterbuffers */
  GPtrArray *remote_videos;                   /* of RemoteVideo* */
  gint first_remote_video_mline;              /* -1 until a remote description is set */
  GStrv remote_mids;                          /* mid of each remote m-line */
  GArray *remote_sends;                       /* gboolean per remote m-line: peer sends */
  GArray *remote_video_mlines;                /* guint: the remote description's video m-lines */
  GHashTable *remote_ssrc_mlines;             /* a=ssrc of the remote description -> m-line + 1 */
};

G_DEFINE_TYPE (PcCallSession, pc_call_session, G_TYPE_OBJECT)

/* A call started in this process: the start-up codec warm-up is skipped then (atomic). */
static gint session_started;

/* Written out: clang-format turns G_DEFINE_QUARK's bare-word name into "pc - media - ...". */
GQuark
pc_media_error_quark (void)
{
  return g_quark_from_static_string ("pc-media-error-quark");
}

G_DEFINE_BOXED_TYPE (PcCallStats, pc_call_stats, pc_call_stats_copy, pc_call_stats_free)

PcCallStats *
pc_call_stats_copy (const PcCallStats *stats)
{
  PcCallStats *copy = g_memdup2 (stats, sizeof *stats);

  copy->video_codec = g_strdup (stats->video_codec);
  copy->audio_codec = g_strdup (stats->audio_codec);
  copy->local_candidate_type = g_strdup (stats->local_candidate_type);
  copy->remote_candidate_type = g_strdup (stats->remote_candidate_type);
  return copy;
}

void
pc_call_stats_free (PcCallStats *stats)
{
  if (stats == NULL)
    return;
  g_free (stats->video_codec);
  g_free (stats->audio_codec);
  g_free (stats->local_candidate_type);
  g_free (stats->remote_candidate_type);
  g_free (stats);
}

static void
remote_candidate_free (RemoteCandidate *c)
{
  g_free (c->candidate);
  g_free (c->sdp_mid);
  g_free (c);
}

static void
raw_stats_clear (RawStats *raw)
{
  g_clear_pointer (&raw->local_type, g_free);
  g_clear_pointer (&raw->remote_type, g_free);
}

static void
frame_sink_clear (FrameSink *sink)
{
  if (sink->destroy)
    sink->destroy (sink->data);
  sink->func = NULL;
  sink->data = NULL;
  sink->destroy = NULL;
}

static void
remote_video_free (RemoteVideo *rv)
{
  frame_sink_clear (&rv->sink);
  for (guint i = 0; i < G_N_ELEMENTS (rv->elements); i++)
    g_clear_object (&rv->elements[i]);
  g_clear_object (&rv->pad);
  g_free (rv->mid);
  g_free (rv);
}

/* ---- Handing work from streaming threads to the session's main context ---------------- */

typedef void (*MainFunc) (PcCallSession *self, gpointer data);

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

static void
run_on_main_at (PcCallSession *self,
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
static void
run_on_main (PcCallSession *self, MainFunc func, gpointer data, GDestroyNotify destroy)
{
  run_on_main_at (self, G_PRIORITY_DEFAULT, "[peercall] call session", func, data, destroy);
}

static void
emit_failed (PcCallSession *self, GError *error)
{
  g_warning ("Call failed: %s", error->message);
  g_signal_emit (self, signals[SIGNAL_FAILED], 0, error);
}

static void
emit_media_error (PcCallSession *self, GError *error)
{
  g_message ("Media problem (call continues): %s", error->message);
  g_signal_emit (self, signals[SIGNAL_MEDIA_ERROR], 0, error);
}

static void
main_failed (PcCallSession *self, gpointer data)
{
  emit_failed (self, data);
}

static void
main_media_error (PcCallSession *self, gpointer data)
{
  emit_media_error (self, data);
}

static GstWebRTCSignalingState
get_signaling_state (PcCallSession *self)
{
  GstWebRTCSignalingState state = GST_WEBRTC_SIGNALING_STATE_STABLE;

  if (self->webrtc)
    g_object_get (self->webrtc, "signaling-state", &state, NULL);
  return state;
}

/* Reads a promise reply; FALSE with @error when webrtcbin reported one. */
static const GstStructure *
promise_reply (GstPromise *promise, GError **error)
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

/* ---- SDP helpers ---------------------------------------------------------------------- */

static gboolean h264_available (void);
static void set_encoder_bitrate (PcCallSession *self, guint bits_per_second);

/* Payload type the remote offer uses for @encoding in its first @media_type m-line, or -1. */
static gint
sdp_find_pt (const GstSDPMessage *sdp, const char *media_type, const char *encoding)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

      if (g_strcmp0 (gst_sdp_media_get_media (media), media_type) != 0)
        continue;
      for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
        {
          const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
          char name[32];
          int pt;

          if (g_strcmp0 (attr->key, "rtpmap") != 0 || attr->value == NULL)
            continue;
          if (sscanf (attr->value, "%d %31[^/]", &pt, name) == 2
              && g_ascii_strcasecmp (name, encoding) == 0)
            return pt;
        }
      return -1;
    }
  return -1;
}

static char *
sdp_fmtp_value (const GstSDPMedia *media, gint pt, const char *key)
{
  for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
    {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
      g_auto (GStrv) params = NULL;
      char *end = NULL;

      if (g_strcmp0 (attr->key, "fmtp") != 0 || attr->value == NULL
          || g_ascii_strtoll (attr->value, &end, 10) != pt || end == attr->value || *end != ' ')
        continue;
      params = g_strsplit (end + 1, ";", -1);
      for (guint i = 0; params[i]; i++)
        {
          char *param = g_strstrip (params[i]);
          gsize len = strlen (key);

          if (g_ascii_strncasecmp (param, key, len) == 0 && param[len] == '=')
            return g_strdup (param + len + 1);
        }
    }
  return NULL;
}

/* The video codec to answer with: the first one in the remote's order of preference (its
 * first video m-line's format list) that we can send and receive. H.264 only in the
 * packetization mode and baseline profiles every browser decodes. */
static gboolean
sdp_pick_video_codec (const GstSDPMessage *sdp,
                      VideoCodec *codec,
                      gint *pt,
                      char **profile_level_id)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

      if (g_strcmp0 (gst_sdp_media_get_media (media), "video") != 0)
        continue;
      for (guint f = 0; f < gst_sdp_media_formats_len (media); f++)
        {
          gint format = (gint)g_ascii_strtoll (gst_sdp_media_get_format (media, f), NULL, 10);

          for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
            {
              const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
              char name[32];
              int rtpmap_pt;

              if (g_strcmp0 (attr->key, "rtpmap") != 0 || attr->value == NULL
                  || sscanf (attr->value, "%d %31[^/]", &rtpmap_pt, name) != 2
                  || rtpmap_pt != format)
                continue;
              if (g_ascii_strcasecmp (name, "VP8") == 0)
                {
                  *codec = VIDEO_CODEC_VP8;
                  *pt = format;
                  return TRUE;
                }
              if (g_ascii_strcasecmp (name, "H264") == 0 && h264_available ())
                {
                  g_autofree char *mode = sdp_fmtp_value (media, format, "packetization-mode");
                  g_autofree char *plid = sdp_fmtp_value (media, format, "profile-level-id");

                  /* 42xxxx: (constrained) baseline */
                  if (g_strcmp0 (mode, "1") == 0 && plid && strlen (plid) == 6
                      && g_ascii_strncasecmp (plid, "42", 2) == 0)
                    {
                      *codec = VIDEO_CODEC_H264;
                      *pt = format;
                      *profile_level_id = g_ascii_strdown (plid, -1);
                      return TRUE;
                    }
                }
            }
        }
      return FALSE;
    }
  return FALSE;
}

static gint
sdp_find_extmap (const GstSDPMessage *sdp, const char *uri)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

      for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
        {
          const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
          char found[256];
          int id;

          if (g_strcmp0 (attr->key, "extmap") != 0 || attr->value == NULL)
            continue;
          if (sscanf (attr->value, "%d%*[^ ] %255s", &id, found) == 2
              || sscanf (attr->value, "%d %255s", &id, found) == 2)
            if (g_str_equal (found, uri))
              return id;
        }
    }
  return -1;
}

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

/* ---- Codec preferences ---------------------------------------------------------------- */

static const char *
video_codec_name (VideoCodec codec)
{
  return codec == VIDEO_CODEC_H264 ? "H264" : "VP8";
}

static const char *
first_available (const char *const *factories)
{
  for (guint i = 0; factories[i]; i++)
    {
      g_autoptr (GstElementFactory) factory = gst_element_factory_find (factories[i]);
      if (factory)
        return factories[i];
    }
  return NULL;
}

/* Software H.264: x264 (gst-plugins-ugly) or OpenH264, decoded by libav or OpenH264. */
static const char *
h264_encoder_factory (void)
{
  static const char *const encoders[] = { "x264enc", "openh264enc", NULL };
  return first_available (encoders);
}

static const char *
h264_decoder_factory (void)
{
  static const char *const decoders[] = { "avdec_h264", "openh264dec", NULL };
  return first_available (decoders);
}

static gboolean
h264_available (void)
{
  static const char *const pay[] = { "rtph264pay", NULL };
  static const char *const depay[] = { "rtph264depay", NULL };
  static const char *const parse[] = { "h264parse", NULL };

  return h264_encoder_factory () && h264_decoder_factory () && first_available (pay)
         && first_available (depay) && first_available (parse);
}

static GstCaps *
video_codec_caps (PcCallSession *self)
{
  GstCaps *caps = gst_caps_new_simple (
      "application/x-rtp", "media", G_TYPE_STRING, "video", "encoding-name", G_TYPE_STRING,
      video_codec_name (self->video_codec), "payload", G_TYPE_INT, (gint)self->video_pt,
      "clock-rate", G_TYPE_INT, 90000, "ssrc", G_TYPE_UINT, self->video_ssrc, NULL);
  if (self->video_codec == VIDEO_CODEC_H264)
    gst_caps_set_simple (
        caps, "packetization-mode", G_TYPE_STRING, "1", "profile-level-id", G_TYPE_STRING,
        self->h264_profile_level_id ? self->h264_profile_level_id : H264_PROFILE_LEVEL_ID,
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
static void
apply_codec_setup (PcCallSession *self)
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
  g_signal_emit (self, signals[SIGNAL_LOCAL_DESCRIPTION], 0, ld->type, ld->sdp);
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

  promise_reply (promise, &error);
  gst_promise_unref (promise);
  if (error)
    {
      if (d->ld->is_offer)
        run_on_main (d->self, main_offer_failed, g_steal_pointer (&error),
                     (GDestroyNotify)g_error_free);
      else
        run_on_main (d->self, main_failed, g_steal_pointer (&error), (GDestroyNotify)g_error_free);
      return;
    }
  run_on_main (d->self, main_local_description, g_steal_pointer (&d->ld),
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
  const GstStructure *reply = promise_reply (promise, &error);

  if (reply)
    gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
  if (offer == NULL)
    {
      if (error == NULL)
        g_set_error (&error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_NEGOTIATION, "No offer created");
      run_on_main (self, main_offer_failed, g_steal_pointer (&error), (GDestroyNotify)g_error_free);
    }
  else
    {
      /* Check and enqueue under the lock that rollback also takes, so a rolled-back offer is
       * either undone by the rollback or never applied. */
      g_mutex_lock (&self->lock);
      if (self->offer_generation == d->generation)
        set_local (self, offer, TRUE, d->generation);
      else
        run_on_main (self, main_offer_failed, NULL, NULL);
      g_mutex_unlock (&self->lock);
      gst_webrtc_session_description_free (offer);
    }
  gst_promise_unref (promise);
}

static void
negotiate (PcCallSession *self)
{
  OfferData *d;
  GstPromise *promise;

  if (self->closed || !self->started || self->making_offer)
    return;
  if (get_signaling_state (self) != GST_WEBRTC_SIGNALING_STATE_STABLE)
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
    negotiate (self);
}

static void
on_negotiation_needed (GstElement *webrtc, PcCallSession *self)
{
  run_on_main (self, main_negotiation_needed, NULL, NULL);
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

static void end_stopped_remote_tracks (PcCallSession *self);

static void
main_remote_description_set (PcCallSession *self, gpointer data)
{
  gboolean is_answer = GPOINTER_TO_INT (data);

  end_stopped_remote_tracks (self);

  self->remote_description_set = TRUE;
  if (is_answer)
    self->negotiated_once = TRUE;
  flush_pending_candidates (self);
}

static void
on_answer_created (GstPromise *promise, gpointer user_data)
{
  PcCallSession *self = user_data;
  g_autoptr (GError) error = NULL;
  GstWebRTCSessionDescription *answer = NULL;
  const GstStructure *reply = promise_reply (promise, &error);

  if (reply)
    gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL);
  if (answer == NULL)
    {
      if (error == NULL)
        g_set_error (&error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_NEGOTIATION, "No answer created");
      run_on_main (self, main_failed, g_steal_pointer (&error), (GDestroyNotify)g_error_free);
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

  promise_reply (promise, &error);
  gst_promise_unref (promise);
  if (error)
    {
      run_on_main (d->self, main_failed, g_steal_pointer (&error), (GDestroyNotify)g_error_free);
      return;
    }
  run_on_main (d->self, main_remote_description_set, GINT_TO_POINTER (!d->is_offer), NULL);
  if (d->is_offer)
    {
      GstPromise *answer_promise = gst_promise_new_with_change_func (
          on_answer_created, g_object_ref (d->self), g_object_unref);
      g_signal_emit_by_name (d->self->webrtc, "create-answer", NULL, answer_promise);
    }
}

static void ensure_playing (PcCallSession *self);
static gboolean restart_pipeline (PcCallSession *self, GError **error);

/* Starts over with a fresh pipeline before answering (nothing is connected yet); a failure
 * fails the session. */
static gboolean
restart_before_answer (PcCallSession *self, GError **error)
{
  g_autoptr (GError) restart_error = NULL;

  if (restart_pipeline (self, &restart_error))
    return TRUE;
  emit_failed (self, restart_error);
  g_propagate_error (error, g_steal_pointer (&restart_error));
  return FALSE;
}

gboolean
pc_call_session_set_remote_description (PcCallSession *self,
                                        const char *sdp_type,
                                        const char *sdp,
                                        GError **error)
{
  GstSDPMessage *msg = NULL;
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
      if (msg)
        gst_sdp_message_free (msg);
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_NEGOTIATION,
                   "The remote description is not valid SDP");
      return FALSE;
    }

  if (type == GST_WEBRTC_SDP_TYPE_OFFER)
    {
      gboolean collision
          = self->making_offer || get_signaling_state (self) != GST_WEBRTC_SIGNALING_STATE_STABLE;
      gint vpt, apt, twcc;

      if (collision && !self->polite)
        {
          /* Perfect negotiation: the impolite peer keeps its own offer. */
          g_debug ("Ignoring colliding remote offer (impolite)");
          gst_sdp_message_free (msg);
          return TRUE;
        }
      if (collision)
        {
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
              gst_sdp_message_free (msg);
              return TRUE;
            }
          g_debug ("Colliding remote offer: dropping our own offer (polite)");
          g_mutex_lock (&self->lock);
          self->offer_generation++;
          g_mutex_unlock (&self->lock);
          if (!restart_before_answer (self, error))
            {
              gst_sdp_message_free (msg);
              return FALSE;
            }
        }

      /* Answer with the offer's payload types (a browser decodes nothing otherwise), and
       * its TWCC extension id. */
      VideoCodec codec = self->video_codec;
      g_autofree char *profile_level_id = NULL;

      vpt = -1;
      if (!sdp_pick_video_codec (msg, &codec, &vpt, &profile_level_id)
          && sdp_find_pt (msg, "video", "H264") >= 0)
        {
          GError *media_error
              = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_NEGOTIATION,
                             "The peer offers no video format Peercall can use (VP8, or H.264 "
                             "constrained baseline); video is off");
          run_on_main (self, main_media_error, media_error, (GDestroyNotify)g_error_free);
        }
      if (self->negotiated_once && codec != self->video_codec)
        {
          /* The running encoder stays: a renegotiation only keeps or drops its codec. */
          codec = self->video_codec;
          g_clear_pointer (&profile_level_id, g_free);
          vpt = sdp_find_pt (msg, "video", video_codec_name (codec));
        }
      apt = sdp_find_pt (msg, "audio", "OPUS");
      twcc = sdp_find_extmap (msg, TWCC_URI);
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
                       video_codec_name (self->video_codec), self->video_pt, self->audio_pt,
                       self->twcc_id);
              if (!restart_before_answer (self, error))
                {
                  gst_sdp_message_free (msg);
                  return FALSE;
                }
            }
          else
            apply_codec_setup (self);
        }
      ensure_playing (self);
    }

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
        /* (port 0 is no sign here: max-bundle offers use it for bundle-only m-lines) */
        gboolean peer_sends = !gst_sdp_media_get_attribute_val (media, "inactive")
                              && !gst_sdp_media_get_attribute_val (media, "recvonly");

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

  desc = gst_webrtc_session_description_new (type, msg);
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
      g_signal_emit (self, signals[SIGNAL_LOCAL_CANDIDATE], 0, NULL, NULL, 0);
      return;
    }
  sdp_mid_for_mline (self->webrtc, c->mline, &mid);
  /* Browsers send "candidate:..." without the "a=" of SDP. */
  g_signal_emit (self, signals[SIGNAL_LOCAL_CANDIDATE], 0,
                 g_str_has_prefix (c->candidate, "a=") ? c->candidate + 2 : c->candidate, mid,
                 (gint)c->mline);
}

static void
on_ice_candidate (GstElement *webrtc, guint mline, const char *candidate, PcCallSession *self)
{
  LocalCandidate *c = g_new0 (LocalCandidate, 1);

  c->mline = mline;
  c->candidate = candidate && *candidate ? g_strdup (candidate) : NULL;
  run_on_main (self, main_local_candidate, c, (GDestroyNotify)local_candidate_free);
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

static void
on_gathering_state (GObject *webrtc, GParamSpec *pspec, PcCallSession *self)
{
  GstWebRTCICEGatheringState state;

  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  run_on_main (self, main_gathering_state, GINT_TO_POINTER (state), NULL);
}

static void request_stats (PcCallSession *self);
static gboolean on_stats_tick (gpointer user_data);
static void adapt_jitterbuffer_latency (PcCallSession *self);
static GstPadProbeReturn
on_depayloaded_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data);

static void
start_stats_timer (PcCallSession *self)
{
  if (self->stats_source)
    return;
  self->stats_source = g_timeout_source_new (1000);
  g_source_set_callback (self->stats_source, on_stats_tick, self, NULL);
  g_source_set_static_name (self->stats_source, "[peercall] stats");
  g_source_attach (self->stats_source, self->context);
}

static void
stop_stats_timer (PcCallSession *self)
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
  self->connection_state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION_STATE]);

  if (state == PC_CONNECTION_STATE_CONNECTED)
    {
      start_stats_timer (self);
      request_stats (self);
    }
  else if (state != PC_CONNECTION_STATE_CONNECTING)
    {
      stop_stats_timer (self);
    }
  if (state == PC_CONNECTION_STATE_FAILED)
    {
      g_autoptr (GError) error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_ICE_FAILED,
                                              "The connection to the peer failed");
      emit_failed (self, error);
    }
}

static void force_local_keyframe (PcCallSession *self);

static void
on_connection_state (GObject *webrtc, GParamSpec *pspec, PcCallSession *self)
{
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  /* Frames encoded before SRTP had keys never left: the next one must be a keyframe, or the
   * peer waits for its picture-loss request to come back as one. Asked here, on webrtcbin's
   * thread, it lands one main-loop turn sooner. */
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    force_local_keyframe (self);
  /* PcConnectionState mirrors GstWebRTCPeerConnectionState value for value. */
  run_on_main (self, main_connection_state, GINT_TO_POINTER ((gint)state), NULL);
}

static gboolean
ice_state_is_connected (const char *state)
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
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICE_CONNECTION_STATE]);

  if (ice_state_is_connected (state))
    {
      /* Reported with the selected pair's types once get-stats has them. */
      self->ice_types_reported = FALSE;
      request_stats (self);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_ICE_STATE], 0, state, NULL, NULL);
  if (g_str_equal (state, "failed"))
    {
      g_autoptr (GError) error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_ICE_FAILED,
                                              "No network path to the peer (ICE failed)");
      emit_failed (self, error);
    }
}

static void
on_ice_connection_state (GObject *webrtc, GParamSpec *pspec, PcCallSession *self)
{
  GstWebRTCICEConnectionState state;
  GEnumClass *klass;
  GEnumValue *value;

  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  klass = g_type_class_ref (GST_TYPE_WEBRTC_ICE_CONNECTION_STATE);
  value = g_enum_get_value (klass, state);
  run_on_main (self, main_ice_connection_state, g_strdup (value ? value->value_nick : "new"),
               g_free);
  g_type_class_unref (klass);
}

/* ---- Stats and the bitrate controller ------------------------------------------------- */

/* webrtcbin 1.22 labels "kind" and "codec-id" of bundled streams wrongly, so streams are told
 * apart by SSRC: ours from the payloaders, the peer's from the receive pads' caps. */
typedef struct
{
  RawStats raw;
  GHashTable *candidates; /* id -> type */
  char *local_id, *remote_id;
  guint local_video_ssrc, local_audio_ssrc;
  guint remote_video_ssrc, remote_audio_ssrc;
} StatsScan;

static gboolean
scan_codecs (GQuark field, const GValue *value, gpointer user_data)
{
  StatsScan *scan = user_data;
  const GstStructure *s;
  GstWebRTCStatsType type;

  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  s = gst_value_get_structure (value);
  if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, NULL))
    return TRUE;
  if (FALSE)
    {
    }
  else if (type == GST_WEBRTC_STATS_LOCAL_CANDIDATE || type == GST_WEBRTC_STATS_REMOTE_CANDIDATE)
    {
      const char *ctype = gst_structure_get_string (s, "candidate-type");
      if (ctype)
        g_hash_table_insert (scan->candidates, g_strdup (gst_structure_get_string (s, "id")),
                             g_strdup (ctype));
    }
  else if (type == GST_WEBRTC_STATS_CANDIDATE_PAIR)
    {
      const GstStructure *twcc = NULL;

      g_free (scan->local_id);
      g_free (scan->remote_id);
      scan->local_id = g_strdup (gst_structure_get_string (s, "local-candidate-id"));
      scan->remote_id = g_strdup (gst_structure_get_string (s, "remote-candidate-id"));
      if (gst_structure_has_field_typed (s, "gst-twcc-stats", GST_TYPE_STRUCTURE))
        twcc = gst_value_get_structure (gst_structure_get_value (s, "gst-twcc-stats"));
      if (twcc)
        {
          guint bitrate = 0;
          if (gst_structure_get_uint (twcc, "bitrate-recv", &bitrate))
            scan->raw.twcc_bitrate_recv = bitrate;
        }
    }
  return TRUE;
}

static const char *
media_of (StatsScan *scan, const GstStructure *s, gboolean local)
{
  guint ssrc = 0;

  if (!gst_structure_get_uint (s, "ssrc", &ssrc))
    return NULL;
  if (ssrc == (local ? scan->local_video_ssrc : scan->remote_video_ssrc))
    return "video";
  if (ssrc == (local ? scan->local_audio_ssrc : scan->remote_audio_ssrc))
    return "audio";
  return NULL; /* RTX and unknown streams */
}

static gboolean
scan_rtp (GQuark field, const GValue *value, gpointer user_data)
{
  StatsScan *scan = user_data;
  const GstStructure *s;
  GstWebRTCStatsType type;
  const char *media;
  guint64 bytes = 0;

  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  s = gst_value_get_structure (value);
  if (!gst_structure_get (s, "type", GST_TYPE_WEBRTC_STATS_TYPE, &type, NULL))
    return TRUE;
  media = media_of (scan, s, type != GST_WEBRTC_STATS_INBOUND_RTP);

  switch (type)
    {
    case GST_WEBRTC_STATS_INBOUND_RTP:
      {
        gint64 lost = 0;
        gst_structure_get_uint64 (s, "bytes-received", &bytes);
        if (gst_structure_get_int64 (s, "packets-lost", &lost))
          scan->raw.packets_lost += MAX (lost, 0);
        if (g_strcmp0 (media, "video") == 0)
          scan->raw.video_rx_bytes += bytes, scan->raw.have_video_rx = TRUE;
        else if (g_strcmp0 (media, "audio") == 0)
          scan->raw.audio_rx_bytes += bytes;
      }
      break;
    case GST_WEBRTC_STATS_OUTBOUND_RTP:
      gst_structure_get_uint64 (s, "bytes-sent", &bytes);
      if (g_strcmp0 (media, "video") == 0)
        scan->raw.video_tx_bytes += bytes, scan->raw.have_video_tx = TRUE;
      else if (g_strcmp0 (media, "audio") == 0)
        scan->raw.audio_tx_bytes += bytes;
      break;
    case GST_WEBRTC_STATS_REMOTE_INBOUND_RTP:
      {
        double rtt = -1, fraction = -1;
        if (gst_structure_get_double (s, "round-trip-time", &rtt) && rtt >= 0)
          scan->raw.rtt_ms = scan->raw.rtt_ms < 0 ? rtt * 1000 : MIN (scan->raw.rtt_ms, rtt * 1000);
        if (g_strcmp0 (media, "video") == 0
            && gst_structure_get_double (s, "fraction-lost", &fraction))
          scan->raw.video_fraction_lost = fraction;
      }
      break;
    default:
      break;
    }
  return TRUE;
}

static void main_stats (PcCallSession *self, gpointer data);

static void
raw_stats_free (RawStats *raw)
{
  raw_stats_clear (raw);
  g_free (raw);
}

static guint
payloader_ssrc (GstElement *pay)
{
  g_autoptr (GstStructure) stats = NULL;
  guint ssrc = 0;

  g_object_get (pay, "stats", &stats, NULL);
  if (stats)
    gst_structure_get_uint (stats, "ssrc", &ssrc);
  return ssrc;
}

typedef struct
{
  PcCallSession *self;
  guint local_video_ssrc, local_audio_ssrc;
} StatsRequest;

static void
stats_request_free (StatsRequest *req)
{
  g_object_unref (req->self);
  g_free (req);
}

/* webrtcbin's thread. */
static void
on_stats (GstPromise *promise, gpointer user_data)
{
  StatsRequest *req = user_data;
  PcCallSession *self = req->self;
  const GstStructure *reply = promise_reply (promise, NULL);
  StatsScan scan = { 0 };
  RawStats *raw;

  g_mutex_lock (&self->lock);
  g_ptr_array_remove_fast (self->stats_requests, promise); /* drops that array's reference */
  g_mutex_unlock (&self->lock);
  if (reply == NULL)
    {
      gst_promise_unref (promise);
      return;
    }
  if (g_getenv ("PEERCALL_DUMP_STATS"))
    {
      g_autofree char *text = gst_structure_to_string (reply);
      g_printerr ("%s\n", text);
    }
  scan.raw.rtt_ms = -1;
  scan.raw.video_fraction_lost = -1;
  scan.candidates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  scan.local_video_ssrc = req->local_video_ssrc;
  scan.local_audio_ssrc = req->local_audio_ssrc;
  g_mutex_lock (&self->lock);
  scan.remote_video_ssrc = self->remote_video_ssrc;
  scan.remote_audio_ssrc = self->remote_audio_ssrc;
  g_mutex_unlock (&self->lock);
  gst_structure_foreach (reply, scan_codecs, &scan);
  gst_structure_foreach (reply, scan_rtp, &scan);

  raw = g_new0 (RawStats, 1);
  *raw = scan.raw;
  raw->time_us = g_get_monotonic_time ();
  if (scan.local_id)
    raw->local_type = g_strdup (g_hash_table_lookup (scan.candidates, scan.local_id));
  if (scan.remote_id)
    raw->remote_type = g_strdup (g_hash_table_lookup (scan.candidates, scan.remote_id));
  g_hash_table_unref (scan.candidates);
  g_free (scan.local_id);
  g_free (scan.remote_id);
  gst_promise_unref (promise);

  run_on_main (self, main_stats, raw, (GDestroyNotify)raw_stats_free);
}

static void
request_stats (PcCallSession *self)
{
  StatsRequest *req;
  GstPromise *promise;

  if (self->closed || self->webrtc == NULL)
    return;
  /* The payloaders are read here, on the main context, which also tears them down. */
  req = g_new0 (StatsRequest, 1);
  req->self = g_object_ref (self);
  req->local_video_ssrc = self->vpay ? payloader_ssrc (self->vpay) : 0;
  req->local_audio_ssrc = self->apay ? payloader_ssrc (self->apay) : 0;
  promise = gst_promise_new_with_change_func (on_stats, req, (GDestroyNotify)stats_request_free);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->stats_requests, gst_promise_ref (promise));
  g_mutex_unlock (&self->lock);
  g_signal_emit_by_name (self->webrtc, "get-stats", NULL, promise);
}

/* GStreamer 1.22.0's rtpsession resets its SSRC table without its lock when it stops: a get-stats
 * still running on webrtcbin's thread then iterates a table being emptied (ASan: SEGV in
 * g_hash_table_foreach). Let the requests in flight finish before the pipeline stops. */
static void
wait_for_stats_requests (PcCallSession *self)
{
  g_autoptr (GPtrArray) requests = NULL;

  g_mutex_lock (&self->lock);
  requests = g_steal_pointer (&self->stats_requests);
  self->stats_requests = g_ptr_array_new_with_free_func ((GDestroyNotify)gst_promise_unref);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < requests->len; i++)
    gst_promise_wait (g_ptr_array_index (requests, i));
}

static gboolean
on_stats_tick (gpointer user_data)
{
  request_stats (user_data);
  return G_SOURCE_CONTINUE;
}

/* A deliberately simple sender-side controller, run once a second on the peer's receiver
 * reports (remote-inbound-rtp): loss above 10 % cuts the target by half the loss fraction;
 * RTT rising over 1.5x its minimum plus 30 ms (queues building) cuts 15 %; below 2 % loss with
 * steady RTT for 2 s it grows 8 %. When the peer measures what it receives through TWCC, the
 * target never goes above 1.5x that. Clamped to [150 kbps, 2.5 Mbps]. */
static void
update_bitrate (PcCallSession *self, const RawStats *raw)
{
  double target = self->target_bitrate;
  double loss = raw->video_fraction_lost;

  if (self->vencoder == NULL || !raw->have_video_tx)
    return;
  if (raw->rtt_ms > 0)
    self->min_rtt_ms = self->min_rtt_ms <= 0 ? raw->rtt_ms : MIN (self->min_rtt_ms, raw->rtt_ms);

  if (loss > 0.10)
    {
      target *= 1.0 - loss / 2;
      self->stable_ticks = 0;
    }
  else if (raw->rtt_ms > 0 && raw->rtt_ms > self->min_rtt_ms * 1.5 + 30)
    {
      target *= 0.85;
      self->stable_ticks = 0;
    }
  else if (loss < 0.02)
    {
      if (++self->stable_ticks >= 2)
        target *= 1.08;
    }
  if (raw->twcc_bitrate_recv > 0)
    target = MIN (target, raw->twcc_bitrate_recv * 1.5);
  target = CLAMP (target, BITRATE_MIN, BITRATE_MAX);

  if ((guint)target != self->target_bitrate)
    {
      self->target_bitrate = (guint)target;
      set_encoder_bitrate (self, self->target_bitrate);
    }
}

static void
main_stats (PcCallSession *self, gpointer data)
{
  RawStats *raw = data;
  PcCallStats *stats;
  guint64 frames;
  double dt;

  g_mutex_lock (&self->lock);
  frames = self->frames_decoded;
  g_mutex_unlock (&self->lock);

  if (ice_state_is_connected (self->ice_state) && !self->ice_types_reported && raw->local_type
      && raw->remote_type)
    {
      self->ice_types_reported = TRUE;
      g_signal_emit (self, signals[SIGNAL_ICE_STATE], 0, self->ice_state, raw->local_type,
                     raw->remote_type);
    }
  if (self->connection_state != PC_CONNECTION_STATE_CONNECTED)
    return;

  stats = g_new0 (PcCallStats, 1);
  stats->rtt_ms = raw->rtt_ms;
  stats->packets_lost = raw->packets_lost;
  stats->frames_decoded = frames;
  g_mutex_lock (&self->lock);
  stats->video_width = self->frame_width;
  stats->video_height = self->frame_height;
  g_mutex_unlock (&self->lock);
  stats->video_codec = g_strdup (video_codec_name (self->video_codec));
  stats->audio_codec = g_strdup ("OPUS");
  stats->local_candidate_type = g_strdup (raw->local_type);
  stats->remote_candidate_type = g_strdup (raw->remote_type);

  if (self->have_prev && (dt = (raw->time_us - self->prev.time_us) / 1e6) > 0.2)
    {
#define RATE(field)                                                                                \
  (raw->field >= self->prev.field ? (raw->field - self->prev.field) * 8 / dt / 1000 : 0)
      stats->video_rx_kbps = RATE (video_rx_bytes);
      stats->video_tx_kbps = RATE (video_tx_bytes);
      stats->audio_rx_kbps = RATE (audio_rx_bytes);
      stats->audio_tx_kbps = RATE (audio_tx_bytes);
#undef RATE
      stats->video_rx_fps = frames >= self->prev_frames ? (frames - self->prev_frames) / dt : 0;
    }
  raw_stats_clear (&self->prev);
  self->prev = *raw;
  self->prev.local_type = g_strdup (raw->local_type);
  self->prev.remote_type = g_strdup (raw->remote_type);
  self->prev_frames = frames;
  self->have_prev = TRUE;

  update_bitrate (self, raw);
  adapt_jitterbuffer_latency (self);

  pc_call_stats_free (self->last_stats);
  self->last_stats = stats;
  g_signal_emit (self, signals[SIGNAL_STATS], 0, stats);
}

/* ---- Remote media --------------------------------------------------------------------- */

typedef struct
{
  char *kind;
  guint width, height;
} FirstFrame;

static void
first_frame_free (FirstFrame *f)
{
  g_free (f->kind);
  g_free (f);
}

static void
main_first_frame (PcCallSession *self, gpointer data)
{
  FirstFrame *f = data;
  g_signal_emit (self, signals[SIGNAL_FIRST_FRAME], 0, f->kind, f->width, f->height);
}

static void
main_latency (PcCallSession *self, gpointer data)
{
  g_signal_emit (self, signals[SIGNAL_LATENCY], 0, (double)GPOINTER_TO_INT (data));
}

static void
deliver (PcCallSession *self, FrameSink *sink, GstSample *sample)
{
  /* The lock is held while calling out so set_*_video_func can free the old consumer safely;
   * consumers must not block (PcVideoPaintable only wraps and hands over). */
  g_mutex_lock (&self->lock);
  if (sink->func)
    sink->func (sample, sink->data);
  g_mutex_unlock (&self->lock);
}

static GstFlowReturn
on_remote_video_sample (GstAppSink *appsink, gpointer user_data)
{
  PcCallSession *self = user_data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (appsink);
  GstVideoInfo info;
  GstCaps *caps;

  if (sample == NULL)
    return GST_FLOW_EOS;
  caps = gst_sample_get_caps (sample);
  if (caps == NULL || !gst_video_info_from_caps (&info, caps))
    return GST_FLOW_OK;

  g_mutex_lock (&self->lock);
  self->frames_decoded++;
  self->frame_width = GST_VIDEO_INFO_WIDTH (&info);
  self->frame_height = GST_VIDEO_INFO_HEIGHT (&info);
  g_mutex_unlock (&self->lock);

  if (g_atomic_int_compare_and_exchange (&self->first_video, 0, 1))
    {
      FirstFrame *f = g_new0 (FirstFrame, 1);
      f->kind = g_strdup ("video");
      f->width = GST_VIDEO_INFO_WIDTH (&info);
      f->height = GST_VIDEO_INFO_HEIGHT (&info);
      run_on_main (self, main_first_frame, f, (GDestroyNotify)first_frame_free);
    }

  if (self->latency_probe)
    {
      GstVideoFrame frame;
      guint32 stamp;

      if (gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample), GST_MAP_READ))
        {
          if (pc_latency_stamp_read (&frame, &stamp))
            {
              gint64 ms = pc_latency_stamp_delta_ms (stamp, pc_latency_stamp_now ());
              /* A misread bit gives absurd values: report only what can be a real delay. */
              if (ms >= 0 && ms < 60000)
                run_on_main (self, main_latency, GINT_TO_POINTER ((gint)ms), NULL);
            }
          gst_video_frame_unmap (&frame);
        }
    }

  deliver (self, &self->remote_sink, sample);
  return GST_FLOW_OK;
}

typedef struct
{
  RemoteVideo *rv; /* only compared, never dereferenced before it is found in the list */
  char *mid;
  guint width, height;
} RemoteTrack;

static void
remote_track_free (RemoteTrack *t)
{
  g_free (t->mid);
  g_free (t);
}

static void
main_remote_track (PcCallSession *self, gpointer data)
{
  RemoteTrack *t = data;

  gboolean live;

  /* The chain may have gone or stopped meanwhile: report only tracks still there. */
  g_mutex_lock (&self->lock);
  live = g_ptr_array_find (self->remote_videos, t->rv, NULL) && !t->rv->stopped;
  g_mutex_unlock (&self->lock);
  if (!live)
    return;
  t->rv->reported = TRUE;
  g_signal_emit (self, signals[SIGNAL_REMOTE_TRACK], 0, "video", t->mid, t->width, t->height);
}

static GstFlowReturn
on_extra_video_sample (GstAppSink *appsink, gpointer user_data)
{
  RemoteVideo *rv = user_data;
  PcCallSession *self = rv->self;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (appsink);
  GstVideoInfo info;
  GstCaps *caps;

  if (sample == NULL)
    return GST_FLOW_EOS;
  caps = gst_sample_get_caps (sample);
  if (caps == NULL || !gst_video_info_from_caps (&info, caps))
    return GST_FLOW_OK;

  g_mutex_lock (&self->lock);
  if (rv->stopped)
    {
      /* Still in flight when the peer stopped the track. */
      g_mutex_unlock (&self->lock);
      return GST_FLOW_OK;
    }
  rv->frames++;
  rv->width = GST_VIDEO_INFO_WIDTH (&info);
  rv->height = GST_VIDEO_INFO_HEIGHT (&info);
  if (rv->sink.func)
    rv->sink.func (sample, rv->sink.data);
  g_mutex_unlock (&self->lock);

  if (g_atomic_int_compare_and_exchange (&rv->first_frame, 0, 1))
    {
      RemoteTrack *t = g_new0 (RemoteTrack, 1);

      t->rv = rv;
      t->mid = g_strdup (rv->mid);
      t->width = GST_VIDEO_INFO_WIDTH (&info);
      t->height = GST_VIDEO_INFO_HEIGHT (&info);
      run_on_main (self, main_remote_track, t, (GDestroyNotify)remote_track_free);
    }
  return GST_FLOW_OK;
}

static GstFlowReturn
on_local_video_sample (GstAppSink *appsink, gpointer user_data)
{
  PcCallSession *self = user_data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (appsink);

  if (sample)
    deliver (self, &self->local_sink, sample);
  return sample ? GST_FLOW_OK : GST_FLOW_EOS;
}

static GstPadProbeReturn
on_first_audio (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  PcCallSession *self = user_data;

  if (g_atomic_int_compare_and_exchange (&self->first_audio, 0, 1))
    {
      FirstFrame *f = g_new0 (FirstFrame, 1);
      f->kind = g_strdup ("audio");
      run_on_main (self, main_first_frame, f, (GDestroyNotify)first_frame_free);
    }
  return GST_PAD_PROBE_REMOVE;
}

/* Picks the audio output once per process: a sink that reaches READY (a sound server or
 * device exists), else fakesink, so a machine without audio output still takes calls. */
static const char *
audio_sink_factory (void)
{
  static gsize chosen = 0;

  if (g_once_init_enter (&chosen))
    {
      const char *env = g_getenv ("PEERCALL_AUDIO_SINK");
      const char *candidates[] = { "pulsesink", "pipewiresink", "alsasink", NULL };
      const char *result = "fakesink";

      if (env && *env)
        result = g_intern_string (env);
      else
        for (guint i = 0; candidates[i]; i++)
          {
            GstElement *sink = gst_element_factory_make (candidates[i], NULL);
            gboolean ok;

            if (sink == NULL)
              continue;
            ok = gst_element_set_state (sink, GST_STATE_READY) == GST_STATE_CHANGE_SUCCESS;
            gst_element_set_state (sink, GST_STATE_NULL);
            gst_object_unref (sink);
            if (ok)
              {
                result = candidates[i];
                break;
              }
          }
      g_debug ("Audio output: %s", result);
      g_once_init_leave (&chosen, (gsize)result);
    }
  return (const char *)chosen;
}

static gboolean
link_remote_chain (PcCallSession *self, GstPad *pad, GstElement **elements, guint n)
{
  g_autoptr (GstPad) sinkpad = NULL;

  for (guint i = 0; i < n; i++)
    if (elements[i] == NULL)
      {
        for (guint j = 0; j < n; j++)
          if (elements[j] && elements[j] != self->echo_probe)
            gst_object_unref (elements[j]);
        return FALSE;
      }
  for (guint i = 0; i < n; i++)
    if (elements[i] != self->echo_probe)
      gst_bin_add (GST_BIN (self->pipeline), elements[i]);
  for (guint i = 0; i + 1 < n; i++)
    if (!gst_element_link (elements[i], elements[i + 1]))
      return FALSE;
  for (guint i = n; i > 0; i--)
    gst_element_sync_state_with_parent (elements[i - 1]);
  sinkpad = gst_element_get_static_pad (elements[0], "sink");
  return gst_pad_link (pad, sinkpad) == GST_PAD_LINK_OK;
}

static void
on_pad_added (GstElement *webrtc, GstPad *pad, PcCallSession *self)
{
  g_autoptr (GstCaps) caps = NULL;
  const GstStructure *s;
  const char *encoding;
  gboolean ok = FALSE;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  s = gst_caps_get_structure (caps, 0);
  encoding = gst_structure_get_string (s, "encoding-name");

  if (g_strcmp0 (encoding, "VP8") == 0 || g_strcmp0 (encoding, "H264") == 0)
    {
      gboolean h264 = g_strcmp0 (encoding, "H264") == 0;
      const char *decoder_factory = h264 ? h264_decoder_factory () : "vp8dec";
      GstElement *sink = gst_element_factory_make ("appsink", NULL);
      g_autoptr (GstCaps) bgra = gst_caps_from_string ("video/x-raw,format=BGRA");
      GstAppSinkCallbacks callbacks = { .new_sample = on_remote_video_sample };
      g_autoptr (GstWebRTCRTPTransceiver) trans = NULL;
      RemoteVideo *rv = g_new0 (RemoteVideo, 1);
      guint ssrc = 0;
      GstElement *chain[5];
      GstElement *depay, *decoder;
      guint n_chain = 0;

      chain[n_chain++] = depay
          = gst_element_factory_make (h264 ? "rtph264depay" : "rtpvp8depay", NULL);
      if (h264)
        chain[n_chain++] = gst_element_factory_make ("h264parse", NULL);
      chain[n_chain++] = decoder
          = decoder_factory ? gst_element_factory_make (decoder_factory, NULL) : NULL;
      chain[n_chain++] = gst_element_factory_make ("videoconvert", NULL);
      chain[n_chain++] = sink;

      /* Which m-line: the first video one of the remote description is the main video. */
      rv->self = self;
      rv->pad = gst_object_ref (pad);
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (pad), "transceiver"))
        g_object_get (pad, "transceiver", &trans, NULL);
      if (trans)
        g_object_get (trans, "mlineindex", &rv->mline, NULL);
      gst_structure_get_uint (s, "ssrc", &ssrc);
      g_mutex_lock (&self->lock);
      /* webrtcbin 1.22 may hand a bundled stream a pad whose transceiver belongs to another
       * m-line (even an audio one): the SSRC the remote description announced decides. */
      {
        guint from_ssrc = self->remote_ssrc_mlines ? GPOINTER_TO_UINT (g_hash_table_lookup (
                              self->remote_ssrc_mlines, GUINT_TO_POINTER (ssrc)))
                                                   : 0;
        gboolean video_mline = FALSE;

        if (from_ssrc > 0)
          rv->mline = from_ssrc - 1;
        for (guint i = 0; self->remote_video_mlines && i < self->remote_video_mlines->len; i++)
          video_mline |= g_array_index (self->remote_video_mlines, guint, i) == rv->mline;
        if (self->remote_video_mlines == NULL || self->remote_video_mlines->len <= 1)
          rv->main = TRUE; /* one video m-line: whatever webrtcbin says, it is the main one */
        else if (video_mline)
          rv->main = rv->mline == (guint)self->first_remote_video_mline;
        else
          rv->main = self->remote_video_sink == NULL;
        if (rv->main && self->first_remote_video_mline >= 0)
          rv->mline = self->first_remote_video_mline;
      }
      if (self->remote_mids && rv->mline < g_strv_length (self->remote_mids))
        rv->mid = g_strdup (self->remote_mids[rv->mline]);
      else
        rv->mid = g_strdup_printf ("%u", rv->mline);
      /* Stats tell the main video from audio by SSRC. */
      if (rv->main && ssrc)
        self->remote_video_ssrc = ssrc;
      g_mutex_unlock (&self->lock);
      g_debug ("Remote video m-line %u (mid %s): %s", rv->mline, rv->mid,
               rv->main ? "main video" : "extra track");

      if (sink)
        {
          /* No clock sync here: the jitterbuffer already releases frames at their time
           * (after "latency"); syncing again against a clock mapping we do not control
           * stalled delivery in tests (2 fps instead of 30). A small queue that drops the
           * oldest keeps a slow consumer from building up delay. */
          g_object_set (sink, "caps", bgra, "sync", FALSE, "max-buffers", 2, "drop", TRUE,
                        "enable-last-sample", FALSE, NULL);
          if (rv->main)
            gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, self, NULL);
          else
            {
              callbacks.new_sample = on_extra_video_sample;
              gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, rv, NULL);
            }
          if (decoder && g_object_class_find_property (G_OBJECT_GET_CLASS (decoder), "threads"))
            g_object_set (decoder, "threads", 1, NULL); /* see the encoder's threads */
          /* After a loss, ask the sender for a keyframe (PLI) at once instead of decoding
           * garbage until the next scheduled one (up to 10 s away). */
          if (depay
              && g_object_class_find_property (G_OBJECT_GET_CLASS (depay), "wait-for-keyframe"))
            g_object_set (depay, "request-keyframe", TRUE, "wait-for-keyframe", TRUE, NULL);
          if (rv->main && depay)
            {
              g_autoptr (GstPad) depay_src = gst_element_get_static_pad (depay, "src");
              gst_pad_add_probe (depay_src, GST_PAD_PROBE_TYPE_BUFFER, on_depayloaded_frame, self,
                                 NULL);
            }
        }
      for (guint i = 0; i < n_chain; i++)
        rv->elements[i] = chain[i] ? gst_object_ref (chain[i]) : NULL;
      ok = link_remote_chain (self, pad, chain, n_chain);
      g_mutex_lock (&self->lock);
      if (ok && rv->main)
        {
          g_clear_object (&self->remote_video_sink);
          self->remote_video_sink = gst_object_ref (sink);
        }
      g_ptr_array_add (self->remote_videos, rv);
      g_mutex_unlock (&self->lock);
    }
  else if (g_strcmp0 (encoding, "OPUS") == 0)
    {
      GstElement *dec = gst_element_factory_make ("opusdec", NULL);
      guint ssrc = 0;
      GstElement *audio_sink = gst_element_factory_make (audio_sink_factory (), NULL);
      GstElement *chain[7];
      guint n = 0;

      if (gst_structure_get_uint (s, "ssrc", &ssrc))
        {
          g_mutex_lock (&self->lock);
          self->remote_audio_ssrc = ssrc;
          g_mutex_unlock (&self->lock);
        }
      if (audio_sink == NULL)
        audio_sink = gst_element_factory_make ("fakesink", NULL);
      /* Without an audio device nothing needs pacing: the jitterbuffer already does it. */
      if (g_str_equal (audio_sink_factory (), "fakesink"))
        g_object_set (audio_sink, "sync", FALSE, NULL);
      chain[n++] = gst_element_factory_make ("rtpopusdepay", NULL);
      chain[n++] = dec;
      chain[n++] = gst_element_factory_make ("audioconvert", NULL);
      chain[n++] = gst_element_factory_make ("audioresample", NULL);
      if (self->echo_probe)
        {
          g_autoptr (GstPad) probe_sink = gst_element_get_static_pad (self->echo_probe, "sink");
          if (!gst_pad_is_linked (probe_sink))
            chain[n++] = self->echo_probe;
        }
      chain[n++] = audio_sink;
      if (dec)
        {
          g_autoptr (GstPad) decsrc = gst_element_get_static_pad (dec, "src");
          gst_pad_add_probe (decsrc, GST_PAD_PROBE_TYPE_BUFFER, on_first_audio, self, NULL);
        }
      ok = link_remote_chain (self, pad, chain, n);
    }
  else
    {
      GstElement *sink = gst_element_factory_make ("fakesink", NULL);
      g_autoptr (GstPad) sinkpad = gst_element_get_static_pad (sink, "sink");
      g_message ("Ignoring remote stream %s", encoding ? encoding : "(unknown)");
      gst_bin_add (GST_BIN (self->pipeline), sink);
      gst_element_sync_state_with_parent (sink);
      ok = gst_pad_link (pad, sinkpad) == GST_PAD_LINK_OK;
    }

  if (!ok)
    {
      GError *error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                                   "Cannot play the remote %s stream", encoding ? encoding : "");
      run_on_main (self, main_media_error, error, (GDestroyNotify)g_error_free);
    }
}

static void
main_drop_remote_video (PcCallSession *self, gpointer data)
{
  RemoteVideo *rv = data;

  for (guint i = 0; i < G_N_ELEMENTS (rv->elements); i++)
    if (rv->elements[i])
      {
        gst_element_set_locked_state (rv->elements[i], TRUE);
        gst_element_set_state (rv->elements[i], GST_STATE_NULL);
        if (GST_OBJECT_PARENT (rv->elements[i]) == GST_OBJECT (self->pipeline))
          gst_bin_remove (GST_BIN (self->pipeline), rv->elements[i]);
      }
  if (rv->main)
    {
      g_mutex_lock (&self->lock);
      for (guint i = 0; i < G_N_ELEMENTS (rv->elements); i++)
        if (rv->elements[i] && self->remote_video_sink == rv->elements[i])
          g_clear_object (&self->remote_video_sink);
      g_mutex_unlock (&self->lock);
    }
  else if (rv->reported)
    g_signal_emit (self, signals[SIGNAL_REMOTE_TRACK_ENDED], 0, rv->mid);
}

/* After a remote description: an extra track whose m-line the peer no longer sends on
 * (a browser's removeTrack makes it inactive or recvonly) has ended. webrtcbin 1.22 may keep
 * the pad, so the chain stays linked (idle) and reports a new "remote-track" if the m-line
 * comes back; it is dropped when the pad goes away. */
static void
end_stopped_remote_tracks (PcCallSession *self)
{
  g_autoptr (GPtrArray) ended = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) sinks = g_array_new (FALSE, TRUE, sizeof (FrameSink));

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->remote_videos->len; i++)
    {
      RemoteVideo *rv = g_ptr_array_index (self->remote_videos, i);
      gboolean sends = self->remote_sends && rv->mline < self->remote_sends->len
                       && g_array_index (self->remote_sends, gboolean, rv->mline);

      if (rv->main)
        continue;
      if (sends)
        {
          /* Sending again (e.g. a new share on the same transceiver): a new track. */
          rv->stopped = FALSE;
          continue;
        }
      if (rv->stopped)
        continue;
      rv->stopped = TRUE;
      if (rv->reported)
        g_ptr_array_add (ended, g_strdup (rv->mid));
      g_array_append_val (sinks, rv->sink);
      memset (&rv->sink, 0, sizeof rv->sink);
      rv->frames = 0;
      rv->reported = FALSE;
      g_atomic_int_set (&rv->first_frame, 0);
    }
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < sinks->len; i++)
    frame_sink_clear (&g_array_index (sinks, FrameSink, i));
  for (guint i = 0; i < ended->len; i++)
    g_signal_emit (self, signals[SIGNAL_REMOTE_TRACK_ENDED], 0, g_ptr_array_index (ended, i));
}

/* The pad went away (webrtcbin dropped the m-line's receive side): its chain goes. */
static void
on_pad_removed (GstElement *webrtc, GstPad *pad, PcCallSession *self)
{
  RemoteVideo *found = NULL;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->remote_videos->len; i++)
    {
      RemoteVideo *rv = g_ptr_array_index (self->remote_videos, i);
      if (rv->pad == pad)
        {
          found = g_ptr_array_steal_index (self->remote_videos, i);
          break;
        }
    }
  g_mutex_unlock (&self->lock);
  if (found)
    {
      g_debug ("Remote video mid %s went away", found->mid);
      run_on_main (self, main_drop_remote_video, found, (GDestroyNotify)remote_video_free);
    }
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

static GstPadProbeReturn
on_encoded_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
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

static GstPadProbeReturn
on_depayloaded_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
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

static void
weak_ref_free (GWeakRef *ref)
{
  g_weak_ref_clear (ref);
  g_free (ref);
}

/* Any thread (rtpbin's, after it configured the new jitterbuffer): remembers it for the
 * late-packet check and gives it the session's current latency. */
static void
on_new_jitterbuffer (
    GstElement *rtpbin, GstElement *jitterbuffer, guint session, guint ssrc, PcCallSession *self)
{
  GWeakRef *ref;

  /* A new stream starts at its first run of in-order packets instead of after a whole
   * latency period: the first remote frame shows up to "latency" ms sooner. */
  g_object_set (jitterbuffer, "faststart-min-packets", FASTSTART_MIN_PACKETS, "latency",
                (guint)g_atomic_int_get (&self->jitterbuffer_latency), NULL);
  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, jitterbuffer);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->jitterbuffers, ref);
  g_mutex_unlock (&self->lock);
}

/* Main context, once a second: a jitterbuffer that keeps dropping packets that did arrive,
 * only later than it waited for them, is too small for this path or this machine (a starved
 * receiver gives up whole keyframes and the picture freezes until the next one that arrives
 * complete). Double the latency then, up to MAX_JITTERBUFFER_LATENCY. */
static void
adapt_jitterbuffer_latency (PcCallSession *self)
{
  g_autoptr (GPtrArray) elements = g_ptr_array_new_with_free_func (gst_object_unref);
  guint64 late = 0;
  guint latency;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->jitterbuffers->len; i++)
    {
      GstElement *jb = g_weak_ref_get (g_ptr_array_index (self->jitterbuffers, i));
      if (jb)
        g_ptr_array_add (elements, jb);
    }
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < elements->len; i++)
    {
      g_autoptr (GstStructure) stats = NULL;
      guint64 n = 0;

      g_object_get (g_ptr_array_index (elements, i), "stats", &stats, NULL);
      if (stats && gst_structure_get_uint64 (stats, "num-late", &n))
        late += n;
    }
  if (late < self->late_packets + LATE_PACKETS_PER_TICK
      || self->jitterbuffer_latency >= MAX_JITTERBUFFER_LATENCY)
    {
      self->late_packets = MAX (self->late_packets, late);
      return;
    }
  latency = MIN (MAX (self->jitterbuffer_latency, 25) * 2, MAX_JITTERBUFFER_LATENCY);
  g_message ("%" G_GUINT64_FORMAT
             " packets arrived too late for the jitterbuffer: latency %u -> %u ms",
             late - self->late_packets, self->jitterbuffer_latency, latency);
  self->late_packets = late;
  /* Jitterbuffers made later take it in on_new_jitterbuffer (). Not through webrtcbin's own
   * "latency": that takes rtpbin's and every session's lock from this thread. */
  g_atomic_int_set (&self->jitterbuffer_latency, latency);
  for (guint i = 0; i < elements->len; i++)
    g_object_set (g_ptr_array_index (elements, i), "latency", latency, NULL);
}

static GstElement *
make (const char *factory, const char *name, GError **error)
{
  GstElement *e = gst_element_factory_make (factory, name);

  if (e == NULL && error && *error == NULL)
    g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                 "GStreamer element “%s” is missing", factory);
  return e;
}

static void on_screencast_closed (PcScreencast *screencast, PcCallSession *self);

static void
set_screencast_object (PcCallSession *self, PcScreencast *screencast, gboolean owned)
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
          screencast, "closed", G_CALLBACK (on_screencast_closed), self, 0);
    }
}

/* A new source bin for @kind, or NULL with @error: the caller picks the fallback. Screen
 * sharing comes from the PcScreencast the application gave (portal), or one made here (X11
 * works without a dialog; the portal then fails with PC_MEDIA_ERROR_SCREENCAST). */
static GstElement *
make_video_source (PcCallSession *self, PcMediaSourceKind kind, GError **error)
{
  if (pc_media_source_resolve (kind, TRUE) == PC_MEDIA_SOURCE_SCREEN)
    {
      GstElement *src;

      if (self->screencast == NULL)
        {
          g_autoptr (PcScreencast) screencast = pc_screencast_new (PC_SCREENCAST_BACKEND_AUTO);
          set_screencast_object (self, screencast, TRUE);
        }
      src = pc_screencast_create_source (self->screencast, error);
      /* One we made ourselves is not worth keeping after a failure (the display may come). */
      if (src == NULL && self->screencast_owned)
        set_screencast_object (self, NULL, FALSE);
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

  src = make_video_source (self, kind, &error);
  self->sharing_screen
      = src != NULL && pc_media_source_resolve (kind, TRUE) == PC_MEDIA_SOURCE_SCREEN;
  if (src == NULL)
    {
      run_on_main (self, main_media_error, g_steal_pointer (&error), (GDestroyNotify)g_error_free);
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
static void
set_encoder_bitrate (PcCallSession *self, guint bits_per_second)
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
                    "dct8x8", FALSE, "key-int-max", CAMERA_KEYFRAME_MAX_DIST, "vbv-buf-capacity",
                    500, "aud", FALSE, NULL);
    }
  else
    g_object_set (self->vencoder, "gop-size", CAMERA_KEYFRAME_MAX_DIST, "multi-thread", 1, NULL);
  set_encoder_bitrate (self, self->target_bitrate);
}

/* Encoder and size for camera-like content or a shared screen. All of these vp8enc settings
 * apply to a running encoder (libvpx controls / config update); a new size re-initialises it
 * and the receiver follows with the keyframe, without any SDP change. */
static void
apply_video_profile (PcCallSession *self, gboolean screen)
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
  if (self->video_codec != VIDEO_CODEC_VP8)
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
      set_encoder_bitrate (self, self->target_bitrate);
      return;
    }
  if (screen)
    {
      self->bitrate_before_screen = self->target_bitrate;
      self->target_bitrate
          = CLAMP (MAX (self->target_bitrate, BITRATE_SCREEN_START), BITRATE_MIN, BITRATE_MAX);
      g_object_set (self->vencoder, "static-threshold", SCREEN_STATIC_THRESHOLD, "cpu-used",
                    SCREEN_CPU_USED, "min-quantizer", SCREEN_MIN_QUANTIZER, "max-quantizer",
                    SCREEN_MAX_QUANTIZER, "noise-sensitivity", 0, "sharpness", 0, "tuning",
                    1 /* ssim */, "keyframe-max-dist", SCREEN_KEYFRAME_MAX_DIST, "target-bitrate",
                    (gint)self->target_bitrate, NULL);
    }
  else
    {
      GObjectClass *klass = G_OBJECT_GET_CLASS (self->vencoder);
      GValue value = G_VALUE_INIT;

      /* Back to the camera settings: ours from build_pipeline, libvpx defaults for the rest. */
      if (self->bitrate_before_screen > 0)
        self->target_bitrate = MIN (self->target_bitrate, self->bitrate_before_screen);
      g_object_set (self->vencoder, "static-threshold", 0, "cpu-used", CAMERA_CPU_USED,
                    "max-quantizer", CAMERA_MAX_QUANTIZER, "keyframe-max-dist",
                    CAMERA_KEYFRAME_MAX_DIST, "target-bitrate", (gint)self->target_bitrate, NULL);
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

static void
force_local_keyframe (PcCallSession *self)
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

  if (self->video_codec != VIDEO_CODEC_H264)
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
      self->h264_profile_level_id ? self->h264_profile_level_id : H264_PROFILE_LEVEL_ID, NULL);
  g_object_set (filter, "caps", h264_caps, NULL);
  g_object_set (fixup, "caps", rtp_caps, NULL);
  gst_bin_add_many (GST_BIN (self->pipeline), filter, fixup, NULL);
  if (!gst_element_link_many (self->vencoder, filter, self->vpay, fixup, NULL))
    return NULL;
  return fixup;
}

static gboolean
build_pipeline (PcCallSession *self, GError **error)
{
  g_autoptr (GstPad) vsink = NULL;
  g_autoptr (GstPad) asink = NULL;
  g_autoptr (GstPad) probe_pad = NULL;
  g_autoptr (GstCaps) vcaps = NULL;
  g_autoptr (GstCaps) bgra = NULL;
  g_autoptr (GstCaps) acaps = NULL;
  GstElement *vconvert, *vscale, *vtee, *vqueue, *pqueue, *pconvert, *psink;
  GstElement *asrc, *aconvert, *aresample, *aqueue, *aenc;
  GstElement *pay_out = NULL;
  GstAppSinkCallbacks local_callbacks = { .new_sample = on_local_video_sample };
  static gint counter = 0;
  g_autofree char *name = g_strdup_printf ("peercall-call-%d", g_atomic_int_add (&counter, 1));
  g_autofree char *probe_name = NULL;

  self->pipeline = gst_pipeline_new (name);
  gst_object_ref_sink (self->pipeline);
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

  g_signal_connect (self->webrtc, "on-negotiation-needed", G_CALLBACK (on_negotiation_needed),
                    self);
  g_signal_connect (self->webrtc, "on-ice-candidate", G_CALLBACK (on_ice_candidate), self);
  g_signal_connect (self->webrtc, "notify::ice-gathering-state", G_CALLBACK (on_gathering_state),
                    self);
  g_signal_connect (self->webrtc, "notify::ice-connection-state",
                    G_CALLBACK (on_ice_connection_state), self);
  g_signal_connect (self->webrtc, "notify::connection-state", G_CALLBACK (on_connection_state),
                    self);
  g_signal_connect (self->webrtc, "pad-added", G_CALLBACK (on_pad_added), self);
  g_signal_connect (self->webrtc, "pad-removed", G_CALLBACK (on_pad_removed), self);
  {
    g_autoptr (GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (self->webrtc), "rtpbin");

    if (rtpbin)
      g_signal_connect (rtpbin, "new-jitterbuffer", G_CALLBACK (on_new_jitterbuffer), self);
  }

  /* Echo cancellation: the probe must exist before webrtcdsp starts; it is linked into the
   * playback chain when the remote audio arrives. */
  if (pc_media_source_resolve (self->audio_kind, FALSE) == PC_MEDIA_SOURCE_MIC)
    {
      probe_name = g_strdup_printf ("%s-echo-probe", name);
      self->echo_probe = gst_element_factory_make ("webrtcechoprobe", probe_name);
      if (self->echo_probe)
        gst_bin_add (GST_BIN (self->pipeline), self->echo_probe);
      else
        g_clear_pointer (&probe_name, g_free);
    }

  /* Audio: source -> convert -> volume (mute) -> opus -> pay -> webrtcbin */
  {
    g_autoptr (GError) src_error = NULL;

    asrc = pc_media_source_create_audio (self->audio_kind, probe_name, &src_error);
    if (asrc == NULL)
      {
        run_on_main (self, main_media_error, g_steal_pointer (&src_error),
                     (GDestroyNotify)g_error_free);
        asrc = pc_media_source_create_audio (PC_MEDIA_SOURCE_NONE, NULL, NULL);
      }
  }
  aconvert = make ("audioconvert", NULL, error);
  aresample = make ("audioresample", NULL, error);
  self->volume = make ("volume", "mute", error);
  aqueue = make ("queue", NULL, error);
  aenc = make ("opusenc", NULL, error);
  self->apay = make ("rtpopuspay", "apay", error);
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

  /* Video: source -> convert/scale to the send size -> tee -> vp8 -> pay -> webrtcbin
   *                                                       \-> valve -> BGRA -> local preview */
  self->video_src = create_video_source (self, self->video_kind);
  vconvert = make ("videoconvert", "vconvert", error);
  vscale = make ("videoscale", NULL, error);
  self->video_caps = make ("capsfilter", NULL, error);
  vtee = make ("tee", NULL, error);
  vqueue = make ("queue", NULL, error);
  if (self->video_codec == VIDEO_CODEC_H264)
    {
      self->vencoder = make (h264_encoder_factory (), "vencoder", error);
      self->vpay = make ("rtph264pay", "vpay", error);
    }
  else
    {
      self->vencoder = make ("vp8enc", "vencoder", error);
      self->vpay = make ("rtpvp8pay", "vpay", error);
    }
  pqueue = make ("queue", NULL, error);
  self->preview_valve = make ("valve", NULL, error);
  pconvert = make ("videoconvert", NULL, error);
  psink = make ("appsink", NULL, error);
  if (!self->video_src || !vconvert || !vscale || !self->video_caps || !vtee || !vqueue
      || !self->vencoder || !self->vpay || !pqueue || !self->preview_valve || !pconvert || !psink)
    {
      if (error && *error == NULL)
        g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                     "Cannot create the video chain");
      return FALSE;
    }

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
  if (self->video_codec == VIDEO_CODEC_H264)
    configure_h264_encoder (self);
  else
    g_object_set (self->vencoder, "deadline", (gint64)1, "cpu-used", CAMERA_CPU_USED, "threads", 1,
                  "end-usage", 1 /* cbr */, "target-bitrate", (gint)self->target_bitrate,
                  "lag-in-frames", 0, "keyframe-max-dist", CAMERA_KEYFRAME_MAX_DIST,
                  "error-resilient", 1, "buffer-size", 1000, "buffer-initial-size", 500,
                  "buffer-optimal-size", 600, "undershoot", 95, "max-quantizer",
                  CAMERA_MAX_QUANTIZER, NULL);
  if (self->sharing_screen)
    apply_video_profile (self, TRUE);
  if (self->video_codec == VIDEO_CODEC_H264)
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
  gst_app_sink_set_callbacks (GST_APP_SINK (psink), &local_callbacks, self, NULL);

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
      return FALSE;
    }
  probe_pad = gst_element_get_static_pad (self->video_caps, "src");
  gst_pad_add_probe (probe_pad, GST_PAD_PROBE_TYPE_BUFFER, on_outgoing_frame, self, NULL);
  {
    g_autoptr (GstPad) enc_src = gst_element_get_static_pad (self->vencoder, "src");
    gst_pad_add_probe (enc_src, GST_PAD_PROBE_TYPE_BUFFER, on_encoded_frame, self, NULL);
  }

  /* One transceiver per kind, audio first like browsers. */
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
  apply_codec_setup (self);
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

static gboolean
element_is_in (GstObject *obj, GstElement *bin)
{
  for (; obj; obj = GST_OBJECT_PARENT (obj))
    if (obj == GST_OBJECT (bin))
      return TRUE;
  return FALSE;
}

static gboolean switch_video_source (PcCallSession *self, PcMediaSourceKind kind, GError **error);
static void end_screen_share (PcCallSession *self);
static void cancel_pending_switch (PcCallSession *self);

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data)
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
            cancel_pending_switch (self);
            emit_media_error (self, error);
            if (changed)
              g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIDEO_SOURCE]);
          }
        else if (self->video_src && element_is_in (message->src, self->video_src))
          {
            /* A camera that vanished or that another program holds: go on without it. */
            gboolean busy = g_error_matches (gst_error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_BUSY)
                            || (debug && strstr (debug, "busy"));
            error = g_error_new (PC_MEDIA_ERROR,
                                 busy ? PC_MEDIA_ERROR_DEVICE_BUSY : PC_MEDIA_ERROR_DEVICE_MISSING,
                                 "%s", gst_error->message);
            emit_media_error (self, error);
            if (self->pending_src)
              ; /* a switch under way replaces the failed source anyway */
            else if (self->sharing_screen)
              end_screen_share (self);
            else
              {
                g_clear_error (&error);
                if (!switch_video_source (self, PC_MEDIA_SOURCE_NONE, &error))
                  emit_failed (self, error);
              }
          }
        else
          {
            error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE, "%s", gst_error->message);
            emit_failed (self, error);
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

/* ---- Switching the outgoing video ------------------------------------------------------- */

/* A new source that gives no frame by then replaces the old one anyway (a still PipeWire
 * stream may send nothing until the screen changes). */
#define SWITCH_WARMUP_TIMEOUT_MS 3000

typedef struct
{
  PcCallSession *self; /* not a reference: the probe goes with the pipeline (teardown joins) */
  guint serial;
  gint seen;             /* atomic */
  GstElement *encoder;   /* owned; NULL: no encoder to prepare */
  GstCaps *encoder_caps; /* owned; what the running encoder gets now */
} PendingProbe;

static void
pending_probe_free (PendingProbe *p)
{
  g_clear_object (&p->encoder);
  g_clear_pointer (&p->encoder_caps, gst_caps_unref);
  g_free (p);
}

static void finish_switch (PcCallSession *self, gboolean encoder_ready);

/* run_on_main() ahead of the stats and events waiting in the main context: the old source is
 * still sending until this runs, so it decides how long the picture freezes. */
static void
run_on_main_urgent (PcCallSession *self, MainFunc func, gpointer data)
{
  run_on_main_at (self, G_PRIORITY_HIGH, "[peercall] video switch", func, data, NULL);
}

static void
main_pending_frame (PcCallSession *self, gpointer data)
{
  guint serial = GPOINTER_TO_UINT (data) >> 1;

  if (self->pending_src == NULL || serial != self->pending_serial)
    return; /* replaced or cancelled meanwhile */
  g_debug ("Video switch: the new %s source gave its first frame after %.0f ms",
           pc_media_source_kind_to_string (self->pending_kind),
           (g_get_monotonic_time () - self->pending_since_us) / 1000.0);
  finish_switch (self, GPOINTER_TO_UINT (data) & 1);
}

/* Streaming thread of a source that warms up: its frames stop at its own (unlinked) pad. At
 * the first one, when the encoder would have to restart at a new size, a second encoder is
 * initialised with exactly these caps here, off the main thread and while the old source
 * still sends; then the main context swaps. */
static GstPadProbeReturn
on_pending_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  PendingProbe *p = user_data;
  gboolean ready = FALSE;

  if (!g_atomic_int_compare_and_exchange (&p->seen, 0, 1))
    return GST_PAD_PROBE_DROP;
  g_atomic_int_set (&p->self->pending_seen, (gint)(p->serial + 1));

  if (p->encoder)
    {
      g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
      g_autoptr (GstPad) sink = gst_element_get_static_pad (p->encoder, "sink");

      if (caps && (p->encoder_caps == NULL || !gst_caps_is_equal (caps, p->encoder_caps)))
        {
          g_autofree char *stream_id = g_strdup_printf ("peercall-video-switch-%u", p->serial);
          gint64 start = g_get_monotonic_time ();
          GstSegment segment;

          gst_segment_init (&segment, GST_FORMAT_TIME);
          ready = gst_pad_send_event (sink, gst_event_new_stream_start (stream_id))
                  && gst_pad_send_event (sink, gst_event_new_caps (caps))
                  && gst_pad_send_event (sink, gst_event_new_segment (&segment));
          g_autofree char *desc = gst_caps_to_string (caps);

          g_debug ("Video switch: encoder for %s ready in %.0f ms (%s)", desc,
                   (g_get_monotonic_time () - start) / 1000.0, ready ? "ok" : "failed");
        }
    }
  run_on_main_urgent (p->self, main_pending_frame,
                      GUINT_TO_POINTER ((p->serial << 1) | (ready ? 1 : 0)));
  return GST_PAD_PROBE_DROP;
}

static gboolean
on_pending_timeout (gpointer user_data)
{
  PcCallSession *self = user_data;

  /* It gave a frame and prepares the encoder: main_pending_frame follows (given one more
   * period on a starved machine). */
  if ((guint)g_atomic_int_get (&self->pending_seen) == self->pending_serial + 1
      && !self->pending_extended)
    {
      self->pending_extended = TRUE;
      return G_SOURCE_CONTINUE;
    }
  self->pending_timeout_id = 0;
  g_debug ("Video switch: no frame from the new %s source in %u ms, switching anyway",
           pc_media_source_kind_to_string (self->pending_kind), SWITCH_WARMUP_TIMEOUT_MS);
  finish_switch (self, FALSE);
  return G_SOURCE_REMOVE;
}

/* Out of the pipeline for good (main context). */
static void
drop_element (PcCallSession *self, GstElement *element)
{
  gst_element_set_locked_state (element, TRUE);
  gst_element_set_state (element, GST_STATE_NULL);
  if (self->pipeline && GST_OBJECT_PARENT (element) == GST_OBJECT (self->pipeline))
    gst_bin_remove (GST_BIN (self->pipeline), element);
}

static void
drop_in_thread (GstElement *element, gpointer user_data)
{
  GstObject *parent = gst_object_get_parent (GST_OBJECT (element));

  gst_element_set_state (element, GST_STATE_NULL);
  if (parent)
    {
      gst_bin_remove (GST_BIN (parent), element);
      gst_object_unref (parent);
    }
}

/* The same off the main context: a source still warming up may be busy in its streaming
 * thread (initialising an encoder) for a while, and stopping it waits for that. */
static void
drop_element_async (GstElement *element)
{
  gst_element_set_locked_state (element, TRUE);
  gst_element_call_async (element, drop_in_thread, NULL, NULL);
}

/* A prepared encoder and the fakesink it may still be linked to. */
static void
drop_encoder (GstElement *encoder)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (encoder, "src");
  g_autoptr (GstPad) peer = gst_pad_get_peer (src);
  g_autoptr (GstElement) park = peer ? gst_pad_get_parent_element (peer) : NULL;

  drop_element_async (encoder);
  if (park && GST_IS_BASE_SINK (park))
    drop_element_async (park);
}

static void
clear_pending (PcCallSession *self)
{
  g_clear_handle_id (&self->pending_timeout_id, g_source_remove);
  self->pending_probe_id = 0;
  g_clear_object (&self->pending_src);
  g_clear_object (&self->pending_encoder);
  self->pending_serial++;
}

/* Drops a switch that has not happened yet: the old source never stopped sending. */
static void
cancel_pending_switch (PcCallSession *self)
{
  if (self->pending_src == NULL)
    return;
  g_debug ("Video switch to %s cancelled", pc_media_source_kind_to_string (self->pending_kind));
  drop_element_async (self->pending_src);
  if (self->pending_encoder)
    drop_encoder (self->pending_encoder);
  self->video_kind = self->pending_prev_kind;
  clear_pending (self);
  /* A capture made here only for this switch ends with it. */
  if (!self->sharing_screen && self->screencast_owned)
    set_screencast_object (self, NULL, FALSE);
}

typedef struct
{
  PcCallSession *self; /* not a reference, as for PendingProbe */
  GstElement *old_encoder, *new_encoder;
} EncoderSwap;

static void
encoder_swap_free (EncoderSwap *swap)
{
  g_clear_object (&swap->old_encoder);
  g_clear_object (&swap->new_encoder);
  g_free (swap);
}

static void
main_retire_encoder (PcCallSession *self, gpointer data)
{
  drop_element (self, data);
}

/* Streaming thread of the encoder's queue, on the first event after the old source's last
 * frame has been encoded: the new source's caps. Everything in front of the encoder is idle
 * here, so the prepared encoder takes the old one's place, and the caps (the ones it was
 * initialised with) go on to it: no restart. */
static GstPadProbeReturn
on_encoder_swap_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  EncoderSwap *swap = user_data;
  g_autoptr (GstPad) old_sink = NULL;
  g_autoptr (GstPad) old_src = NULL;
  g_autoptr (GstPad) new_sink = NULL;
  g_autoptr (GstPad) new_src = NULL;
  g_autoptr (GstPad) downstream = NULL;
  g_autoptr (GstPad) park = NULL;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;

  old_sink = gst_element_get_static_pad (swap->old_encoder, "sink");
  old_src = gst_element_get_static_pad (swap->old_encoder, "src");
  new_sink = gst_element_get_static_pad (swap->new_encoder, "sink");
  new_src = gst_element_get_static_pad (swap->new_encoder, "src");
  downstream = gst_pad_get_peer (old_src);
  park = gst_pad_get_peer (new_src);
  if (downstream == NULL)
    return GST_PAD_PROBE_REMOVE;
  gst_pad_unlink (pad, old_sink);
  gst_pad_unlink (old_src, downstream);
  if (park)
    {
      gst_pad_unlink (new_src, park);
      run_on_main (swap->self, main_retire_encoder, gst_pad_get_parent_element (park),
                   gst_object_unref);
    }
  if (gst_pad_link_full (pad, new_sink, GST_PAD_LINK_CHECK_NOTHING) != GST_PAD_LINK_OK
      || gst_pad_link_full (new_src, downstream, GST_PAD_LINK_CHECK_NOTHING) != GST_PAD_LINK_OK)
    g_warning ("Cannot link the prepared video encoder");
  g_debug ("Video switch: prepared encoder swapped in");
  run_on_main (swap->self, main_retire_encoder, g_object_ref (swap->old_encoder), gst_object_unref);
  return GST_PAD_PROBE_REMOVE;
}

/* A second encoder like vencoder (same factory, same settings), in the pipeline and running
 * but unlinked until on_encoder_swap_event. Only vp8enc: an H.264 encoder would have to
 * negotiate its stream format with the payloader it is not linked to yet. */
static GstElement *
prepare_encoder (PcCallSession *self)
{
  GstElementFactory *factory = gst_element_get_factory (self->vencoder);
  g_autofree GParamSpec **pspecs = NULL;
  g_autoptr (GstPad) src = NULL;
  GstElement *encoder, *park;
  guint n;

  if (factory == NULL
      || !g_str_equal (gst_plugin_feature_get_name (GST_PLUGIN_FEATURE (factory)), "vp8enc"))
    return NULL;
  encoder = gst_element_factory_create (factory, NULL);
  if (encoder == NULL)
    return NULL;
  /* What build_pipeline and apply_video_profile set; defaults are left alone (setting some
   * deprecated ones only warns). */
  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (self->vencoder), &n);
  for (guint i = 0; i < n; i++)
    {
      GValue value = G_VALUE_INIT;

      if ((pspecs[i]->flags & G_PARAM_READWRITE) != G_PARAM_READWRITE
          || (pspecs[i]->flags & (G_PARAM_CONSTRUCT_ONLY | G_PARAM_DEPRECATED))
          || g_type_is_a (GST_TYPE_OBJECT, pspecs[i]->owner_type))
        continue;
      g_value_init (&value, pspecs[i]->value_type);
      g_object_get_property (G_OBJECT (self->vencoder), pspecs[i]->name, &value);
      if (!g_param_value_defaults (pspecs[i], &value))
        g_object_set_property (G_OBJECT (encoder), pspecs[i]->name, &value);
      g_value_unset (&value);
    }
  gst_object_ref_sink (encoder);
  if (!gst_bin_add (GST_BIN (self->pipeline), gst_object_ref (encoder)))
    {
      gst_object_unref (encoder);
      gst_object_unref (encoder);
      return NULL;
    }
  /* vp8enc picks its profile from what downstream allows, and fails with no peer: it talks to
   * a fakesink until the swap. */
  park = gst_element_factory_make_full ("fakesink", "sync", FALSE, "async", FALSE, NULL);
  if (park == NULL || !gst_bin_add (GST_BIN (self->pipeline), park)
      || !gst_element_link (encoder, park))
    {
      drop_encoder (encoder);
      gst_object_unref (encoder);
      return NULL;
    }
  src = gst_element_get_static_pad (encoder, "src");
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, on_encoded_frame, self, NULL);
  gst_element_sync_state_with_parent (park);
  gst_element_sync_state_with_parent (encoder);
  return encoder;
}

static gboolean
link_source (GstElement *src, GstElement *sink)
{
  g_autoptr (GstPad) src_pad = gst_element_get_static_pad (src, "src");
  g_autoptr (GstPad) sink_pad = gst_element_get_static_pad (sink, "sink");

  return gst_pad_link_full (src_pad, sink_pad, GST_PAD_LINK_CHECK_NOTHING) == GST_PAD_LINK_OK;
}

/* Main context: the new source is warm (or late). Swap it in: the old source stops, the new
 * one, already running, is linked in front of the encoder and its next frame is a keyframe.
 * With @encoder_ready the prepared encoder takes over from vencoder as the new size reaches
 * it. */
static void
finish_switch (PcCallSession *self, gboolean encoder_ready)
{
  GstElement *src = self->pending_src;
  GstElement *old = self->video_src;
  GstElement *encoder = self->pending_encoder;
  gboolean was_screen = self->sharing_screen;
  gboolean screen = pc_media_source_resolve (self->pending_kind, TRUE) == PC_MEDIA_SOURCE_SCREEN;
  gboolean notify = self->pending_notify;
  g_autoptr (GstPad) pad = NULL;

  if (src == NULL)
    return;
  g_clear_handle_id (&self->pending_timeout_id, g_source_remove);
  self->pending_src = NULL; /* the reference moves to video_src below */
  self->pending_encoder = NULL;

  /* Stopping the old source first means nothing is pushing while we relink. */
  if (old)
    {
      gint64 t = g_get_monotonic_time ();

      drop_element (self, old);
      g_clear_object (&self->video_src);
      g_debug ("Video switch: old source stopped in %.0f ms",
               (g_get_monotonic_time () - t) / 1000.0);
    }

  if (encoder && encoder_ready)
    {
      g_autoptr (GstPad) old_sink = gst_element_get_static_pad (self->vencoder, "sink");
      g_autoptr (GstPad) queue_src = gst_pad_get_peer (old_sink);
      EncoderSwap *swap = g_new0 (EncoderSwap, 1);

      swap->self = self;
      swap->old_encoder = g_steal_pointer (&self->vencoder);
      swap->new_encoder = g_object_ref (encoder);
      self->vencoder = g_steal_pointer (&encoder); /* settings and keyframes go to it now */
      gst_pad_add_probe (queue_src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_encoder_swap_event,
                         swap, (GDestroyNotify)encoder_swap_free);
    }
  else if (encoder)
    {
      drop_encoder (encoder);
      g_clear_object (&encoder);
    }

  if (screen && !was_screen)
    self->kind_before_screen = self->pending_prev_kind;
  if (screen != was_screen)
    apply_video_profile (self, screen);
  self->sharing_screen = screen;
  /* A session-made capture ends with the share; one from the application stays its own. */
  if (was_screen && !screen && self->screencast && self->screencast_owned)
    pc_screencast_stop (self->screencast);

  self->video_src = src;
  pad = gst_element_get_static_pad (src, "src");
  /* No caps query on the main context: it would go through the whole chain to webrtcbin, and
   * the new source gives what the chain takes (wrap_source). */
  if (!link_source (src, self->video_in))
    {
      g_autoptr (GError) error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                                              "Cannot link the new video source");
      clear_pending (self);
      emit_failed (self, error);
      return;
    }
  /* Linked first: the frames the probe still drops meanwhile are not missed. */
  if (pad && self->pending_probe_id)
    gst_pad_remove_probe (pad, self->pending_probe_id);
  clear_pending (self);
  g_debug ("Video switch to %s done", pc_media_source_kind_to_string (self->video_kind));
  /* The receiver must not wait for the next scheduled keyframe to show the new picture. */
  force_local_keyframe (self);
  if (notify)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIDEO_SOURCE]);
}

/* The capture bin, then the conversion to what the encoder gets for this kind of content,
 * in one bin: its output goes through vconvert/vscale/video_caps unchanged, so the caps it
 * shows at its first frame are the ones the encoder will see. */
static GstElement *
wrap_source (PcCallSession *self, GstElement *src, gboolean screen, GError **error)
{
  static gint counter;
  g_autofree char *name = g_strdup_printf ("video-switch%d", g_atomic_int_add (&counter, 1));
  GstElement *bin, *convert, *scale, *filter;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstPad) pad = NULL;

  convert = make ("videoconvert", NULL, error);
  scale = make ("videoscale", NULL, error);
  filter = make ("capsfilter", NULL, error);
  if (!convert || !scale || !filter)
    {
      g_clear_object (&convert);
      g_clear_object (&scale);
      g_clear_object (&filter);
      gst_element_set_state (src, GST_STATE_NULL);
      gst_object_unref (gst_object_ref_sink (src));
      return NULL;
    }
  /* as apply_video_profile sets video_caps, and vscale's letterboxing */
  if (screen)
    caps = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "I420",
                                "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  else
    caps = gst_caps_ref (self->send_caps);
  g_object_set (filter, "caps", caps, NULL);
  g_object_set (scale, "add-borders", TRUE, NULL);
  bin = gst_bin_new (name);
  gst_bin_add_many (GST_BIN (bin), src, convert, scale, filter, NULL);
  if (!gst_element_link_many (src, convert, scale, filter, NULL))
    {
      gst_element_set_state (bin, GST_STATE_NULL);
      gst_object_unref (gst_object_ref_sink (bin));
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                   "Cannot link the new video source");
      return NULL;
    }
  pad = gst_element_get_static_pad (filter, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", pad));
  return bin;
}

/* Replaces the source bin in front of the encoder: same sender, same SSRC, no renegotiation.
 * The new source starts while the old one still sends and takes over at its first frame
 * (finish_switch), with an encoder already initialised at its size when the size changes, so
 * the receiver's picture does not wait for the device or display to open and deliver, nor for
 * the encoder to restart. "video-source" is notified then. On failure the previous source
 * keeps running. */
static gboolean
switch_video_source (PcCallSession *self, PcMediaSourceKind kind, GError **error)
{
  gboolean screen = pc_media_source_resolve (kind, TRUE) == PC_MEDIA_SOURCE_SCREEN;
  PcMediaSourceKind running;
  PendingProbe *probe;
  g_autoptr (GstPad) pad = NULL;
  GstElement *src;

  /* A newer request: the source still warming up takes over at once, so the changes are
   * notified in the order they were asked for, and the new one warms up after it. */
  if (self->pending_src)
    finish_switch (self, FALSE);
  running = self->video_kind;

  src = make_video_source (self, kind, error);
  if (src == NULL)
    return FALSE;
  /* Open the device / display while the old source still sends. */
  if (gst_element_set_state (src, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE)
    {
      gst_element_set_state (src, GST_STATE_NULL);
      gst_object_unref (gst_object_ref_sink (src));
      g_set_error (error, PC_MEDIA_ERROR,
                   screen ? PC_MEDIA_ERROR_SCREENCAST : PC_MEDIA_ERROR_DEVICE_MISSING,
                   "The new video source refused to start");
      if (!self->sharing_screen && self->screencast_owned)
        set_screencast_object (self, NULL, FALSE);
      return FALSE;
    }
  src = wrap_source (self, src, screen, error);
  if (src == NULL)
    return FALSE;
  gst_object_ref_sink (src);
  pad = gst_element_get_static_pad (src, "src");
  if (!gst_bin_add (GST_BIN (self->pipeline), gst_object_ref (src)))
    {
      gst_element_set_state (src, GST_STATE_NULL);
      gst_object_unref (src);
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                   "Cannot add the new video source");
      return FALSE;
    }
  self->pending_src = src; /* takes the reference from ref_sink */
  self->pending_kind = kind;
  self->pending_prev_kind = running;
  self->pending_notify = kind != running;
  self->pending_since_us = g_get_monotonic_time ();
  self->pending_extended = FALSE;
  self->video_kind = kind;
  probe = g_new0 (PendingProbe, 1);
  probe->self = self;
  probe->serial = self->pending_serial;
  if (self->vencoder)
    {
      g_autoptr (GstPad) sink = gst_element_get_static_pad (self->vencoder, "sink");

      self->pending_encoder = prepare_encoder (self);
      probe->encoder = self->pending_encoder ? g_object_ref (self->pending_encoder) : NULL;
      probe->encoder_caps = gst_pad_get_current_caps (sink);
    }
  self->pending_probe_id
      = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                           on_pending_buffer, probe, (GDestroyNotify)pending_probe_free);
  self->pending_timeout_id = g_timeout_add (SWITCH_WARMUP_TIMEOUT_MS, on_pending_timeout, self);
  g_debug ("Video switch to %s: warming up", pc_media_source_kind_to_string (kind));
  if (!gst_element_sync_state_with_parent (src))
    {
      cancel_pending_switch (self);
      g_set_error (error, PC_MEDIA_ERROR,
                   screen ? PC_MEDIA_ERROR_SCREENCAST : PC_MEDIA_ERROR_DEVICE_MISSING,
                   "The new video source refused to start");
      return FALSE;
    }
  return TRUE;
}

/* Back from a screen share to what was sent before it (camera or test); black frames if that
 * fails too. */
static void
end_screen_share (PcCallSession *self)
{
  g_autoptr (GError) error = NULL;
  PcMediaSourceKind back = self->kind_before_screen;

  if (back == PC_MEDIA_SOURCE_SCREEN || back == PC_MEDIA_SOURCE_AUTO)
    back = pc_media_source_resolve (PC_MEDIA_SOURCE_AUTO, TRUE);
  if (!switch_video_source (self, back, &error))
    {
      emit_media_error (self, error);
      g_clear_error (&error);
      if (!switch_video_source (self, PC_MEDIA_SOURCE_NONE, &error))
        emit_failed (self, error);
    }
}

/* Main context: the user stopped sharing from the shell, the PipeWire stream or the X display
 * went away, or the capture failed. */
static void
on_screencast_closed (PcScreencast *screencast, PcCallSession *self)
{
  g_autoptr (GError) error = NULL;

  if (self->closed || !self->started || screencast != self->screencast)
    return;
  error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST, "Screen sharing ended");
  if (self->pending_src
      && pc_media_source_resolve (self->pending_kind, TRUE) == PC_MEDIA_SOURCE_SCREEN)
    {
      /* It ended before the share reached the peer: keep sending what was sent. */
      gboolean changed = self->pending_notify;

      cancel_pending_switch (self);
      if (!self->sharing_screen)
        {
          emit_media_error (self, error);
          if (changed)
            g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIDEO_SOURCE]);
          return;
        }
    }
  if (!self->sharing_screen)
    return;
  emit_media_error (self, error);
  end_screen_share (self);
}

static void
ensure_playing (PcCallSession *self)
{
  if (self->playing)
    return;
  self->playing = TRUE;
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      GError *error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                                   "The media pipeline refused to start");
      run_on_main (self, main_failed, error, (GDestroyNotify)g_error_free);
    }
}

static void
attach_bus (PcCallSession *self)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (self->pipeline);

  self->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (self->bus_source, G_SOURCE_FUNC (on_bus_message), self, NULL);
  g_source_attach (self->bus_source, self->context);
}

/* Stops and drops the pipeline; work it already queued for the main context is discarded. */
static void
teardown_pipeline (PcCallSession *self)
{
  stop_stats_timer (self);
  clear_pending (self); /* a source still warming up goes with the pipeline */
  if (self->bus_source)
    {
      g_source_destroy (self->bus_source);
      g_clear_pointer (&self->bus_source, g_source_unref);
    }
  if (self->pipeline)
    {
      wait_for_stats_requests (self);
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
    self->remote_videos = g_ptr_array_new_with_free_func ((GDestroyNotify)remote_video_free);
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

static gboolean
restart_pipeline (PcCallSession *self, GError **error)
{
  teardown_pipeline (self);
  self->making_offer = FALSE;
  self->remote_description_set = FALSE; /* the peer's queued candidates stay queued */
  self->end_of_candidates_sent = FALSE;
  self->have_prev = FALSE;
  g_clear_pointer (&self->ice_state, g_free);
  self->ice_state = g_strdup ("new");
  if (!build_pipeline (self, error))
    return FALSE;
  attach_bus (self);
  if (self->preview_valve && self->local_sink.func)
    g_object_set (self->preview_valve, "drop", FALSE, NULL);
  return TRUE;
}

static void
main_start_offer (PcCallSession *self, gpointer data)
{
  negotiate (self);
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
  g_atomic_int_set (&session_started, 1);
  self->offerer = offerer;
  self->video_codec = self->preferred_codec == VIDEO_CODEC_H264 && h264_available ()
                          ? VIDEO_CODEC_H264
                          : VIDEO_CODEC_VP8;
  self->video_pt = self->video_codec == VIDEO_CODEC_H264 ? DEFAULT_H264_PT : DEFAULT_VIDEO_PT;
  if (!build_pipeline (self, error))
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
  ensure_playing (self);
  if (offerer)
    run_on_main (self, main_start_offer, NULL, NULL);
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
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MUTED]);
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
  force_local_keyframe (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAMERA_ENABLED]);
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
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIDEO_SOURCE]);
        }
      return TRUE;
    }
  if (kind == self->video_kind)
    return TRUE;
  /* "video-source" is notified once the new source's frames go to the encoder. */
  if (!switch_video_source (self, kind, &local_error))
    {
      /* Reported once: to the caller when it asked, else as media-error. */
      if (error)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        emit_media_error (self, local_error);
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
  set_screencast_object (self, screencast, FALSE);
  if (!self->started || self->closed || !self->sharing_screen)
    return;
  /* Sharing now: move to the new capture at once, or end the share when unset. */
  if (screencast)
    {
      g_autoptr (GError) error = NULL;

      if (!switch_video_source (self, PC_MEDIA_SOURCE_SCREEN, &error))
        {
          emit_media_error (self, error);
          end_screen_share (self);
        }
    }
  else
    end_screen_share (self);
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
    frame_sink_clear (&old);
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
  frame_sink_clear (&old);
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
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION_STATE]);
    }
}

/* ---- DTLS certificate warm-up --------------------------------------------------------- */

static gpointer
prepare_thread (gpointer data)
{
  /* dtlsdec generates the process-wide default certificate (RSA keygen, 200-280 ms here) in
   * its instance init and keeps it for the life of the process; webrtcbin's DTLS transports
   * then reuse it. */
  GstElement *dec = gst_element_factory_make ("dtlsdec", NULL);

  if (dec)
    gst_object_unref (dec);
  return NULL;
}

/* One frame through the call's video encoder, decoder and converter at the size a call sends,
 * and one through Opus. A call's first encoder costs 60-140 ms here, mostly page faults on
 * freshly mapped memory (libvpx callocs ~10 MB at 640x480); done once beforehand, with the
 * allocator keeping freed memory (see main.c), the call's own encoder starts in a few ms. It also
 * compiles the converters' ORC programs and maps the codec libraries. */
static void
warm_up_codecs (void)
{
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *desc = NULL;
  guint width, height;

  /* A call placed at start-up initialises its own codecs: warming up beside it only takes CPU
   * from it. */
  if (g_atomic_int_get (&session_started))
    return;
  pc_media_source_get_test_video_size (&width, &height);
  desc = g_strdup_printf (
      "videotestsrc num-buffers=2 pattern=smpte ! video/x-raw,format=I420,width=%u,height=%u,"
      "framerate=30/1 ! vp8enc deadline=1 cpu-used=%d threads=1 end-usage=cbr lag-in-frames=0 "
      "error-resilient=default ! vp8dec threads=1 ! videoconvert ! video/x-raw,format=BGRA ! "
      "fakesink sync=false "
      "audiotestsrc num-buffers=2 ! audio/x-raw,rate=48000,channels=1 ! opusenc ! opusdec ! "
      "audioconvert ! audioresample ! fakesink sync=false",
      width, height, CAMERA_CPU_USED);
  pipeline = gst_parse_launch (desc, &error);
  if (pipeline == NULL)
    {
      g_debug ("No codec warm-up: %s", error->message);
      return;
    }
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  message = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (message == NULL || GST_MESSAGE_TYPE (message) != GST_MESSAGE_EOS)
    g_debug ("Codec warm-up did not finish");
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

static gpointer
preload_thread (gpointer data)
{
  /* Plugins a call needs, loaded before the first call instead of on its critical path: the
   * transport plugins (nice, srtp) are loaded inside set-local-description otherwise, ~75 ms
   * of the first offer here. */
  static const char *const plugins[] = {
    "webrtc",       "nice",          "srtp",         "rtpmanager",   "rtp",
    "vpx",          "opus",          "videotestsrc", "audiotestsrc", "videoconvertscale",
    "audioconvert", "audioresample", "volume",       "coreelements", "app",
  };

  for (guint i = 0; i < G_N_ELEMENTS (plugins); i++)
    {
      g_autoptr (GstPlugin) plugin = gst_registry_find_plugin (gst_registry_get (), plugins[i]);
      g_autoptr (GstPlugin) loaded = plugin ? gst_plugin_load (plugin) : NULL;
    }
  /* Probing the sound server takes tens of ms (more when there is none); done on the first
   * remote audio pad, it held webrtcbin's receive thread, and the video behind it. */
  audio_sink_factory ();
  warm_up_codecs ();
  return NULL;
}

static GThread *prepare_threads[2];

void
pc_call_session_prepare (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      prepare_threads[0] = g_thread_new ("pc-dtls-prepare", prepare_thread, NULL);
      prepare_threads[1] = g_thread_new ("pc-preload", preload_thread, NULL);
      g_once_init_leave (&done, 1);
    }
}

void
pc_call_session_wait_prepared (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (prepare_threads); i++)
    {
      GThread *thread = g_atomic_pointer_exchange (&prepare_threads[i], NULL);

      if (thread)
        g_thread_join (thread);
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
      g_value_set_string (value, self->preferred_codec == VIDEO_CODEC_H264 ? "h264" : "vp8");
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
                ? VIDEO_CODEC_H264
                : VIDEO_CODEC_VP8;
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
  set_screencast_object (self, NULL, FALSE);
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
  pc_call_stats_free (self->last_stats);
  raw_stats_clear (&self->prev);
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

  properties[PROP_ICE_CONFIG]
      = g_param_spec_object ("ice-config", NULL, NULL, PC_TYPE_ICE_CONFIG, construct);
  properties[PROP_POLITE] = g_param_spec_boolean ("polite", NULL, NULL, FALSE, construct);
  properties[PROP_VIDEO_SOURCE] = g_param_spec_enum (
      "video-source", NULL, NULL, PC_TYPE_MEDIA_SOURCE_KIND, PC_MEDIA_SOURCE_TEST,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AUDIO_SOURCE] = g_param_spec_enum (
      "audio-source", NULL, NULL, PC_TYPE_MEDIA_SOURCE_KIND, PC_MEDIA_SOURCE_TEST, construct);
  properties[PROP_LATENCY_PROBE]
      = g_param_spec_boolean ("latency-probe", NULL, NULL, FALSE, construct);
  properties[PROP_JITTERBUFFER_LATENCY] = g_param_spec_uint ("jitterbuffer-latency", NULL, NULL, 0,
                                                             10000, default_latency, construct);
  properties[PROP_VIDEO_WIDTH]
      = g_param_spec_uint ("video-width", NULL, NULL, 0, 3840, 0, construct);
  properties[PROP_VIDEO_HEIGHT]
      = g_param_spec_uint ("video-height", NULL, NULL, 0, 2160, 0, construct);
  properties[PROP_VIDEO_FPS] = g_param_spec_uint ("video-fps", NULL, NULL, 0, 120, 0, construct);
  /* "vp8" or "h264": the video codec this side offers (PEERCALL_VIDEO_CODEC sets the
   * default). An answerer takes the offerer's first codec it can use. */
  properties[PROP_VIDEO_CODEC] = g_param_spec_string (
      "video-codec", NULL, NULL,
      g_getenv ("PEERCALL_VIDEO_CODEC") ? g_getenv ("PEERCALL_VIDEO_CODEC") : "vp8", construct);
  properties[PROP_CONNECTION_STATE] = g_param_spec_int (
      "connection-state", NULL, NULL, PC_CONNECTION_STATE_NEW, PC_CONNECTION_STATE_CLOSED,
      PC_CONNECTION_STATE_NEW, G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ICE_CONNECTION_STATE]
      = g_param_spec_string ("ice-connection-state", NULL, NULL, "new",
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MUTED]
      = g_param_spec_boolean ("muted", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAMERA_ENABLED]
      = g_param_spec_boolean ("camera-enabled", NULL, NULL, TRUE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_LOCAL_DESCRIPTION]
      = g_signal_new ("local-description", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_LOCAL_CANDIDATE]
      = g_signal_new ("local-candidate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT);
  signals[SIGNAL_ICE_STATE]
      = g_signal_new ("ice-state", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_FIRST_FRAME]
      = g_signal_new ("first-frame", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_UINT);
  signals[SIGNAL_STATS]
      = g_signal_new ("stats", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 1, PC_TYPE_CALL_STATS | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_LATENCY] = g_signal_new ("latency", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_DOUBLE);
  signals[SIGNAL_MEDIA_ERROR]
      = g_signal_new ("media-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_REMOTE_TRACK]
      = g_signal_new ("remote-track", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_UINT);
  signals[SIGNAL_REMOTE_TRACK_ENDED]
      = g_signal_new ("remote-track-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
pc_call_session_init (PcCallSession *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
  self->pending_candidates = g_ptr_array_new_with_free_func ((GDestroyNotify)remote_candidate_free);
  self->remote_videos = g_ptr_array_new_with_free_func ((GDestroyNotify)remote_video_free);
  self->jitterbuffers = g_ptr_array_new_with_free_func ((GDestroyNotify)weak_ref_free);
  self->stats_requests = g_ptr_array_new_with_free_func ((GDestroyNotify)gst_promise_unref);
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
