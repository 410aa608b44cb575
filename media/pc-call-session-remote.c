/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pc-call-session-private.h"

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
  g_signal_emit (self, _pc_call_session_signals[SIGNAL_FIRST_FRAME], 0, f->kind, f->width,
                 f->height);
}

static void
main_latency (PcCallSession *self, gpointer data)
{
  g_signal_emit (self, _pc_call_session_signals[SIGNAL_LATENCY], 0, (double)GPOINTER_TO_INT (data));
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
      _pc_call_session_run_on_main (self, main_first_frame, f, (GDestroyNotify)first_frame_free);
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
                _pc_call_session_run_on_main (self, main_latency, GINT_TO_POINTER ((gint)ms), NULL);
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
  g_signal_emit (self, _pc_call_session_signals[SIGNAL_REMOTE_TRACK], 0, "video", t->mid, t->width,
                 t->height);
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
      _pc_call_session_run_on_main (self, main_remote_track, t, (GDestroyNotify)remote_track_free);
    }
  return GST_FLOW_OK;
}

GstFlowReturn
_pc_call_session_on_local_video_sample (GstAppSink *appsink, gpointer user_data)
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
      _pc_call_session_run_on_main (self, main_first_frame, f, (GDestroyNotify)first_frame_free);
    }
  return GST_PAD_PROBE_REMOVE;
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
  /* nothing of the peer's reaches a sink before its certificate passed */
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     _pc_call_session_dtls_gate, self, NULL);
  return gst_pad_link (pad, sinkpad) == GST_PAD_LINK_OK;
}

/* Which m-line @rv receives (the first video one of the remote description is the main
 * video), its mid, and for the main one the SSRC stats tell it by. */
static void
identify_remote_video (PcCallSession *self, RemoteVideo *rv, GstPad *pad, const GstStructure *s)
{
  g_autoptr (GstWebRTCRTPTransceiver) trans = NULL;
  guint ssrc = 0;

  if (g_object_class_find_property (G_OBJECT_GET_CLASS (pad), "transceiver"))
    g_object_get (pad, "transceiver", &trans, NULL);
  if (trans)
    g_object_get (trans, "mlineindex", &rv->mline, NULL);
  gst_structure_get_uint (s, "ssrc", &ssrc);
  g_mutex_lock (&self->lock);
  /* webrtcbin 1.22 may hand a bundled stream a pad whose transceiver belongs to another
   * m-line (even an audio one): the SSRC the remote description announced decides. */
  {
    guint from_ssrc = self->remote_ssrc_mlines ? GPOINTER_TO_UINT (
                          g_hash_table_lookup (self->remote_ssrc_mlines, GUINT_TO_POINTER (ssrc)))
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
}

/* depay ! (parse !) decoder ! convert ! appsink for one remote video m-line. */
static gboolean
add_remote_video_chain (PcCallSession *self,
                        GstPad *pad,
                        const GstStructure *s,
                        const char *encoding)
{
  gboolean h264 = g_strcmp0 (encoding, "H264") == 0;
  const char *decoder_factory = h264 ? pc_codec_h264_decoder_factory () : "vp8dec";
  GstElement *sink = gst_element_factory_make ("appsink", NULL);
  g_autoptr (GstCaps) bgra = gst_caps_from_string ("video/x-raw,format=BGRA");
  GstAppSinkCallbacks callbacks = { .new_sample = on_remote_video_sample };
  RemoteVideo *rv = g_new0 (RemoteVideo, 1);
  GstElement *chain[5];
  GstElement *depay, *decoder;
  guint n_chain = 0;
  gboolean ok;

  chain[n_chain++] = depay = gst_element_factory_make (h264 ? "rtph264depay" : "rtpvp8depay", NULL);
  if (h264)
    chain[n_chain++] = gst_element_factory_make ("h264parse", NULL);
  chain[n_chain++] = decoder
      = decoder_factory ? gst_element_factory_make (decoder_factory, NULL) : NULL;
  chain[n_chain++] = gst_element_factory_make ("videoconvert", NULL);
  chain[n_chain++] = sink;

  rv->self = self;
  rv->pad = gst_object_ref (pad);
  identify_remote_video (self, rv, pad, s);
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
      if (depay && g_object_class_find_property (G_OBJECT_GET_CLASS (depay), "wait-for-keyframe"))
        g_object_set (depay, "request-keyframe", TRUE, "wait-for-keyframe", TRUE, NULL);
      if (rv->main && depay)
        {
          g_autoptr (GstPad) depay_src = gst_element_get_static_pad (depay, "src");
          gst_pad_add_probe (depay_src, GST_PAD_PROBE_TYPE_BUFFER,
                             _pc_call_session_on_depayloaded_frame, self, NULL);
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
  return ok;
}

/* depay ! opusdec ! convert ! resample (! echo probe) ! audio output. */
static gboolean
add_remote_audio_chain (PcCallSession *self, GstPad *pad, const GstStructure *s)
{
  GstElement *dec = gst_element_factory_make ("opusdec", NULL);
  guint ssrc = 0;
  GstElement *audio_sink = gst_element_factory_make (pc_media_source_audio_sink_factory (), NULL);
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
  if (g_str_equal (pc_media_source_audio_sink_factory (), "fakesink"))
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
  return link_remote_chain (self, pad, chain, n);
}

void
_pc_call_session_on_pad_added (GstElement *webrtc, GstPad *pad, PcCallSession *self)
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
    ok = add_remote_video_chain (self, pad, s, encoding);
  else if (g_strcmp0 (encoding, "OPUS") == 0)
    ok = add_remote_audio_chain (self, pad, s);
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
      _pc_call_session_run_on_main (self, _pc_call_session_main_media_error, error,
                                    (GDestroyNotify)g_error_free);
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
    g_signal_emit (self, _pc_call_session_signals[SIGNAL_REMOTE_TRACK_ENDED], 0, rv->mid);
}

/* After a remote description: an extra track whose m-line the peer no longer sends on
 * (a browser's removeTrack makes it inactive or recvonly) has ended. webrtcbin 1.22 may keep
 * the pad, so the chain stays linked (idle) and reports a new "remote-track" if the m-line
 * comes back; it is dropped when the pad goes away. */
void
_pc_call_session_end_stopped_remote_tracks (PcCallSession *self)
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
    _pc_call_session_frame_sink_clear (&g_array_index (sinks, FrameSink, i));
  for (guint i = 0; i < ended->len; i++)
    g_signal_emit (self, _pc_call_session_signals[SIGNAL_REMOTE_TRACK_ENDED], 0,
                   g_ptr_array_index (ended, i));
}

/* The pad went away (webrtcbin dropped the m-line's receive side): its chain goes. */
void
_pc_call_session_on_pad_removed (GstElement *webrtc, GstPad *pad, PcCallSession *self)
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
      _pc_call_session_run_on_main (self, main_drop_remote_video, found,
                                    (GDestroyNotify)_pc_call_session_remote_video_free);
    }
}

void
_pc_call_session_weak_ref_free (GWeakRef *ref)
{
  g_weak_ref_clear (ref);
  g_free (ref);
}

/* Any thread (rtpbin's, after it configured the new jitterbuffer): remembers it for the
 * late-packet check and gives it the session's current latency. */
void
_pc_call_session_on_new_jitterbuffer (
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
void
_pc_call_session_adapt_jitterbuffer_latency (PcCallSession *self)
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
