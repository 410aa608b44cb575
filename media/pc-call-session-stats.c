/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pc-call-session-private.h"

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
  _pc_call_session_raw_stats_clear (raw);
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
  const GstStructure *reply = _pc_call_session_promise_reply (promise, NULL);
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

  _pc_call_session_run_on_main (self, main_stats, raw, (GDestroyNotify)raw_stats_free);
}

void
_pc_call_session_request_stats (PcCallSession *self)
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
void
_pc_call_session_wait_for_stats_requests (PcCallSession *self)
{
  g_autoptr (GPtrArray) requests = NULL;

  g_mutex_lock (&self->lock);
  requests = g_steal_pointer (&self->stats_requests);
  self->stats_requests = g_ptr_array_new_with_free_func ((GDestroyNotify)gst_promise_unref);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < requests->len; i++)
    gst_promise_wait (g_ptr_array_index (requests, i));
}

gboolean
_pc_call_session_on_stats_tick (gpointer user_data)
{
  _pc_call_session_request_stats (user_data);
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
      _pc_call_session_set_encoder_bitrate (self, self->target_bitrate);
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

  if (_pc_call_session_ice_state_is_connected (self->ice_state) && !self->ice_types_reported
      && raw->local_type && raw->remote_type)
    {
      self->ice_types_reported = TRUE;
      g_signal_emit (self, _pc_call_session_signals[SIGNAL_ICE_STATE], 0, self->ice_state,
                     raw->local_type, raw->remote_type);
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
  stats->video_codec = g_strdup (pc_video_codec_name (self->video_codec));
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
  _pc_call_session_raw_stats_clear (&self->prev);
  self->prev = *raw;
  self->prev.local_type = g_strdup (raw->local_type);
  self->prev.remote_type = g_strdup (raw->remote_type);
  self->prev_frames = frames;
  self->have_prev = TRUE;

  update_bitrate (self, raw);
  _pc_call_session_adapt_jitterbuffer_latency (self);

  pc_call_stats_free (self->last_stats);
  self->last_stats = stats;
  g_signal_emit (self, _pc_call_session_signals[SIGNAL_STATS], 0, stats);
}
