/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The latency stamp (DESIGN.md) written into raw frames and read back, also after a colour
 * conversion and from frames that carry no stamp. */
#include "config.h"

#include <gst/video/video.h>

#include "pc-latency-stamp.h"

static GstBuffer *
new_frame (GstVideoInfo *info, GstVideoFormat format, guint width, guint height)
{
  GstBuffer *buffer;
  GstMapInfo map;

  gst_video_info_set_format (info, format, width, height);
  buffer = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info), NULL);
  /* mid-grey noise-free background: the stamp must stand on its own */
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  memset (map.data, 0x80, map.size);
  gst_buffer_unmap (buffer, &map);
  return buffer;
}

static void
roundtrip (GstVideoFormat format, guint width, guint height, guint32 value)
{
  GstVideoInfo info;
  g_autoptr (GstBuffer) buffer = new_frame (&info, format, width, height);
  GstVideoFrame frame;
  guint32 read = 0;

  g_assert_true (gst_video_frame_map (&frame, &info, buffer, GST_MAP_READWRITE));
  g_assert_true (pc_latency_stamp_write (&frame, value));
  g_assert_true (pc_latency_stamp_read (&frame, &read));
  g_assert_cmphex (read, ==, value);
  gst_video_frame_unmap (&frame);
}

static void
test_roundtrip (void)
{
  const guint32 values[]
      = { 0, 1, 0x80000000u, 0xffffffffu, 0xdeadbeefu, 0x12345678u, pc_latency_stamp_now () };
  const GstVideoFormat formats[] = { GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12,
                                     GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_RGBA };

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++)
    for (guint v = 0; v < G_N_ELEMENTS (values); v++)
      {
        roundtrip (formats[f], 640, 480, values[v]);
        roundtrip (formats[f], 1280, 720, values[v]);
        roundtrip (formats[f], 322, 242, values[v]); /* widths not divisible by 34 */
      }
}

/* I420 written by the sender, BGRA read by the receiver (what the call does). */
static void
test_after_conversion (void)
{
  GstVideoInfo in_info, out_info;
  g_autoptr (GstBuffer) in = new_frame (&in_info, GST_VIDEO_FORMAT_I420, 640, 480);
  g_autoptr (GstBuffer) out = new_frame (&out_info, GST_VIDEO_FORMAT_BGRA, 640, 480);
  GstVideoFrame in_frame, out_frame;
  GstVideoConverter *converter;
  guint32 value = 0xa5c3f00fu, read = 0;

  g_assert_true (gst_video_frame_map (&in_frame, &in_info, in, GST_MAP_READWRITE));
  g_assert_true (pc_latency_stamp_write (&in_frame, value));
  g_assert_true (gst_video_frame_map (&out_frame, &out_info, out, GST_MAP_READWRITE));
  converter = gst_video_converter_new (&in_info, &out_info, NULL);
  gst_video_converter_frame (converter, &in_frame, &out_frame);
  gst_video_converter_free (converter);
  g_assert_true (pc_latency_stamp_read (&out_frame, &read));
  g_assert_cmphex (read, ==, value);
  gst_video_frame_unmap (&in_frame);
  gst_video_frame_unmap (&out_frame);
}

static void
test_no_stamp (void)
{
  GstVideoInfo info;
  g_autoptr (GstBuffer) buffer = new_frame (&info, GST_VIDEO_FORMAT_I420, 640, 480);
  GstVideoFrame frame;
  guint32 read = 0;

  g_assert_true (gst_video_frame_map (&frame, &info, buffer, GST_MAP_READ));
  g_assert_false (pc_latency_stamp_read (&frame, &read));
  gst_video_frame_unmap (&frame);
}

static void
test_delta (void)
{
  g_assert_cmpint (pc_latency_stamp_delta_ms (1000, 1120), ==, 120);
  /* across the 2^32 wrap */
  g_assert_cmpint (pc_latency_stamp_delta_ms (0xffffff00u, 0x10u), ==, 0x110);
  g_assert_cmpint (pc_latency_stamp_delta_ms (1120, 1000), ==, -120);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/media/stamp/roundtrip", test_roundtrip);
  g_test_add_func ("/media/stamp/after-conversion", test_after_conversion);
  g_test_add_func ("/media/stamp/no-stamp", test_no_stamp);
  g_test_add_func ("/media/stamp/delta", test_delta);
  return g_test_run ();
}
