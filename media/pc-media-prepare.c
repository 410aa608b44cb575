/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include <gst/gst.h>

#include "pc-media-prepare.h"
#include "pc-media-source.h"
#include "pc-codec.h"

/* A call started in this process: the start-up codec warm-up is skipped then (atomic). */
static gint call_started;

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
  if (g_atomic_int_get (&call_started))
    return;
  pc_media_source_get_test_video_size (&width, &height);
  desc = g_strdup_printf (
      "videotestsrc num-buffers=2 pattern=smpte ! video/x-raw,format=I420,width=%u,height=%u,"
      "framerate=30/1 ! vp8enc deadline=1 cpu-used=%d threads=1 end-usage=cbr lag-in-frames=0 "
      "error-resilient=default ! vp8dec threads=1 ! videoconvert ! video/x-raw,format=BGRA ! "
      "fakesink sync=false "
      "audiotestsrc num-buffers=2 ! audio/x-raw,rate=48000,channels=1 ! opusenc ! opusdec ! "
      "audioconvert ! audioresample ! fakesink sync=false",
      width, height, PC_CAMERA_CPU_USED);
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
  pc_media_source_audio_sink_factory ();
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

void
pc_media_prepare_note_call_started (void)
{
  g_atomic_int_set (&call_started, 1);
}
