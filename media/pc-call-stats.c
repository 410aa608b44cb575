/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include "pc-call-stats.h"

G_DEFINE_BOXED_TYPE (PcCallStats, pc_call_stats, pc_call_stats_copy, pc_call_stats_free)

PcCallStats *
pc_call_stats_copy (const PcCallStats *stats)
{
  PcCallStats *copy = g_memdup2 (stats, sizeof *stats);

  copy->video_codec = g_strdup (stats->video_codec);
  copy->audio_codec = g_strdup (stats->audio_codec);
  copy->local_candidate_type = g_strdup (stats->local_candidate_type);
  copy->remote_candidate_type = g_strdup (stats->remote_candidate_type);
  return copy;
}

void
pc_call_stats_free (PcCallStats *stats)
{
  if (stats == NULL)
    return;
  g_free (stats->video_codec);
  g_free (stats->audio_codec);
  g_free (stats->local_candidate_type);
  g_free (stats->remote_candidate_type);
  g_free (stats);
}
