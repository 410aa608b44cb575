/* SPDX-License-Identifier: GPL-3.0-or-later */
/* media/pc-sdp.c on canned SDP: payload types, fmtp, extmap, the codec an answer picks, and
 * which m-lines send. No pipeline, no network. */
#include "config.h"

#include <gst/gst.h>

#include "pc-sdp.h"

#define TWCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

/* A Chromium-like offer: audio first, H.264 (mode 0, then mode 1 baseline, then high) before
 * VP8 in the video m-line's format list, TWCC at id 3, the video bundle-only at port 0. */
static const char *chromium_offer
    = "v=0\r\n"
      "o=- 1 2 IN IP4 127.0.0.1\r\n"
      "s=-\r\n"
      "t=0 0\r\n"
      "a=group:BUNDLE 0 1\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
      "c=IN IP4 0.0.0.0\r\n"
      "a=mid:0\r\n"
      "a=sendrecv\r\n"
      "a=extmap:3 " TWCC "\r\n"
      "a=rtpmap:111 opus/48000/2\r\n"
      "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
      "m=video 0 UDP/TLS/RTP/SAVPF 100 102 104 96\r\n"
      "c=IN IP4 0.0.0.0\r\n"
      "a=mid:1\r\n"
      "a=bundle-only\r\n"
      "a=sendrecv\r\n"
      "a=extmap:3 " TWCC "\r\n"
      "a=rtpmap:100 H264/90000\r\n"
      "a=fmtp:100 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n"
      "a=rtpmap:102 H264/90000\r\n"
      "a=fmtp:102 level-asymmetry-allowed=1; packetization-mode=1; profile-level-id=42E01F\r\n"
      "a=rtpmap:104 H264/90000\r\n"
      "a=fmtp:104 packetization-mode=1;profile-level-id=640032\r\n"
      "a=rtpmap:96 VP8/90000\r\n";

static GstSDPMessage *
parse (const char *text)
{
  GstSDPMessage *sdp = NULL;

  g_assert_cmpint (gst_sdp_message_new_from_text (text, &sdp), ==, GST_SDP_OK);
  return sdp;
}

static void
test_find_pt_and_extmap (void)
{
  g_autoptr (GstSDPMessage) sdp = parse (chromium_offer);

  g_assert_cmpint (pc_sdp_find_pt (sdp, "audio", "OPUS"), ==, 111);
  g_assert_cmpint (pc_sdp_find_pt (sdp, "video", "vp8"), ==, 96);
  /* the first H264 rtpmap, whatever its fmtp */
  g_assert_cmpint (pc_sdp_find_pt (sdp, "video", "H264"), ==, 100);
  g_assert_cmpint (pc_sdp_find_pt (sdp, "video", "AV1"), ==, -1);
  g_assert_cmpint (pc_sdp_find_pt (sdp, "audio", "VP8"), ==, -1);
  g_assert_cmpint (pc_sdp_find_extmap (sdp, TWCC), ==, 3);
  g_assert_cmpint (pc_sdp_find_extmap (sdp, "urn:ietf:params:rtp-hdrext:sdes:mid"), ==, -1);
}

static void
test_fmtp_value (void)
{
  g_autoptr (GstSDPMessage) sdp = parse (chromium_offer);
  const GstSDPMedia *video = gst_sdp_message_get_media (sdp, 1);
  g_autofree char *mode0 = pc_sdp_fmtp_value (video, 100, "packetization-mode");
  g_autofree char *plid = pc_sdp_fmtp_value (video, 102, "profile-level-id");
  g_autofree char *spaced = pc_sdp_fmtp_value (video, 102, "packetization-mode");
  g_autofree char *missing = pc_sdp_fmtp_value (video, 96, "profile-level-id");
  g_autofree char *prefix = pc_sdp_fmtp_value (video, 100, "level");

  g_assert_cmpstr (mode0, ==, "0");
  g_assert_cmpstr (plid, ==, "42E01F");
  g_assert_cmpstr (spaced, ==, "1"); /* "; " separated parameters */
  g_assert_null (missing);
  g_assert_null (prefix); /* a key matches whole, not as a prefix of level-asymmetry-allowed */
}

static void
test_pick_video_codec (void)
{
  g_autoptr (GstSDPMessage) sdp = parse (chromium_offer);
  PcVideoCodec codec = PC_VIDEO_CODEC_VP8;
  g_autofree char *plid = NULL;
  gint pt = -1;

  /* mode 0 (100) is skipped; the baseline mode-1 format (102) wins, in the offer's order */
  g_assert_true (pc_sdp_pick_video_codec (sdp, TRUE, &codec, &pt, &plid));
  g_assert_cmpint (codec, ==, PC_VIDEO_CODEC_H264);
  g_assert_cmpint (pt, ==, 102);
  g_assert_cmpstr (plid, ==, "42e01f"); /* lower-cased */

  /* without a usable H.264 stack the answer falls back to VP8 */
  g_clear_pointer (&plid, g_free);
  g_assert_true (pc_sdp_pick_video_codec (sdp, FALSE, &codec, &pt, &plid));
  g_assert_cmpint (codec, ==, PC_VIDEO_CODEC_VP8);
  g_assert_cmpint (pt, ==, 96);
  g_assert_null (plid);
}

static void
test_pick_video_codec_none (void)
{
  g_autoptr (GstSDPMessage) sdp
      = parse ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
               "m=video 9 UDP/TLS/RTP/SAVPF 98 100\r\n"
               "a=rtpmap:98 VP9/90000\r\n"
               "a=rtpmap:100 H264/90000\r\n"
               "a=fmtp:100 packetization-mode=1;profile-level-id=640032\r\n");
  PcVideoCodec codec = PC_VIDEO_CODEC_VP8;
  g_autofree char *plid = NULL;
  gint pt = -1;

  /* High profile only: nothing every browser decodes */
  g_assert_false (pc_sdp_pick_video_codec (sdp, TRUE, &codec, &pt, &plid));
  g_assert_cmpint (pt, ==, -1);
  g_assert_null (plid);
}

static void
test_media_sends (void)
{
  static const struct
  {
    const char *media;
    gboolean sends;
  } cases[] = {
    { "m=video 9 RTP/AVP 96\r\na=sendrecv\r\n", TRUE },
    { "m=video 9 RTP/AVP 96\r\na=sendonly\r\n", TRUE },
    { "m=video 9 RTP/AVP 96\r\n", TRUE }, /* sendrecv by default */
    { "m=video 9 RTP/AVP 96\r\na=recvonly\r\n", FALSE },
    { "m=video 9 RTP/AVP 96\r\na=inactive\r\n", FALSE },
    { "m=video 0 RTP/AVP 96\r\na=sendrecv\r\n", FALSE },                 /* rejected */
    { "m=video 0 RTP/AVP 96\r\na=bundle-only\r\na=sendrecv\r\n", TRUE }, /* max-bundle offer */
    { "m=video 0 RTP/AVP 96\r\na=bundle-only\r\na=inactive\r\n", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text
          = g_strconcat ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
                         "m=audio 9 RTP/AVP 111\r\na=sendrecv\r\n", cases[i].media, NULL);
      g_autoptr (GstSDPMessage) sdp = parse (text);

      g_test_message ("case %u: %s", i, cases[i].media);
      g_assert_cmpint (pc_sdp_media_sends (gst_sdp_message_get_media (sdp, 1)), ==, cases[i].sends);
      g_assert_cmpint (pc_sdp_sends_video (sdp), ==, cases[i].sends);
    }
}

int
main (int argc, char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sdp/find-pt-and-extmap", test_find_pt_and_extmap);
  g_test_add_func ("/sdp/fmtp-value", test_fmtp_value);
  g_test_add_func ("/sdp/pick-video-codec", test_pick_video_codec);
  g_test_add_func ("/sdp/pick-video-codec-none", test_pick_video_codec_none);
  g_test_add_func ("/sdp/media-sends", test_media_sends);
  return g_test_run ();
}
