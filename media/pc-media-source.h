/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-media-source.h: the capture side of a call: camera, microphone, screen, test, none. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum
{
  PC_MEDIA_SOURCE_AUTO,   /* camera/mic if present, else none (video) / test tone never */
  PC_MEDIA_SOURCE_CAMERA, /* video */
  PC_MEDIA_SOURCE_MIC,    /* audio */
  PC_MEDIA_SOURCE_SCREEN, /* video: portal + PipeWire on Wayland/Flatpak, ximagesrc on X11 */
  PC_MEDIA_SOURCE_TEST,   /* moving pattern with the latency stamp / tone */
  PC_MEDIA_SOURCE_NONE,
} PcMediaSourceKind;

#define PC_TYPE_MEDIA_SOURCE_KIND (pc_media_source_kind_get_type ())
GType pc_media_source_kind_get_type (void);

const char *pc_media_source_kind_to_string (PcMediaSourceKind kind);
/* Accepts the --video-source / --audio-source words: auto camera mic screen test none */
gboolean pc_media_source_kind_from_string (const char *str, PcMediaSourceKind *out_kind);

G_END_DECLS
