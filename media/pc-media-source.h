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

/* The default size of the `test` video: 640x480, or PEERCALL_TEST_VIDEO_SIZE=WxH. */
void pc_media_source_get_test_video_size (guint *width, guint *height);

/* Device discovery (GstDeviceMonitor; PipeWire preferred over V4L2 for cameras). */
gboolean pc_media_source_have_camera (void);
gboolean pc_media_source_have_microphone (void);
/* auto -> camera/mic when one exists, else none; other kinds unchanged. */
PcMediaSourceKind pc_media_source_resolve (PcMediaSourceKind kind, gboolean video);

/* A bin with one always "src" pad giving live raw video, any size/format (the session scales
 * and converts). `test` is a moving pattern of @width x @height at @fps with the latency stamp
 * on every frame. `none` is black frames. Errors are in PC_MEDIA_ERROR: DEVICE_MISSING when
 * there is no camera, SCREENCAST when there is no screen to capture. `screen` here is a bare
 * ximagesrc; calls share the screen through PcScreencast (portal or X11) instead, see
 * pc_call_session_set_screencast(). */
GstElement *pc_media_source_create_video (PcMediaSourceKind kind,
                                          guint width,
                                          guint height,
                                          guint fps,
                                          GError **error);
/* A bin with one "src" pad giving live 48 kHz mono S16LE audio. `mic` runs webrtcdsp (echo
 * cancellation + noise suppression) paired with the webrtcechoprobe named @echo_probe_name,
 * which must already exist on the playback side (nullable: no echo cancellation). `test` is a
 * tone, `none` silence. */
GstElement *pc_media_source_create_audio (PcMediaSourceKind kind,
                                          const char *echo_probe_name,
                                          GError **error);

/* The audio output element factory for received audio: the first sink that reaches READY,
 * else "fakesink" (PEERCALL_AUDIO_SINK overrides). Probed once per process; any thread. */
const char *pc_media_source_audio_sink_factory (void);

G_END_DECLS
