/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-video-paintable.h: a GdkPaintable fed with GStreamer video samples from any thread. */
#pragma once

#include <gdk/gdk.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define PC_TYPE_VIDEO_PAINTABLE (pc_video_paintable_get_type ())
G_DECLARE_FINAL_TYPE (PcVideoPaintable, pc_video_paintable, PC, VIDEO_PAINTABLE, GObject)

PcVideoPaintable *pc_video_paintable_new (void);

/* Thread-safe: wraps the BGRA frame in a GdkMemoryTexture on the calling (streaming) thread and
 * hands it to the main context; never blocks. Matches PcVideoFrameFunc. */
void pc_video_paintable_push_sample (GstSample *sample, gpointer paintable);
/* Drops the current frame (e.g. video turned off): the paintable becomes empty. */
void pc_video_paintable_clear (PcVideoPaintable *self);
gboolean pc_video_paintable_has_frame (PcVideoPaintable *self);

G_END_DECLS
