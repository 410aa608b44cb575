/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pc-sdp.h"

/* Payload type the remote offer uses for @encoding in its first @media_type m-line, or -1. */
gint
pc_sdp_find_pt (const GstSDPMessage *sdp, const char *media_type, const char *encoding)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

      if (g_strcmp0 (gst_sdp_media_get_media (media), media_type) != 0)
        continue;
      for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
        {
          const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
          char name[32];
          int pt;

          if (g_strcmp0 (attr->key, "rtpmap") != 0 || attr->value == NULL)
            continue;
          if (sscanf (attr->value, "%d %31[^/]", &pt, name) == 2
              && g_ascii_strcasecmp (name, encoding) == 0)
            return pt;
        }
      return -1;
    }
  return -1;
}

char *
pc_sdp_fmtp_value (const GstSDPMedia *media, gint pt, const char *key)
{
  for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
    {
      const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
      g_auto (GStrv) params = NULL;
      char *end = NULL;

      if (g_strcmp0 (attr->key, "fmtp") != 0 || attr->value == NULL
          || g_ascii_strtoll (attr->value, &end, 10) != pt || end == attr->value || *end != ' ')
        continue;
      params = g_strsplit (end + 1, ";", -1);
      for (guint i = 0; params[i]; i++)
        {
          char *param = g_strstrip (params[i]);
          gsize len = strlen (key);

          if (g_ascii_strncasecmp (param, key, len) == 0 && param[len] == '=')
            return g_strdup (param + len + 1);
        }
    }
  return NULL;
}

/* The video codec to answer with: the first one in the remote's order of preference (its
 * first video m-line's format list) that we can send and receive (H.264 only when @h264_usable).
 * H.264 only in the packetization mode and baseline profiles every browser decodes. */
gboolean
pc_sdp_pick_video_codec (const GstSDPMessage *sdp,
                         gboolean h264_usable,
                         PcVideoCodec *codec,
                         gint *pt,
                         char **profile_level_id)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

      if (g_strcmp0 (gst_sdp_media_get_media (media), "video") != 0)
        continue;
      for (guint f = 0; f < gst_sdp_media_formats_len (media); f++)
        {
          gint format = (gint)g_ascii_strtoll (gst_sdp_media_get_format (media, f), NULL, 10);

          for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
            {
              const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
              char name[32];
              int rtpmap_pt;

              if (g_strcmp0 (attr->key, "rtpmap") != 0 || attr->value == NULL
                  || sscanf (attr->value, "%d %31[^/]", &rtpmap_pt, name) != 2
                  || rtpmap_pt != format)
                continue;
              if (g_ascii_strcasecmp (name, "VP8") == 0)
                {
                  *codec = PC_VIDEO_CODEC_VP8;
                  *pt = format;
                  return TRUE;
                }
              if (g_ascii_strcasecmp (name, "H264") == 0 && h264_usable)
                {
                  g_autofree char *mode = pc_sdp_fmtp_value (media, format, "packetization-mode");
                  g_autofree char *plid = pc_sdp_fmtp_value (media, format, "profile-level-id");

                  /* 42xxxx: (constrained) baseline */
                  if (g_strcmp0 (mode, "1") == 0 && plid && strlen (plid) == 6
                      && g_ascii_strncasecmp (plid, "42", 2) == 0)
                    {
                      *codec = PC_VIDEO_CODEC_H264;
                      *pt = format;
                      *profile_level_id = g_ascii_strdown (plid, -1);
                      return TRUE;
                    }
                }
            }
        }
      return FALSE;
    }
  return FALSE;
}

gint
pc_sdp_find_extmap (const GstSDPMessage *sdp, const char *uri)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

      for (guint a = 0; a < gst_sdp_media_attributes_len (media); a++)
        {
          const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, a);
          char found[256];
          int id;

          if (g_strcmp0 (attr->key, "extmap") != 0 || attr->value == NULL)
            continue;
          if (sscanf (attr->value, "%d%*[^ ] %255s", &id, found) == 2
              || sscanf (attr->value, "%d %255s", &id, found) == 2)
            if (g_str_equal (found, uri))
              return id;
        }
    }
  return -1;
}

/* A remote m-line the peer sends on: not recvonly/inactive, and not rejected (port 0 without
 * bundle-only; max-bundle offers give bundle-only m-lines port 0). */
gboolean
pc_sdp_media_sends (const GstSDPMedia *media)
{
  if (gst_sdp_media_get_attribute_val (media, "inactive") != NULL
      || gst_sdp_media_get_attribute_val (media, "recvonly") != NULL)
    return FALSE;
  return gst_sdp_media_get_port (media) != 0
         || gst_sdp_media_get_attribute_val (media, "bundle-only") != NULL;
}

/* TRUE when some video m-line of @sdp sends. */
gboolean
pc_sdp_sends_video (const GstSDPMessage *sdp)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

      if (g_strcmp0 (gst_sdp_media_get_media (media), "video") == 0 && pc_sdp_media_sends (media))
        return TRUE;
    }
  return FALSE;
}
