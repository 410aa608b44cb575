/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-call-session-private.h: PcCallSession's state, shared by the files that implement it
 * (pc-call-session.c: the facade, GObject and public controls; -negotiation.c: descriptions,
 * ICE and connection state; -stats.c: get-stats and the bitrate controller; -remote.c: receive
 * chains; -pipeline.c: the send pipeline and encoder; -switch.c: switching the outgoing
 * video). Not installed, not included outside media/pc-call-session*.c. */
#pragma once

#include <gst/app/app.h>
#include <gst/rtp/rtp.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "pc-call-session.h"
#include "pc-codec.h"
#include "pc-dtls-verifier.h"
#include "pc-latency-stamp.h"
#include "pc-screencast.h"
#include "pc-sdp.h"

G_BEGIN_DECLS

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

#define DEFAULT_H264_PT 102

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

extern GParamSpec *_pc_call_session_properties[N_PROPS];

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
  SIGNAL_DTLS_VERIFIED,
  N_SIGNALS
};

extern guint _pc_call_session_signals[N_SIGNALS];

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
  PcVideoCodec preferred_codec; /* what we offer */
  PcVideoCodec video_codec;     /* what the current pipeline sends */
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

  /* DTLS: the peer's certificate against the remote description (pc-call-session-dtls.c) */
  PcDtlsVerifier *dtls_verifier;
  gint dtls_failed;           /* atomic: a mismatch was found, the call fails */
  gint dtls_reported;         /* atomic: "dtls-verified" was posted */
  gint dtls_reported_failure; /* atomic: the mismatch was posted */
  GError *dtls_error;         /* under lock: the mismatch, until posted */
};

/* Work handed from a streaming thread to the session's main context. */
typedef void (*MainFunc) (PcCallSession *self, gpointer data);

/* pc-call-session.c */
void _pc_call_session_emit_failed (PcCallSession *self, GError *error);
void _pc_call_session_emit_media_error (PcCallSession *self, GError *error);
void _pc_call_session_ensure_playing (PcCallSession *self);
void _pc_call_session_frame_sink_clear (FrameSink *sink);
GstWebRTCSignalingState _pc_call_session_get_signaling_state (PcCallSession *self);
void _pc_call_session_main_failed (PcCallSession *self, gpointer data);
void _pc_call_session_main_media_error (PcCallSession *self, gpointer data);
const GstStructure *_pc_call_session_promise_reply (GstPromise *promise, GError **error);
void _pc_call_session_raw_stats_clear (RawStats *raw);
void _pc_call_session_remote_video_free (RemoteVideo *rv);
gboolean _pc_call_session_restart_pipeline (PcCallSession *self, GError **error);
void _pc_call_session_run_on_main (PcCallSession *self,
                                   MainFunc func,
                                   gpointer data,
                                   GDestroyNotify destroy);
void _pc_call_session_run_on_main_at (PcCallSession *self,
                                      gint priority,
                                      const char *name,
                                      MainFunc func,
                                      gpointer data,
                                      GDestroyNotify destroy);

/* pc-call-session-dtls.c */
GstPadProbeReturn
_pc_call_session_dtls_gate (GstPad *pad, GstPadProbeInfo *info, gpointer user_data);
gboolean _pc_call_session_dtls_check_transports (PcCallSession *self);
void _pc_call_session_on_dtls_state (GObject *transport, GParamSpec *pspec, PcCallSession *self);
void _pc_call_session_dtls_watch_transports (PcCallSession *self);
void _pc_call_session_on_dtls_peer_pem (GObject *dtlsdec, GParamSpec *pspec, PcCallSession *self);
gboolean
_pc_call_session_dtls_set_remote_description (PcCallSession *self, const char *sdp, GError **error);

/* pc-call-session-negotiation.c */
gboolean _pc_call_session_ice_state_is_connected (const char *state);
void _pc_call_session_negotiate (PcCallSession *self);
void _pc_call_session_on_connection_state (GObject *webrtc, GParamSpec *pspec, PcCallSession *self);
void _pc_call_session_on_gathering_state (GObject *webrtc, GParamSpec *pspec, PcCallSession *self);
void _pc_call_session_on_ice_candidate (GstElement *webrtc,
                                        guint mline,
                                        const char *candidate,
                                        PcCallSession *self);
void
_pc_call_session_on_ice_connection_state (GObject *webrtc, GParamSpec *pspec, PcCallSession *self);
void _pc_call_session_on_negotiation_needed (GstElement *webrtc, PcCallSession *self);
void _pc_call_session_stop_stats_timer (PcCallSession *self);

/* pc-call-session-stats.c */
gboolean _pc_call_session_on_stats_tick (gpointer user_data);
void _pc_call_session_request_stats (PcCallSession *self);
void _pc_call_session_wait_for_stats_requests (PcCallSession *self);

/* pc-call-session-remote.c */
void _pc_call_session_adapt_jitterbuffer_latency (PcCallSession *self);
void _pc_call_session_end_stopped_remote_tracks (PcCallSession *self);
GstFlowReturn _pc_call_session_on_local_video_sample (GstAppSink *appsink, gpointer user_data);
void _pc_call_session_on_new_jitterbuffer (
    GstElement *rtpbin, GstElement *jitterbuffer, guint session, guint ssrc, PcCallSession *self);
void _pc_call_session_on_pad_added (GstElement *webrtc, GstPad *pad, PcCallSession *self);
void _pc_call_session_on_pad_removed (GstElement *webrtc, GstPad *pad, PcCallSession *self);
void _pc_call_session_weak_ref_free (GWeakRef *ref);

/* pc-call-session-pipeline.c */
void _pc_call_session_apply_codec_setup (PcCallSession *self);
void _pc_call_session_apply_video_profile (PcCallSession *self, gboolean screen);
gboolean _pc_call_session_build_pipeline (PcCallSession *self, GError **error);
void _pc_call_session_force_local_keyframe (PcCallSession *self);
GstElement *_pc_call_session_make (const char *factory, const char *name, GError **error);
GstElement *
_pc_call_session_make_video_source (PcCallSession *self, PcMediaSourceKind kind, GError **error);
gboolean _pc_call_session_on_bus_message (GstBus *bus, GstMessage *message, gpointer user_data);
GstPadProbeReturn
_pc_call_session_on_depayloaded_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data);
GstPadProbeReturn
_pc_call_session_on_encoded_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data);
void _pc_call_session_set_encoder_bitrate (PcCallSession *self, guint bits_per_second);
void _pc_call_session_set_screencast_object (PcCallSession *self,
                                             PcScreencast *screencast,
                                             gboolean owned);

/* pc-call-session-switch.c */
void _pc_call_session_cancel_pending_switch (PcCallSession *self);
void _pc_call_session_clear_pending (PcCallSession *self);
void _pc_call_session_end_screen_share (PcCallSession *self);
void _pc_call_session_on_screencast_closed (PcScreencast *screencast, PcCallSession *self);
gboolean
_pc_call_session_switch_video_source (PcCallSession *self, PcMediaSourceKind kind, GError **error);

G_END_DECLS
