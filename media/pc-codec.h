/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-codec.h: which video codecs this machine can send and receive, and their GStreamer
 * factories. No pipeline state: safe from any thread. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* H.264 as browsers offer it to everyone: constrained baseline, level 3.1, non-interleaved. */
#define PC_H264_PROFILE_LEVEL_ID "42e01f"

/* vp8enc settings that differ between camera-like content and a shared screen. */
#define PC_CAMERA_CPU_USED 8
#define PC_CAMERA_MAX_QUANTIZER 56
#define PC_CAMERA_KEYFRAME_MAX_DIST 300 /* 10 s at 30 fps */
#define PC_SCREEN_CPU_USED 4            /* sharper text; 1080p15 is still real time on 1 thread */
#define PC_SCREEN_STATIC_THRESHOLD 100  /* skip unchanged macroblocks: most of a screen is still */
#define PC_SCREEN_MIN_QUANTIZER 2
#define PC_SCREEN_MAX_QUANTIZER 48
#define PC_SCREEN_KEYFRAME_MAX_DIST 150 /* 10 s at 15 fps */

typedef enum
{
  PC_VIDEO_CODEC_VP8,
  PC_VIDEO_CODEC_H264,
} PcVideoCodec;

const char *pc_video_codec_name (PcVideoCodec codec);
const char *pc_codec_h264_encoder_factory (void); /* nullable */
const char *pc_codec_h264_decoder_factory (void); /* nullable */
gboolean pc_codec_h264_available (void);

G_END_DECLS
