/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-sdp.h: pure readers of SDP messages (no webrtcbin, no state): payload types, fmtp
 * parameters, header extensions, the codec to answer with, and who sends media. */
#pragma once

#include <gst/sdp/sdp.h>

#include "pc-codec.h"

G_BEGIN_DECLS

gint pc_sdp_find_pt (const GstSDPMessage *sdp, const char *media_type, const char *encoding);
char *pc_sdp_fmtp_value (const GstSDPMedia *media, gint pt, const char *key);
gint pc_sdp_find_extmap (const GstSDPMessage *sdp, const char *uri);
gboolean pc_sdp_pick_video_codec (const GstSDPMessage *sdp,
                                  gboolean h264_usable,
                                  PcVideoCodec *codec,
                                  gint *pt,
                                  char **profile_level_id);
gboolean pc_sdp_media_sends (const GstSDPMedia *media);
gboolean pc_sdp_sends_video (const GstSDPMessage *sdp);

G_END_DECLS
