/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <gst/video/video.h>

#include "pc-media-error.h"
#include "pc-latency-stamp.h"
#include "pc-media-source.h"

static const GEnumValue kind_values[] = {
  { PC_MEDIA_SOURCE_AUTO, "PC_MEDIA_SOURCE_AUTO", "auto" },
  { PC_MEDIA_SOURCE_CAMERA, "PC_MEDIA_SOURCE_CAMERA", "camera" },
  { PC_MEDIA_SOURCE_MIC, "PC_MEDIA_SOURCE_MIC", "mic" },
  { PC_MEDIA_SOURCE_SCREEN, "PC_MEDIA_SOURCE_SCREEN", "screen" },
  { PC_MEDIA_SOURCE_TEST, "PC_MEDIA_SOURCE_TEST", "test" },
  { PC_MEDIA_SOURCE_NONE, "PC_MEDIA_SOURCE_NONE", "none" },
  { 0, NULL, NULL },
};

GType
pc_media_source_kind_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("PcMediaSourceKind", kind_values));
  return (GType)type;
}

const char *
pc_media_source_kind_to_string (PcMediaSourceKind kind)
{
  for (guint i = 0; kind_values[i].value_nick; i++)
    if ((PcMediaSourceKind)kind_values[i].value == kind)
      return kind_values[i].value_nick;
  return NULL;
}

gboolean
pc_media_source_kind_from_string (const char *str, PcMediaSourceKind *out_kind)
{
  for (guint i = 0; str && kind_values[i].value_nick; i++)
    if (g_str_equal (str, kind_values[i].value_nick))
      {
        if (out_kind)
          *out_kind = kind_values[i].value;
        return TRUE;
      }
  return FALSE;
}

void
pc_media_source_get_test_video_size (guint *width, guint *height)
{
  const char *env = g_getenv ("PEERCALL_TEST_VIDEO_SIZE");
  guint w = 640, h = 480;

  if (env)
    {
      guint ew = 0, eh = 0;
      if (sscanf (env, "%ux%u", &ew, &eh) == 2 && ew >= 64 && eh >= 64 && ew <= 3840 && eh <= 2160)
        w = ew & ~1u, h = eh & ~1u;
      else
        g_warning ("Ignoring PEERCALL_TEST_VIDEO_SIZE=%s (expected WxH)", env);
    }
  if (width)
    *width = w;
  if (height)
    *height = h;
}

/* Returns the first device of @klass, PipeWire ones first (they work in the Flatpak sandbox
 * and do not steal the device from other programs). */
static GstDevice *
find_device (const char *klass)
{
  g_autoptr (GstDeviceMonitor) monitor = gst_device_monitor_new ();
  GstDevice *found = NULL;
  GList *devices;

  gst_device_monitor_add_filter (monitor, klass, NULL);
  if (!gst_device_monitor_start (monitor))
    return NULL;
  devices = gst_device_monitor_get_devices (monitor);
  gst_device_monitor_stop (monitor);

  for (GList *l = devices; l; l = l->next)
    {
      GstDevice *device = l->data;
      g_autoptr (GstStructure) props = gst_device_get_properties (device);
      const char *api = props ? gst_structure_get_string (props, "device.api") : NULL;

      if (found == NULL || g_strcmp0 (api, "pipewire") == 0)
        {
          g_clear_object (&found);
          found = gst_object_ref (device);
          if (g_strcmp0 (api, "pipewire") == 0)
            break;
        }
    }
  g_list_free_full (devices, gst_object_unref);
  return found;
}

gboolean
pc_media_source_have_camera (void)
{
  g_autoptr (GstDevice) device = find_device ("Video/Source");
  return device != NULL;
}

gboolean
pc_media_source_have_microphone (void)
{
  g_autoptr (GstDevice) device = find_device ("Audio/Source");
  return device != NULL;
}

PcMediaSourceKind
pc_media_source_resolve (PcMediaSourceKind kind, gboolean video)
{
  if (kind != PC_MEDIA_SOURCE_AUTO)
    return kind;
  if (video)
    return pc_media_source_have_camera () ? PC_MEDIA_SOURCE_CAMERA : PC_MEDIA_SOURCE_NONE;
  return pc_media_source_have_microphone () ? PC_MEDIA_SOURCE_MIC : PC_MEDIA_SOURCE_NONE;
}

static gboolean
have_element (const char *factory_name)
{
  g_autoptr (GstElementFactory) factory = gst_element_factory_find (factory_name);
  return factory != NULL;
}

static GstPadProbeReturn
on_test_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstVideoInfo *vinfo = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstVideoFrame frame;

  /* videotestsrc hands out pool buffers with one ref: making it writable is free. */
  buffer = gst_buffer_make_writable (buffer);
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  if (gst_video_frame_map (&frame, vinfo, buffer, GST_MAP_READWRITE))
    {
      pc_latency_stamp_write (&frame, pc_latency_stamp_now ());
      gst_video_frame_unmap (&frame);
    }
  return GST_PAD_PROBE_OK;
}

static GstElement *
make_bin (const char *name, const char *description, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  GstElement *bin;

  bin = gst_parse_bin_from_description_full (description, TRUE, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
                                             &local_error);
  if (bin == NULL)
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE, "Cannot create %s source: %s",
                   name, local_error->message);
      return NULL;
    }
  gst_object_set_name (GST_OBJECT (bin), name);
  return bin;
}

static GstElement *
create_test_video (guint width, guint height, guint fps, GError **error)
{
  g_autofree char *desc = NULL;
  g_autoptr (GstElement) caps = NULL;
  g_autoptr (GstPad) pad = NULL;
  GstVideoInfo *vinfo;
  GstElement *bin;

  if (width == 0 || height == 0)
    pc_media_source_get_test_video_size (&width, &height);
  if (fps == 0)
    fps = 30;

  /* SMPTE bars scrolling sideways: every frame changes, so the encoder has real work. */
  desc = g_strdup_printf ("videotestsrc is-live=true pattern=smpte horizontal-speed=3 ! "
                          "capsfilter name=stampcaps caps=video/x-raw,format=I420,width=%u,"
                          "height=%u,framerate=%u/1,pixel-aspect-ratio=1/1",
                          width, height, fps);
  bin = make_bin ("video-test", desc, error);
  if (bin == NULL)
    return NULL;

  vinfo = gst_video_info_new ();
  gst_video_info_set_format (vinfo, GST_VIDEO_FORMAT_I420, width, height);
  caps = gst_bin_get_by_name (GST_BIN (bin), "stampcaps");
  pad = gst_element_get_static_pad (caps, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_test_frame, vinfo,
                     (GDestroyNotify)gst_video_info_free);
  return bin;
}

static GstElement *
create_camera (GError **error)
{
  g_autoptr (GstDevice) device = find_device ("Video/Source");
  GstElement *bin, *src, *convert;
  g_autoptr (GstPad) pad = NULL;

  if (device == NULL)
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_DEVICE_MISSING, "No camera found");
      return NULL;
    }
  src = gst_device_create_element (device, NULL);
  if (src == NULL)
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_DEVICE_MISSING,
                   "Cannot open the camera “%s”", gst_device_get_display_name (device));
      return NULL;
    }
  /* Many webcams only give MJPEG at useful sizes. */
  convert = gst_parse_bin_from_description ("decodebin3 ! videoconvert", TRUE, NULL);
  if (convert == NULL)
    {
      gst_object_unref (src);
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE, "Cannot decode the camera");
      return NULL;
    }
  bin = gst_bin_new ("video-camera");
  gst_bin_add_many (GST_BIN (bin), src, convert, NULL);
  gst_element_link (src, convert);
  pad = gst_element_get_static_pad (convert, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", pad));
  return bin;
}

GstElement *
pc_media_source_create_video (
    PcMediaSourceKind kind, guint width, guint height, guint fps, GError **error)
{
  kind = pc_media_source_resolve (kind, TRUE);

  switch (kind)
    {
    case PC_MEDIA_SOURCE_TEST:
      return create_test_video (width, height, fps, error);
    case PC_MEDIA_SOURCE_CAMERA:
      return create_camera (error);
    case PC_MEDIA_SOURCE_SCREEN:
      if (g_getenv ("DISPLAY") == NULL)
        {
          g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST,
                       "No screen to capture (screen sharing needs X11 here)");
          return NULL;
        }
      /* use-damage=false: XDamage tracking costs more than full grabs on a changing screen. */
      return make_bin ("video-screen", "ximagesrc use-damage=false show-pointer=true", error);
    case PC_MEDIA_SOURCE_NONE:
    case PC_MEDIA_SOURCE_MIC:
    case PC_MEDIA_SOURCE_AUTO:
    default:
      /* Black at a low rate: the sender stays alive without renegotiation, and costs little. */
      return make_bin (
          "video-none",
          "videotestsrc is-live=true pattern=black ! "
          "capsfilter caps=video/x-raw,format=I420,width=320,height=240,framerate=10/1",
          error);
    }
}

GstElement *
pc_media_source_create_audio (PcMediaSourceKind kind, const char *echo_probe_name, GError **error)
{
  g_autofree char *desc = NULL;

  kind = pc_media_source_resolve (kind, FALSE);

  switch (kind)
    {
    case PC_MEDIA_SOURCE_TEST:
      return make_bin ("audio-test",
                       "audiotestsrc is-live=true wave=sine freq=440 volume=0.2 ! "
                       "capsfilter caps=audio/x-raw,rate=48000,channels=1",
                       error);
    case PC_MEDIA_SOURCE_MIC:
      if (!pc_media_source_have_microphone ())
        {
          g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_DEVICE_MISSING, "No microphone found");
          return NULL;
        }
      if (echo_probe_name && have_element ("webrtcdsp"))
        desc = g_strdup_printf (
            "autoaudiosrc ! audioconvert ! audioresample ! "
            "capsfilter caps=audio/x-raw,format=S16LE,rate=48000,channels=1 ! "
            "webrtcdsp probe=%s echo-cancel=true noise-suppression=true gain-control=true",
            echo_probe_name);
      else
        desc = g_strdup ("autoaudiosrc ! audioconvert ! audioresample");
      return make_bin ("audio-mic", desc, error);
    case PC_MEDIA_SOURCE_NONE:
    case PC_MEDIA_SOURCE_CAMERA:
    case PC_MEDIA_SOURCE_SCREEN:
    case PC_MEDIA_SOURCE_AUTO:
    default:
      return make_bin ("audio-none",
                       "audiotestsrc is-live=true wave=silence ! "
                       "capsfilter caps=audio/x-raw,rate=48000,channels=1",
                       error);
    }
}
/* Picks the audio output once per process: a sink that reaches READY (a sound server or
 * device exists), else fakesink, so a machine without audio output still takes calls. */
const char *
pc_media_source_audio_sink_factory (void)
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
