/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include "pc-latency-stamp.h"

typedef enum
{
  STAMP_LUMA,   /* planar/semi-planar YUV or GRAY: component 0 is luma */
  STAMP_PACKED, /* 4-byte RGB variants */
} StampLayout;

static gboolean
stamp_layout (const GstVideoFrame *frame, StampLayout *layout)
{
  switch (GST_VIDEO_FRAME_FORMAT (frame))
    {
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_YV12:
    case GST_VIDEO_FORMAT_NV12:
    case GST_VIDEO_FORMAT_NV21:
    case GST_VIDEO_FORMAT_Y42B:
    case GST_VIDEO_FORMAT_Y444:
    case GST_VIDEO_FORMAT_GRAY8:
      *layout = STAMP_LUMA;
      return TRUE;
    case GST_VIDEO_FORMAT_BGRA:
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_RGBA:
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_ARGB:
    case GST_VIDEO_FORMAT_ABGR:
    case GST_VIDEO_FORMAT_xRGB:
    case GST_VIDEO_FORMAT_xBGR:
      *layout = STAMP_PACKED;
      return TRUE;
    default:
      return FALSE;
    }
}

static guint
band_height (const GstVideoFrame *frame)
{
  return GST_VIDEO_FRAME_HEIGHT (frame) / 16;
}

guint32
pc_latency_stamp_now (void)
{
  return (guint32)((guint64)g_get_real_time () / 1000);
}

gint64
pc_latency_stamp_delta_ms (guint32 stamp, guint32 now)
{
  /* Differences are taken mod 2^32 and read as signed, so a wrap of the 49.7-day counter
   * between stamp and reading does not matter. */
  return (gint64)(gint32)(now - stamp);
}

/* Fills component @comp of the rectangle [x0,x1) x [y0,y1) (in luma coordinates). */
static void
fill_component (GstVideoFrame *frame, guint comp, guint x0, guint x1, guint y0, guint y1, guint8 v)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  guint8 *data = GST_VIDEO_FRAME_COMP_DATA (frame, comp);
  gint stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, comp);
  gint pstride = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, comp);
  guint cx0 = GST_VIDEO_SUB_SCALE (GST_VIDEO_FORMAT_INFO_W_SUB (finfo, comp), x0);
  guint cx1 = GST_VIDEO_SUB_SCALE (GST_VIDEO_FORMAT_INFO_W_SUB (finfo, comp), x1);
  guint cy0 = GST_VIDEO_SUB_SCALE (GST_VIDEO_FORMAT_INFO_H_SUB (finfo, comp), y0);
  guint cy1 = GST_VIDEO_SUB_SCALE (GST_VIDEO_FORMAT_INFO_H_SUB (finfo, comp), y1);

  for (guint y = cy0; y < cy1; y++)
    {
      guint8 *row = data + (gsize)y * stride;
      for (guint x = cx0; x < cx1; x++)
        row[(gsize)x * pstride] = v;
    }
}

gboolean
pc_latency_stamp_write (GstVideoFrame *frame, guint32 value)
{
  StampLayout layout;
  guint width = GST_VIDEO_FRAME_WIDTH (frame);
  guint band = band_height (frame);

  if (!stamp_layout (frame, &layout) || band < 1 || width < PC_LATENCY_STAMP_COLUMNS)
    return FALSE;

  for (guint col = 0; col < PC_LATENCY_STAMP_COLUMNS; col++)
    {
      gboolean white;
      guint x0 = col * width / PC_LATENCY_STAMP_COLUMNS;
      guint x1 = (col + 1) * width / PC_LATENCY_STAMP_COLUMNS;

      if (col == 0)
        white = TRUE;
      else if (col == PC_LATENCY_STAMP_COLUMNS - 1)
        white = FALSE;
      else
        white = (value >> (32 - col)) & 1;

      if (layout == STAMP_LUMA)
        {
          /* Full-range extremes survive limited-range conversion and lossy coding best. */
          fill_component (frame, 0, x0, x1, 0, band, white ? 255 : 0);
          for (guint c = 1; c < GST_VIDEO_FRAME_N_COMPONENTS (frame); c++)
            fill_component (frame, c, x0, x1, 0, band, 128);
        }
      else
        {
          for (guint c = 0; c < 3; c++)
            fill_component (frame, c, x0, x1, 0, band, white ? 255 : 0);
        }
    }
  return TRUE;
}

/* Mean luma of a small patch around the centre of column @col, so a reader tolerates
 * coding noise at the column edges. */
static double
sample_column (const GstVideoFrame *frame, StampLayout layout, guint col)
{
  guint width = GST_VIDEO_FRAME_WIDTH (frame);
  guint band = band_height (frame);
  guint x0 = col * width / PC_LATENCY_STAMP_COLUMNS;
  guint x1 = (col + 1) * width / PC_LATENCY_STAMP_COLUMNS;
  guint cx = (x0 + x1) / 2;
  guint rx = MAX ((x1 - x0) / 4, 1);
  guint cy = band / 2;
  guint ry = MAX (band / 4, 1);
  double sum = 0;
  guint n = 0;

  for (guint y = cy >= ry ? cy - ry + 1 : 0; y <= cy + ry - 1 && y < band; y++)
    for (guint x = cx - rx + 1; x <= cx + rx - 1 && x < width; x++)
      {
        if (layout == STAMP_LUMA)
          {
            const guint8 *p = GST_VIDEO_FRAME_COMP_DATA (frame, 0);
            sum += p[(gsize)y * GST_VIDEO_FRAME_COMP_STRIDE (frame, 0)
                     + (gsize)x * GST_VIDEO_FRAME_COMP_PSTRIDE (frame, 0)];
          }
        else
          {
            double rgb[3];
            for (guint c = 0; c < 3; c++)
              {
                const guint8 *p = GST_VIDEO_FRAME_COMP_DATA (frame, c);
                rgb[c] = p[(gsize)y * GST_VIDEO_FRAME_COMP_STRIDE (frame, c)
                           + (gsize)x * GST_VIDEO_FRAME_COMP_PSTRIDE (frame, c)];
              }
            sum += 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
          }
        n++;
      }
  return n ? sum / n : 0;
}

gboolean
pc_latency_stamp_read (const GstVideoFrame *frame, guint32 *value)
{
  StampLayout layout;
  double white, black, threshold;
  guint32 v = 0;

  g_return_val_if_fail (value != NULL, FALSE);

  if (!stamp_layout (frame, &layout) || band_height (frame) < 1
      || GST_VIDEO_FRAME_WIDTH (frame) < PC_LATENCY_STAMP_COLUMNS)
    return FALSE;

  white = sample_column (frame, layout, 0);
  black = sample_column (frame, layout, PC_LATENCY_STAMP_COLUMNS - 1);
  /* Not a stamped frame (camera, screen) unless the reference columns clearly differ. */
  if (white - black < 64)
    return FALSE;
  threshold = (white + black) / 2;

  for (guint col = 1; col < PC_LATENCY_STAMP_COLUMNS - 1; col++)
    v = (v << 1) | (sample_column (frame, layout, col) > threshold ? 1 : 0);

  *value = v;
  return TRUE;
}
