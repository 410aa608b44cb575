/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include "pc-codec.h"

const char *
pc_video_codec_name (PcVideoCodec codec)
{
  return codec == PC_VIDEO_CODEC_H264 ? "H264" : "VP8";
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
const char *
pc_codec_h264_encoder_factory (void)
{
  static const char *const encoders[] = { "x264enc", "openh264enc", NULL };
  return first_available (encoders);
}

const char *
pc_codec_h264_decoder_factory (void)
{
  static const char *const decoders[] = { "avdec_h264", "openh264dec", NULL };
  return first_available (decoders);
}

gboolean
pc_codec_h264_available (void)
{
  static const char *const pay[] = { "rtph264pay", NULL };
  static const char *const depay[] = { "rtph264depay", NULL };
  static const char *const parse[] = { "h264parse", NULL };

  return pc_codec_h264_encoder_factory () && pc_codec_h264_decoder_factory ()
         && first_available (pay) && first_available (depay) && first_available (parse);
}
