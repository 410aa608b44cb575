/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-call-stats.h: one snapshot of a call's statistics, as the "stats" signal hands it out. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* A snapshot of get-stats, taken once a second while connected. */
typedef struct
{
  double rtt_ms; /* -1 when unknown */
  double video_rx_fps;
  double video_rx_kbps;
  double video_tx_kbps;
  double audio_rx_kbps;
  double audio_tx_kbps;
  gint64 packets_lost;
  guint64 frames_decoded;
  guint video_width; /* last decoded remote frame */
  guint video_height;
  char *video_codec; /* "VP8", "H264" */
  char *audio_codec;
  char *local_candidate_type; /* host / srflx / prflx / relay */
  char *remote_candidate_type;
} PcCallStats;

#define PC_TYPE_CALL_STATS (pc_call_stats_get_type ())
GType pc_call_stats_get_type (void);
PcCallStats *pc_call_stats_copy (const PcCallStats *stats);
void pc_call_stats_free (PcCallStats *stats);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PcCallStats, pc_call_stats_free)

G_END_DECLS
