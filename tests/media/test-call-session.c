/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Two PcCallSessions in one process, wired to each other directly (no signaling server), with
 * test sources, real webrtcbin/libnice on 127.0.0.1 in a private network namespace. */
#include "config.h"

#include <string.h>

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <X11/Xlib.h>

#include "pc-call-session.h"
#include "pc-ice-config.h"

#if defined(__SANITIZE_ADDRESS__)
/* test_env keeps ASan's fast unwinder (6x cheaper); GStreamer processes opt into the full one:
 * GLib has no frame pointers, so with the fast unwinder the stack of GLib's first quark block
 * (dropped by design once GStreamer registers more quarks, suppressed as _dl_init in
 * tests/lsan.supp) stops at g_malloc and the suppression cannot match. ASAN_OPTIONS from the
 * environment still take precedence. */
const char *__asan_default_options (void);
const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}
#endif

/* Longest freeze a source switch may cause at the receiver: 1 s. Under ASan (full unwinder
 * for mallocs, sanitised libvpx calls from our code) the first screen keyframe alone takes
 * several hundred ms more: measured 0.64 s release, 0.71-1.31 s ASan on 2 shared cores. */
#if defined(__SANITIZE_ADDRESS__)
/* both sessions in one ASan process on 2 shared cores: 2.0-2.5 s measured at load ~8 */
#define MAX_SWITCH_GAP_US (3 * G_USEC_PER_SEC)
#else
#define MAX_SWITCH_GAP_US G_USEC_PER_SEC
#endif

#define CALL_TIMEOUT_S 45 /* generous: ASan + 2 shared cores can starve a call for seconds */

typedef struct Fixture Fixture;

static gboolean with_screen; /* --screen: share the X display (run under xvfb-run) */

/* Every remote frame the UI would get, seen from the streaming thread. */
typedef struct
{
  GMutex lock;
  guint64 frames;
  guint width, height;
  gboolean black; /* the last frame is black in its centre (the "none" source) */
  gint64 last_us;
  gint64 max_gap_us; /* since frame_log_reset */
} FrameLog;

typedef struct
{
  Fixture *fx;
  int index;
  PcCallSession *session;
  guint local_descriptions;
  guint offers_sent;
  gboolean first_video, first_audio;
  guint width, height;
  gboolean ice_connected;
  char *local_type, *remote_type;
  guint stats_count;
  PcCallStats *stats;
  guint latency_count;
  double latency_sum;
  gboolean failed;
  gint64 first_video_us;
  FrameLog log;
} Peer;

struct Fixture
{
  Peer peer[2];
  gboolean mangle_vp8_pt;
  char *answer_sdp;
      /* the callee's first answer */ /* rewrite the first offer's VP8 payload type to 120 */
  gboolean hold_descriptions;         /* collision test: deliver both offers at once */
  GPtrArray *held;                    /* of HeldDescription* */
  gint64 offer_us;
};

typedef struct
{
  Peer *to;
  char *type;
  char *sdp;
} HeldDescription;

static Peer *
other (Peer *p)
{
  return &p->fx->peer[1 - p->index];
}

static char *
mangle_pt (const char *sdp, int from, int to)
{
  g_autofree char *a = g_strdup_printf (" %d\r\n", from);
  g_autofree char *a2 = g_strdup_printf (" %d\r\n", to);
  g_autofree char *b = g_strdup_printf (":%d ", from);
  g_autofree char *b2 = g_strdup_printf (":%d ", to);
  g_autofree char *c = g_strdup_printf (" %d ", from);
  g_autofree char *c2 = g_strdup_printf (" %d ", to);
  g_auto (GStrv) lines = g_strsplit (sdp, "\r\n", -1);
  GString *out = g_string_new (NULL);

  /* m=video ... 96 [97] / a=rtpmap:96 / a=rtcp-fb:96 / a=fmtp:97 apt=96 */
  for (guint i = 0; lines[i]; i++)
    {
      g_autofree char *line = g_strconcat (lines[i], "\r\n", NULL);
      g_autofree char *apt = g_strdup_printf ("apt=%d\r\n", from);
      g_autofree char *apt2 = g_strdup_printf ("apt=%d\r\n", to);
      GString *l = g_string_new (line);

      if (g_str_has_prefix (line, "m=video"))
        {
          g_string_replace (l, a, a2, 1);
          g_string_replace (l, c, c2, 1);
        }
      else if (g_str_has_prefix (line, "a="))
        {
          g_string_replace (l, b, b2, 1);
          g_string_replace (l, apt, apt2, 1);
        }
      if (lines[i + 1] != NULL || *lines[i])
        g_string_append (out, l->str);
      g_string_free (l, TRUE);
    }
  return g_string_free (out, FALSE);
}

static void
deliver_description (Peer *to, const char *type, const char *sdp)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = pc_call_session_set_remote_description (to->session, type, sdp, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
on_local_description (PcCallSession *session, const char *type, const char *sdp, Peer *p)
{
  Fixture *fx = p->fx;
  g_autofree char *mangled = NULL;

  p->local_descriptions++;
  if (g_str_equal (type, "offer"))
    {
      p->offers_sent++;
      if (fx->offer_us == 0)
        fx->offer_us = g_get_monotonic_time ();
    }
  g_test_message ("peer %d: local %s (%zu bytes)", p->index, type, strlen (sdp));
  if (g_getenv ("PEERCALL_TEST_PRINT_SDP"))
    g_printerr ("%s", sdp);

  if (g_str_equal (type, "answer") && fx->answer_sdp == NULL)
    fx->answer_sdp = g_strdup (sdp);
  if (fx->mangle_vp8_pt && g_str_equal (type, "offer"))
    {
      mangled = mangle_pt (sdp, 96, 120);
      g_assert_nonnull (strstr (mangled, "a=rtpmap:120 VP8/90000"));
      sdp = mangled;
    }
  if (fx->hold_descriptions)
    {
      HeldDescription *h = g_new0 (HeldDescription, 1);
      h->to = other (p);
      h->type = g_strdup (type);
      h->sdp = g_strdup (sdp);
      g_ptr_array_add (fx->held, h);
      return;
    }
  deliver_description (other (p), type, sdp);
}

static void
on_local_candidate (
    PcCallSession *session, const char *candidate, const char *mid, gint mline, Peer *p)
{
  pc_call_session_add_remote_candidate (other (p)->session, candidate, mid, mline);
}

static void
on_ice_state (PcCallSession *session,
              const char *state,
              const char *local_type,
              const char *remote_type,
              Peer *p)
{
  g_test_message ("peer %d: ice %s %s/%s", p->index, state, local_type ? local_type : "-",
                  remote_type ? remote_type : "-");
  if (local_type && remote_type)
    {
      p->ice_connected = TRUE;
      g_free (p->local_type);
      g_free (p->remote_type);
      p->local_type = g_strdup (local_type);
      p->remote_type = g_strdup (remote_type);
    }
}

static void
on_first_frame (PcCallSession *session, const char *kind, guint width, guint height, Peer *p)
{
  g_test_message ("peer %d: first %s frame %ux%u", p->index, kind, width, height);
  if (g_str_equal (kind, "video"))
    {
      p->first_video = TRUE;
      p->width = width;
      p->height = height;
      p->first_video_us = g_get_monotonic_time ();
    }
  else
    p->first_audio = TRUE;
}

static void
on_stats (PcCallSession *session, PcCallStats *stats, Peer *p)
{
  p->stats_count++;
  pc_call_stats_free (p->stats);
  p->stats = pc_call_stats_copy (stats);
  g_test_message (
      "peer %d: stats rtt %.1f ms, rx %.1f fps %.0f kbps, tx %.0f kbps, lost %" G_GINT64_FORMAT
      ", decoded %" G_GUINT64_FORMAT,
      p->index, stats->rtt_ms, stats->video_rx_fps, stats->video_rx_kbps, stats->video_tx_kbps,
      stats->packets_lost, stats->frames_decoded);
}

static void
on_latency (PcCallSession *session, double ms, Peer *p)
{
  p->latency_count++;
  p->latency_sum += ms;
}

static void
on_failed (PcCallSession *session, GError *error, Peer *p)
{
  g_test_message ("peer %d failed: %s", p->index, error->message);
  p->failed = TRUE;
}

static void
on_media_error (PcCallSession *session, GError *error, Peer *p)
{
  g_test_message ("peer %d media error: %s", p->index, error->message);
}

static void
on_remote_frame (GstSample *sample, gpointer user_data)
{
  FrameLog *log = user_data;
  GstVideoInfo info;
  GstVideoFrame frame;
  gint64 now = g_get_monotonic_time ();
  gboolean black = FALSE;

  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample)))
    return;
  if (gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample), GST_MAP_READ))
    {
      /* BGRA: the centre of the test pattern is never black */
      const guint8 *p
          = (const guint8 *)GST_VIDEO_FRAME_PLANE_DATA (&frame, 0)
            + GST_VIDEO_FRAME_HEIGHT (&frame) / 2 * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0)
            + GST_VIDEO_FRAME_WIDTH (&frame) / 2 * 4;
      black = p[0] < 40 && p[1] < 40 && p[2] < 40;
      gst_video_frame_unmap (&frame);
    }
  g_mutex_lock (&log->lock);
  log->black = black;
  log->frames++;
  log->width = GST_VIDEO_INFO_WIDTH (&info);
  log->height = GST_VIDEO_INFO_HEIGHT (&info);
  if (log->last_us > 0)
    log->max_gap_us = MAX (log->max_gap_us, now - log->last_us);
  log->last_us = now;
  g_mutex_unlock (&log->lock);
}

static void
frame_log_reset_gap (FrameLog *log)
{
  g_mutex_lock (&log->lock);
  log->max_gap_us = 0;
  log->last_us = g_get_monotonic_time ();
  g_mutex_unlock (&log->lock);
}

static void
frame_log_get (FrameLog *log, guint64 *frames, guint *width, guint *height, gint64 *max_gap_us)
{
  g_mutex_lock (&log->lock);
  if (frames)
    *frames = log->frames;
  if (width)
    *width = log->width;
  if (height)
    *height = log->height;
  if (max_gap_us)
    *max_gap_us = log->max_gap_us;
  g_mutex_unlock (&log->lock);
}

/* what the caller (peer 0) offers */
static const char *caller_video_codec = "vp8";

static void
fixture_init (Fixture *fx, gboolean latency_probe, guint width, guint height)
{
  g_autoptr (PcIceConfig) ice = pc_ice_config_new ();

  pc_ice_config_add_local_address (ice, "127.0.0.1");
  memset (fx, 0, sizeof *fx);
  fx->held = g_ptr_array_new ();
  for (int i = 0; i < 2; i++)
    {
      Peer *p = &fx->peer[i];

      p->fx = fx;
      p->index = i;
      g_mutex_init (&p->log.lock);
      /* peer 0 is the caller (impolite), peer 1 the callee (polite) */
      p->session
          = g_object_new (PC_TYPE_CALL_SESSION, "ice-config", ice, "polite", i == 1, "video-codec",
                          i == 0 ? caller_video_codec : "vp8", "video-source", PC_MEDIA_SOURCE_TEST,
                          "audio-source", PC_MEDIA_SOURCE_TEST, "latency-probe", latency_probe,
                          "video-width", width, "video-height", height, NULL);
      g_signal_connect (p->session, "local-description", G_CALLBACK (on_local_description), p);
      g_signal_connect (p->session, "local-candidate", G_CALLBACK (on_local_candidate), p);
      g_signal_connect (p->session, "ice-state", G_CALLBACK (on_ice_state), p);
      g_signal_connect (p->session, "first-frame", G_CALLBACK (on_first_frame), p);
      g_signal_connect (p->session, "stats", G_CALLBACK (on_stats), p);
      g_signal_connect (p->session, "latency", G_CALLBACK (on_latency), p);
      g_signal_connect (p->session, "failed", G_CALLBACK (on_failed), p);
      g_signal_connect (p->session, "media-error", G_CALLBACK (on_media_error), p);
      pc_call_session_set_remote_video_func (p->session, on_remote_frame, &p->log, NULL);
    }
}

static void
fixture_clear (Fixture *fx)
{
  for (int i = 0; i < 2; i++)
    {
      Peer *p = &fx->peer[i];

      pc_call_session_close (p->session);
      g_signal_handlers_disconnect_by_data (p->session, p);
    }
  /* Let deferred work holding session references run out. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  for (int i = 0; i < 2; i++)
    {
      Peer *p = &fx->peer[i];

      g_clear_object (&p->session);
      g_mutex_clear (&p->log.lock);
      g_free (p->local_type);
      g_free (p->remote_type);
      pc_call_stats_free (p->stats);
    }
  for (guint i = 0; i < fx->held->len; i++)
    {
      HeldDescription *h = g_ptr_array_index (fx->held, i);
      g_free (h->type);
      g_free (h->sdp);
      g_free (h);
    }
  g_ptr_array_unref (fx->held);
  g_free (fx->answer_sdp);
}

typedef gboolean (*Condition) (Fixture *fx);

static gboolean
wake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main context until @cond holds (checked after every event, and at least every
 * 50 ms for counters that streaming threads bump), a peer fails, or @timeout_s passes. */
static gboolean
run_until (Fixture *fx, Condition cond, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  guint waker = g_timeout_add (50, wake, NULL);
  gboolean ok = TRUE;

  while (!cond (fx))
    {
      if (fx->peer[0].failed || fx->peer[1].failed || g_get_monotonic_time () > deadline)
        {
          ok = FALSE;
          break;
        }
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (waker);
  return ok;
}

static gboolean
both_first_video (Fixture *fx)
{
  return fx->peer[0].first_video && fx->peer[1].first_video;
}

static gboolean
both_connected_with_media (Fixture *fx)
{
  for (int i = 0; i < 2; i++)
    {
      Peer *p = &fx->peer[i];
      if (!p->first_video || !p->first_audio || !p->ice_connected
          || pc_call_session_get_connection_state (p->session) != PC_CONNECTION_STATE_CONNECTED)
        return FALSE;
    }
  return TRUE;
}

static guint64 target_frames;

static gboolean
enough_frames_and_stats (Fixture *fx)
{
  for (int i = 0; i < 2; i++)
    {
      Peer *p = &fx->peer[i];
      if (pc_call_session_get_frames_decoded (p->session) < target_frames || p->stats == NULL
          || p->stats->frames_decoded == 0 || p->stats->video_rx_kbps <= 0
          || p->stats->video_tx_kbps <= 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean want_black_both;
static guint64 want_frames_both[2];

static gboolean
both_decode_wanted (Fixture *fx)
{
  for (int i = 0; i < 2; i++)
    {
      FrameLog *log = &fx->peer[i].log;
      gboolean ok;

      g_mutex_lock (&log->lock);
      if (log->black != want_black_both)
        want_frames_both[i] = log->frames + 1; /* count from the first wanted frame */
      ok = log->black == want_black_both && log->frames >= want_frames_both[i];
      g_mutex_unlock (&log->lock);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

static guint latency_floor[2];

static gboolean
both_latency_grows (Fixture *fx)
{
  return fx->peer[0].latency_count > latency_floor[0]
         && fx->peer[1].latency_count > latency_floor[1];
}

/* Waits until both peers decoded @n consecutive frames that are black (or not). */
static void
wait_decoded (Fixture *fx, gboolean black, guint n)
{
  want_black_both = black;
  for (int i = 0; i < 2; i++)
    {
      g_mutex_lock (&fx->peer[i].log.lock);
      want_frames_both[i] = fx->peer[i].log.frames + n;
      g_mutex_unlock (&fx->peer[i].log.lock);
    }
  g_assert_true (run_until (fx, both_decode_wanted, CALL_TIMEOUT_S));
}

static void
start_call (Fixture *fx, gboolean both_offer)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (pc_call_session_start (fx->peer[1].session, both_offer, &error));
  g_assert_no_error (error);
  g_assert_true (pc_call_session_start (fx->peer[0].session, TRUE, &error));
  g_assert_no_error (error);
}

static void
test_call_basic (void)
{
  Fixture fx;
  guint descriptions[2];

  fixture_init (&fx, TRUE, 0, 0); /* defaults: 640x480 */
  start_call (&fx, FALSE);

  g_assert_true (run_until (&fx, both_connected_with_media, CALL_TIMEOUT_S));
  g_test_message ("offer -> first remote video frame: %.0f ms (caller), %.0f ms (callee)",
                  (fx.peer[0].first_video_us - fx.offer_us) / 1000.0,
                  (fx.peer[1].first_video_us - fx.offer_us) / 1000.0);
  for (int i = 0; i < 2; i++)
    {
      g_assert_cmpstr (fx.peer[i].local_type, ==, "host");
      g_assert_cmpstr (fx.peer[i].remote_type, ==, "host");
      g_assert_cmpuint (fx.peer[i].width, ==, 640);
      g_assert_cmpuint (fx.peer[i].height, ==, 480);
    }

  target_frames = 90;
  g_assert_true (run_until (&fx, enough_frames_and_stats, CALL_TIMEOUT_S));
  for (int i = 0; i < 2; i++)
    {
      Peer *p = &fx.peer[i];
      g_assert_cmpuint (p->stats_count, >, 0);
      g_assert_cmpuint (p->stats->frames_decoded, >, 0);
      g_assert_cmpfloat (p->stats->video_rx_kbps, >, 0);
      g_assert_cmpfloat (p->stats->video_tx_kbps, >, 0);
      g_assert_cmpfloat (p->stats->audio_rx_kbps, >, 0);
      g_assert_cmpstr (p->stats->local_candidate_type, ==, "host");
      /* The latency stamp painted by the sender is read back by the receiver. */
      g_assert_cmpuint (p->latency_count, >, 30);
      g_test_message ("peer %d: mean glass-to-glass latency %.1f ms over %u frames", i,
                      p->latency_sum / p->latency_count, p->latency_count);
      descriptions[i] = p->local_descriptions;
    }

  /* Mute and camera off/on: no renegotiation, video keeps flowing. Each phase waits for what
   * the receiver decodes (black frames, then the pattern again), not for a time or a frame
   * count that a starved machine may take long to reach. */
  for (int i = 0; i < 2; i++)
    {
      pc_call_session_set_muted (fx.peer[i].session, TRUE);
      g_assert_true (pc_call_session_get_muted (fx.peer[i].session));
      pc_call_session_set_camera_enabled (fx.peer[i].session, FALSE);
      g_assert_false (pc_call_session_get_camera_enabled (fx.peer[i].session));
    }
  wait_decoded (&fx, TRUE, 15);
  /* Camera off sends black frames: the stamp no longer decodes (frames still in flight with a
   * stamp were decoded before the first black one). */
  {
    guint latency_before[2] = { fx.peer[0].latency_count, fx.peer[1].latency_count };
    wait_decoded (&fx, TRUE, 15);
    for (int i = 0; i < 2; i++)
      g_assert_cmpuint (fx.peer[i].latency_count, ==, latency_before[i]);
  }
  for (int i = 0; i < 2; i++)
    {
      pc_call_session_set_muted (fx.peer[i].session, FALSE);
      pc_call_session_set_camera_enabled (fx.peer[i].session, TRUE);
    }
  wait_decoded (&fx, FALSE, 15);
  /* The stamp decodes again. */
  latency_floor[0] = fx.peer[0].latency_count;
  latency_floor[1] = fx.peer[1].latency_count;
  g_assert_true (run_until (&fx, both_latency_grows, CALL_TIMEOUT_S));
  for (int i = 0; i < 2; i++)
    g_assert_cmpuint (fx.peer[i].local_descriptions, ==, descriptions[i]);

  fixture_clear (&fx);
}

static gboolean
both_offered (Fixture *fx)
{
  return fx->peer[0].offers_sent > 0 && fx->peer[1].offers_sent > 0;
}

static void
test_call_collision (void)
{
  Fixture fx;

  fixture_init (&fx, FALSE, 320, 240);
  fx.hold_descriptions = TRUE;
  start_call (&fx, TRUE);

  /* Both create offers before either sees the other's: a real glare. */
  g_assert_true (run_until (&fx, both_offered, CALL_TIMEOUT_S));
  fx.hold_descriptions = FALSE;
  for (guint i = 0; i < fx.held->len; i++)
    {
      HeldDescription *h = g_ptr_array_index (fx.held, i);
      deliver_description (h->to, h->type, h->sdp);
    }

  g_assert_true (run_until (&fx, both_connected_with_media, CALL_TIMEOUT_S));
  /* The impolite caller's offer won: the polite callee answered it. */
  g_assert_cmpuint (fx.peer[0].offers_sent, ==, 1);
  g_assert_cmpuint (fx.peer[1].local_descriptions, >=, 2);
  target_frames = 30;
  g_assert_true (run_until (&fx, enough_frames_and_stats, CALL_TIMEOUT_S));
  fixture_clear (&fx);
}

static gboolean
caller_decodes_30 (Fixture *fx)
{
  return fx->peer[0].first_video && pc_call_session_get_frames_decoded (fx->peer[0].session) >= 30;
}

static void
test_call_payload_type (void)
{
  Fixture fx;

  fixture_init (&fx, FALSE, 320, 240);
  fx.mangle_vp8_pt = TRUE;
  start_call (&fx, FALSE);
  /* The caller offered VP8 as 120 (as far as the callee knows): the callee must send VP8 with
   * payload type 120, or the caller (which expects 120) decodes nothing. The other direction
   * is not checked: the caller really sends 96, which the mangling hid from the callee. */
  g_assert_true (run_until (&fx, caller_decodes_30, CALL_TIMEOUT_S));
  fixture_clear (&fx);
}

/* The caller offers H.264 only: the callee answers H.264 with the offer's payload type and
 * profile, both send and decode it. */
static void
test_call_h264 (void)
{
  Fixture fx;

  if (!gst_registry_check_feature_version (gst_registry_get (), "rtph264pay", 1, 0, 0)
      || (!gst_registry_check_feature_version (gst_registry_get (), "x264enc", 1, 0, 0)
          && !gst_registry_check_feature_version (gst_registry_get (), "openh264enc", 1, 0, 0)))
    {
      g_test_skip ("no H.264 encoder");
      return;
    }
  caller_video_codec = "h264";
  fixture_init (&fx, TRUE, 320, 240);
  caller_video_codec = "vp8";
  start_call (&fx, FALSE);
  target_frames = 60;
  g_assert_true (run_until (&fx, enough_frames_and_stats, CALL_TIMEOUT_S));
  g_assert_nonnull (fx.answer_sdp);
  g_assert_nonnull (strstr (fx.answer_sdp, "a=rtpmap:102 H264/90000"));
  g_assert_null (strstr (fx.answer_sdp, "VP8"));
  g_assert_nonnull (strstr (fx.answer_sdp, "profile-level-id=42e01f"));
  for (int i = 0; i < 2; i++)
    {
      g_assert_cmpstr (fx.peer[i].stats->video_codec, ==, "H264");
      g_assert_cmpuint (fx.peer[i].width, ==, 320);
      /* the latency stamp survives H.264 too */
      g_assert_cmpuint (fx.peer[i].latency_count, >, 10);
    }
  fixture_clear (&fx);
}

static void
test_call_repeat (void)
{
  guint n = 20;
  const char *env = g_getenv ("PEERCALL_MEDIA_REPEAT");

  if (env)
    n = (guint)g_ascii_strtoull (env, NULL, 10);
  for (guint i = 0; i < n; i++)
    {
      Fixture fx;

      fixture_init (&fx, FALSE, 320, 240);
      start_call (&fx, FALSE);
      g_assert_true (run_until (&fx, both_first_video, CALL_TIMEOUT_S));
      g_test_message ("call %u: offer -> first frame %.0f ms", i + 1,
                      (fx.peer[0].first_video_us - fx.offer_us) / 1000.0);
      fixture_clear (&fx);
    }
}

/* ---- Keyframe requests ---------------------------------------------------------------- */

static guint64 keyframes_target;

static gboolean
sender_made_keyframe (Fixture *fx)
{
  guint64 keyframes;

  pc_call_session_get_video_counters (fx->peer[0].session, NULL, &keyframes, NULL);
  return keyframes >= keyframes_target;
}

static guint64 received_target;

static gboolean
receiver_got_keyframe (Fixture *fx)
{
  guint64 keyframes;

  pc_call_session_get_video_counters (fx->peer[1].session, NULL, NULL, &keyframes);
  return keyframes >= received_target;
}

/* pc_call_session_request_keyframe() on the receiver (peer 1) sends a PLI; the sender's
 * encoder (peer 0) must answer it with a keyframe long before its periodic one (every 300
 * frames), three times in a row, and the receiver's depayloader must see it. */
static void
test_call_keyframe (void)
{
  Fixture fx;

  fixture_init (&fx, FALSE, 320, 240);
  start_call (&fx, FALSE);
  g_assert_true (run_until (&fx, both_connected_with_media, CALL_TIMEOUT_S));
  target_frames = 30;
  g_assert_true (run_until (&fx, enough_frames_and_stats, CALL_TIMEOUT_S));

  for (int round = 0; round < 3; round++)
    {
      guint64 encoded, keyframes, received, encoded_after;

      pc_call_session_get_video_counters (fx.peer[0].session, &encoded, &keyframes, NULL);
      pc_call_session_get_video_counters (fx.peer[1].session, NULL, NULL, &received);
      keyframes_target = keyframes + 1;
      received_target = received + 1;
      pc_call_session_request_keyframe (fx.peer[1].session);
      g_assert_true (run_until (&fx, sender_made_keyframe, CALL_TIMEOUT_S));
      pc_call_session_get_video_counters (fx.peer[0].session, &encoded_after, NULL, NULL);
      g_test_message ("keyframe request %d: answered after %" G_GUINT64_FORMAT " frames", round + 1,
                      encoded_after - encoded);
      g_assert_cmpuint (encoded_after - encoded, <, 150);
      g_assert_true (run_until (&fx, receiver_got_keyframe, CALL_TIMEOUT_S));
    }
  fixture_clear (&fx);
}

/* ---- Switching the outgoing video during a call ------------------------------------- */

static guint want_width, want_height;
static gint want_black; /* -1: either */
static guint64 want_frames;

/* peer 1 receives what peer 0 switches */
static gboolean
receiver_sees_size (Fixture *fx)
{
  FrameLog *log = &fx->peer[1].log;
  gboolean ok;

  g_mutex_lock (&log->lock);
  ok = log->width == want_width && log->height == want_height && log->frames >= want_frames
       && (want_black < 0 || log->black == want_black);
  g_mutex_unlock (&log->lock);
  return ok;
}

static void
screen_size (guint *width, guint *height)
{
  Display *dpy = XOpenDisplay (NULL);

  g_assert_nonnull (dpy);
  pc_screencast_fit_size (DisplayWidth (dpy, DefaultScreen (dpy)),
                          DisplayHeight (dpy, DefaultScreen (dpy)), PC_SCREENCAST_DEFAULT_MAX_WIDTH,
                          PC_SCREENCAST_DEFAULT_MAX_HEIGHT, width, height);
  XCloseDisplay (dpy);
}

/* Switches peer 0's video and waits until peer 1 decodes the new picture (@width x @height,
 * black or not when @black >= 0), then 20 more frames of it. */
static void
switch_and_wait (Fixture *fx, PcMediaSourceKind kind, guint width, guint height, gint black)
{
  g_autoptr (GError) error = NULL;
  PcCallSession *sender = fx->peer[0].session;
  guint64 frames;
  gint64 gap;
  gint64 switch_us = g_get_monotonic_time ();

  g_assert_true (pc_call_session_set_video_source (sender, kind, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pc_call_session_get_video_source (sender), ==, kind);
  frame_log_get (&fx->peer[1].log, &frames, NULL, NULL, NULL);
  want_width = width;
  want_height = height;
  want_black = black;
  want_frames = frames + 1;
  /* The receiver follows the new size (no renegotiation: the keyframe carries it)... */
  g_assert_true (run_until (fx, receiver_sees_size, CALL_TIMEOUT_S));
  g_test_message ("switch to %s: first %ux%u frame decoded after %.0f ms",
                  pc_media_source_kind_to_string (kind), width, height,
                  (g_get_monotonic_time () - switch_us) / 1000.0);
  /* ...and keeps decoding it. */
  frame_log_get (&fx->peer[1].log, &frames, NULL, NULL, NULL);
  want_frames = frames + 20;
  g_assert_true (run_until (fx, receiver_sees_size, CALL_TIMEOUT_S));
  frame_log_get (&fx->peer[1].log, NULL, NULL, NULL, &gap);
  g_test_message ("switch to %s (%ux%u): longest gap between decoded frames %.0f ms",
                  pc_media_source_kind_to_string (kind), width, height, gap / 1000.0);
}

static void
test_call_switch_source (void)
{
  Fixture fx;
  guint descriptions[2];
  /* "none" sends black frames scaled to the send size; a screen keeps its own size */
  guint other_width = 480, other_height = 360;
  gint other_black = TRUE;
  PcMediaSourceKind other = PC_MEDIA_SOURCE_NONE;
  gint64 gap, control_gap;

  if (with_screen)
    {
      other = PC_MEDIA_SOURCE_SCREEN;
      other_black = -1;
      screen_size (&other_width, &other_height);
      g_assert_true (other_width != 480 || other_height != 360);
    }
  fixture_init (&fx, FALSE, 480, 360);
  start_call (&fx, FALSE);
  g_assert_true (run_until (&fx, both_connected_with_media, CALL_TIMEOUT_S));
  want_width = 480;
  want_height = 360;
  want_black = FALSE;
  want_frames = 30;
  g_assert_true (run_until (&fx, receiver_sees_size, CALL_TIMEOUT_S));
  for (int i = 0; i < 2; i++)
    descriptions[i] = fx.peer[i].local_descriptions;

  frame_log_reset_gap (&fx.peer[0].log);
  frame_log_reset_gap (&fx.peer[1].log);
  switch_and_wait (&fx, other, other_width, other_height, other_black);
  switch_and_wait (&fx, PC_MEDIA_SOURCE_TEST, 480, 360, FALSE);

  /* Same sender all along: no offer, no answer. */
  for (int i = 0; i < 2; i++)
    g_assert_cmpuint (fx.peer[i].local_descriptions, ==, descriptions[i]);
  /* No freeze: no gap over MAX_SWITCH_GAP_US (1 s; 3 s under ASan). A starved machine also
   * stalls the direction that did not switch, in the same process: the switched one may not
   * stall more than that plus 0.5 s. */
  frame_log_get (&fx.peer[1].log, NULL, NULL, NULL, &gap);
  frame_log_get (&fx.peer[0].log, NULL, NULL, NULL, &control_gap);
  g_test_message ("longest gap: %.0f ms switched direction, %.0f ms other direction", gap / 1000.0,
                  control_gap / 1000.0);
  g_assert_cmpint (gap, <=, MAX (MAX_SWITCH_GAP_US, control_gap + G_USEC_PER_SEC / 2));
  fixture_clear (&fx);
}

/* ---- A second remote video m-line (a browser's addTrack screen share) ------------------ */

/* A plain webrtcbin offering audio + two VP8 videos (camera-like 320x240, screen-like 640x360,
 * same payload type like browsers), answered by a PcCallSession. */
typedef struct
{
  GstElement *pipeline;
  GstElement *webrtc;
  PcCallSession *session;
  char *extra_mid; /* mid of the offer's third m-line */
  gboolean first_video;
  guint first_width, first_height;
  char *track_kind, *track_mid;
  guint track_width, track_height;
  char *ended_mid;
  guint local_descriptions;
  FrameLog main_log, extra_log;
  gboolean failed;
  gboolean closing;
} Extra;

static Extra *extra_fx; /* main-context callbacks from webrtcbin's threads */

static gboolean
extra_deliver_offer (gpointer data)
{
  g_autofree char *sdp = data;
  g_autoptr (GError) error = NULL;

  if (extra_fx == NULL || extra_fx->closing)
    return G_SOURCE_REMOVE;
  g_assert_true (pc_call_session_set_remote_description (extra_fx->session, "offer", sdp, &error));
  g_assert_no_error (error);
  return G_SOURCE_REMOVE;
}

static void
on_raw_offer (GstPromise *promise, gpointer user_data)
{
  Extra *x = user_data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  GstWebRTCSessionDescription *offer = NULL;
  char *text;

  gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
  gst_promise_unref (promise);
  g_assert_nonnull (offer);
  g_signal_emit_by_name (x->webrtc, "set-local-description", offer, NULL);
  g_assert_cmpuint (gst_sdp_message_medias_len (offer->sdp), ==, 3);
  g_free (x->extra_mid);
  x->extra_mid = g_strdup (
      gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (offer->sdp, 2), "mid"));
  text = gst_sdp_message_as_text (offer->sdp);
  gst_webrtc_session_description_free (offer);
  g_idle_add (extra_deliver_offer, text);
}

static void
on_raw_negotiation_needed (GstElement *webrtc, Extra *x)
{
  g_signal_emit_by_name (webrtc, "create-offer", NULL,
                         gst_promise_new_with_change_func (on_raw_offer, x, NULL));
}

typedef struct
{
  guint mline;
  char *candidate;
} RawCandidate;

static gboolean
extra_deliver_candidate (gpointer data)
{
  RawCandidate *c = data;

  if (extra_fx && !extra_fx->closing)
    pc_call_session_add_remote_candidate (extra_fx->session, c->candidate, NULL, c->mline);
  g_free (c->candidate);
  g_free (c);
  return G_SOURCE_REMOVE;
}

static void
on_raw_candidate (GstElement *webrtc, guint mline, const char *candidate, Extra *x)
{
  RawCandidate *c = g_new0 (RawCandidate, 1);

  c->mline = mline;
  c->candidate = g_strdup (candidate);
  g_idle_add (extra_deliver_candidate, c);
}

static void
on_raw_pad_added (GstElement *webrtc, GstPad *pad, Extra *x)
{
  GstElement *sink;
  g_autoptr (GstPad) sinkpad = NULL;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  sink = gst_element_factory_make ("fakesink", NULL);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (x->pipeline), sink);
  gst_element_sync_state_with_parent (sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  g_assert_cmpint (gst_pad_link (pad, sinkpad), ==, GST_PAD_LINK_OK);
}

static void
on_extra_local_description (PcCallSession *session, const char *type, const char *sdp, Extra *x)
{
  GstSDPMessage *msg = NULL;
  GstWebRTCSessionDescription *answer;

  x->local_descriptions++;
  g_assert_cmpstr (type, ==, "answer");
  g_assert_cmpint (gst_sdp_message_new_from_text (sdp, &msg), ==, GST_SDP_OK);
  answer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, msg);
  g_signal_emit_by_name (x->webrtc, "set-remote-description", answer, NULL);
  gst_webrtc_session_description_free (answer);
}

static void
on_extra_local_candidate (
    PcCallSession *session, const char *candidate, const char *mid, gint mline, Extra *x)
{
  if (candidate)
    g_signal_emit_by_name (x->webrtc, "add-ice-candidate", (guint)mline, candidate);
}

static void
on_extra_first_frame (PcCallSession *session, const char *kind, guint w, guint h, Extra *x)
{
  g_test_message ("first %s frame %ux%u", kind, w, h);
  g_assert_true (g_str_equal (kind, "video") || g_str_equal (kind, "audio"));
  if (g_str_equal (kind, "video"))
    {
      g_assert_false (x->first_video); /* once, for the main video only */
      x->first_video = TRUE;
      x->first_width = w;
      x->first_height = h;
    }
}

static void
on_extra_remote_track (
    PcCallSession *session, const char *kind, const char *mid, guint w, guint h, Extra *x)
{
  g_test_message ("remote-track %s mid %s %ux%u", kind, mid, w, h);
  g_assert_null (x->track_mid);
  x->track_kind = g_strdup (kind);
  x->track_mid = g_strdup (mid);
  x->track_width = w;
  x->track_height = h;
}

static void
on_extra_track_ended (PcCallSession *session, const char *mid, Extra *x)
{
  g_test_message ("remote-track-ended mid %s", mid);
  x->ended_mid = g_strdup (mid);
}

static void
on_extra_failed (PcCallSession *session, GError *error, Extra *x)
{
  g_test_message ("failed: %s", error->message);
  x->failed = TRUE;
}

typedef gboolean (*ExtraCondition) (Extra *x);

static gboolean
extra_run_until (Extra *x, ExtraCondition cond, guint timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  guint waker = g_timeout_add (50, wake, NULL);
  gboolean ok = TRUE;

  while (!cond (x))
    {
      if (x->failed || g_get_monotonic_time () > deadline)
        {
          ok = FALSE;
          break;
        }
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (waker);
  return ok;
}

static gboolean
extra_both_tracks_flow (Extra *x)
{
  guint64 main_frames, extra_frames;

  frame_log_get (&x->main_log, &main_frames, NULL, NULL, NULL);
  frame_log_get (&x->extra_log, &extra_frames, NULL, NULL, NULL);
  return x->first_video && x->track_mid && main_frames >= 30 && extra_frames >= 30
         && pc_call_session_get_frames_decoded (x->session) >= 30
         && pc_call_session_get_extra_frames_decoded (x->session, x->track_mid) >= 30;
}

static gboolean
extra_track_ended (Extra *x)
{
  return x->ended_mid != NULL && x->local_descriptions == 2;
}

static gboolean
extra_track_announced (Extra *x)
{
  return x->track_mid != NULL;
}

/* Checks that the main remote video func only ever saw the main video's size. */
static void
on_main_frame (GstSample *sample, gpointer user_data)
{
  FrameLog *log = user_data;
  GstVideoInfo info;

  on_remote_frame (sample, log);
  g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  g_assert_cmpint (GST_VIDEO_INFO_WIDTH (&info), ==, 320);
}

static void
test_call_extra_track (void)
{
  g_autoptr (PcIceConfig) ice = pc_ice_config_new ();
  g_autoptr (GError) error = NULL;
  Extra x = { 0 };
  GstWebRTCRTPTransceiver *trans = NULL;

  extra_fx = &x;
  g_mutex_init (&x.main_log.lock);
  g_mutex_init (&x.extra_log.lock);
  pc_ice_config_add_local_address (ice, "127.0.0.1");

  x.pipeline = gst_parse_launch (
      "webrtcbin name=w bundle-policy=max-bundle latency=50 "
      "audiotestsrc is-live=true wave=sine ! opusenc ! rtpopuspay pt=111 ! queue ! "
      "application/x-rtp,media=audio,encoding-name=OPUS,payload=111 ! w. "
      "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! "
      "vp8enc deadline=1 threads=1 keyframe-max-dist=30 ! rtpvp8pay pt=96 ! queue ! "
      "application/x-rtp,media=video,encoding-name=VP8,payload=96 ! w. "
      "videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=360,framerate=15/1 ! "
      "vp8enc deadline=1 threads=1 keyframe-max-dist=30 ! rtpvp8pay pt=96 ! queue ! "
      "application/x-rtp,media=video,encoding-name=VP8,payload=96 ! w.",
      &error);
  g_assert_no_error (error);
  x.webrtc = gst_bin_get_by_name (GST_BIN (x.pipeline), "w");
  g_assert_true (pc_ice_config_apply (ice, x.webrtc, &error));
  g_assert_no_error (error);
  g_signal_connect (x.webrtc, "on-negotiation-needed", G_CALLBACK (on_raw_negotiation_needed), &x);
  g_signal_connect (x.webrtc, "on-ice-candidate", G_CALLBACK (on_raw_candidate), &x);
  g_signal_connect (x.webrtc, "pad-added", G_CALLBACK (on_raw_pad_added), &x);

  x.session = g_object_new (PC_TYPE_CALL_SESSION, "ice-config", ice, "polite", TRUE, "video-source",
                            PC_MEDIA_SOURCE_TEST, "audio-source", PC_MEDIA_SOURCE_TEST,
                            "video-width", 320, "video-height", 240, NULL);
  g_signal_connect (x.session, "local-description", G_CALLBACK (on_extra_local_description), &x);
  g_signal_connect (x.session, "local-candidate", G_CALLBACK (on_extra_local_candidate), &x);
  g_signal_connect (x.session, "first-frame", G_CALLBACK (on_extra_first_frame), &x);
  g_signal_connect (x.session, "remote-track", G_CALLBACK (on_extra_remote_track), &x);
  g_signal_connect (x.session, "remote-track-ended", G_CALLBACK (on_extra_track_ended), &x);
  g_signal_connect (x.session, "failed", G_CALLBACK (on_extra_failed), &x);
  pc_call_session_set_remote_video_func (x.session, on_main_frame, &x.main_log, NULL);
  g_assert_true (pc_call_session_start (x.session, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (gst_element_set_state (x.pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);

  /* The UI attaches a consumer once the track is announced. */
  g_assert_true (extra_run_until (&x, extra_track_announced, CALL_TIMEOUT_S));
  g_assert_cmpstr (x.track_kind, ==, "video");
  g_assert_cmpstr (x.track_mid, ==, x.extra_mid);
  g_assert_cmpuint (x.track_width, ==, 640);
  g_assert_cmpuint (x.track_height, ==, 360);
  g_assert_true (pc_call_session_set_extra_video_func (x.session, x.track_mid, on_remote_frame,
                                                       &x.extra_log, NULL));
  g_assert_false (pc_call_session_set_extra_video_func (x.session, "no-such-mid", on_remote_frame,
                                                        &x.extra_log, NULL));

  /* Both decode, each on its own counter and consumer; first-frame "video" is the first
   * video m-line (the camera), once. */
  g_assert_true (extra_run_until (&x, extra_both_tracks_flow, CALL_TIMEOUT_S));
  g_assert_cmpuint (x.first_width, ==, 320);
  g_assert_cmpuint (x.first_height, ==, 240);
  g_assert_cmpuint (x.extra_log.width, ==, 640);
  g_assert_cmpuint (x.extra_log.height, ==, 360);
  g_assert_cmpuint (x.local_descriptions, ==, 1);

  /* The browser removes its track: the m-line goes inactive in a new offer; the chain goes. */
  g_signal_emit_by_name (x.webrtc, "get-transceiver", 2, &trans);
  g_assert_nonnull (trans);
  g_object_set (trans, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_INACTIVE, NULL);
  gst_object_unref (trans);
  /* webrtcbin 1.22 does not flag a direction change as needing negotiation: offer again. */
  on_raw_negotiation_needed (x.webrtc, &x);
  g_assert_true (extra_run_until (&x, extra_track_ended, CALL_TIMEOUT_S));
  g_assert_cmpstr (x.ended_mid, ==, x.track_mid);
  g_assert_cmpuint (pc_call_session_get_extra_frames_decoded (x.session, x.track_mid), ==, 0);
  /* Not asserted: that the camera goes on. Between two webrtcbin 1.22 peers nothing at all
   * arrives after this renegotiation (0 kbps on every stream), a webrtcbin limitation seen
   * with this plain offerer; browsers are covered by tests/browser/renegotiation.mjs. */
  g_assert_false (x.failed);

  x.closing = TRUE;
  pc_call_session_close (x.session);
  gst_element_set_state (x.pipeline, GST_STATE_NULL);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_signal_handlers_disconnect_by_data (x.session, &x);
  g_clear_object (&x.session);
  gst_object_unref (x.webrtc);
  gst_object_unref (x.pipeline);
  g_free (x.extra_mid);
  g_free (x.track_kind);
  g_free (x.track_mid);
  g_free (x.ended_mid);
  g_mutex_clear (&x.main_log.lock);
  g_mutex_clear (&x.extra_log.lock);
  extra_fx = NULL;
}

/* GStreamer 1.22.0's rtpsession emits signals with its lock released while iterating its SSRC
 * table (source time-out), so a concurrent new SSRC trips GLib's iterator check in the rtcp
 * thread. Upstream and harmless for the call: every other warning and critical stays fatal.
 * (g_test_log_set_fatal_handler () does not help here: GLib's TAP output bails out before
 * consulting it.) */
static GLogWriterOutput
log_writer (GLogLevelFlags log_level, const GLogField *fields, gsize n_fields, gpointer data)
{
  GLogWriterOutput result = g_log_writer_default (log_level, fields, n_fields, data);
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
      message = fields[i].value;
  if ((log_level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
      && !(message
           && strstr (message, "g_hash_table_foreach: assertion 'version == hash_table->version'")))
    abort ();
  return result;
}

int
main (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--screen"))
      {
        with_screen = TRUE;
        memmove (&argv[i], &argv[i + 1], (argc - i) * sizeof *argv);
        argc--;
        break;
      }
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_log_set_writer_func (log_writer, NULL, NULL);

  if (!g_getenv ("PEERCALL_TEST_NO_PREPARE"))
    pc_call_session_prepare ();

  g_test_add_func ("/media/call/basic", test_call_basic);
  g_test_add_func ("/media/call/collision", test_call_collision);
  g_test_add_func ("/media/call/payload-type", test_call_payload_type);
  g_test_add_func ("/media/call/h264", test_call_h264);
  g_test_add_func ("/media/call/switch-source", test_call_switch_source);
  g_test_add_func ("/media/call/keyframe", test_call_keyframe);
  g_test_add_func ("/media/call/extra-track", test_call_extra_track);
  g_test_add_func ("/media/call-repeat", test_call_repeat);

  return g_test_run ();
}
