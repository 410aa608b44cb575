/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-latency-stamp.h: the glass-to-glass latency stamp of DESIGN.md ("Latency stamp"):
 * rows [0, h/16) split in 34 columns, column 0 white, column 33 black, columns 1..32 carry
 * bits 31..0 of wall-clock milliseconds mod 2^32. */
#pragma once

#include <gst/video/video.h>

G_BEGIN_DECLS

#define PC_LATENCY_STAMP_COLUMNS 34

/* Wall-clock milliseconds since the Unix epoch, mod 2^32. */
guint32 pc_latency_stamp_now (void);

/* Paints @value into the band of a mapped, writable raw frame. Supports I420, YV12, NV12,
 * NV21, Y42B, Y444, GRAY8 (luma written white/black, chroma neutral) and BGRA/BGRx/RGBA/RGBx/
 * ARGB/ABGR. Returns FALSE for other formats or frames too small to hold the band. */
gboolean pc_latency_stamp_write (GstVideoFrame *frame, guint32 value);

/* Reads the stamp back from a mapped frame (same formats). Returns FALSE when the band does not
 * look like a stamp (column 0 not clearly brighter than column 33). */
gboolean pc_latency_stamp_read (const GstVideoFrame *frame, guint32 *value);

/* Milliseconds from @stamp to @now, both mod 2^32; negative when the clocks disagree. */
gint64 pc_latency_stamp_delta_ms (guint32 stamp, guint32 now);

G_END_DECLS
