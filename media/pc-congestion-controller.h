/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-congestion-controller.h: the sender-side bandwidth estimate of a call, in the spirit of
 * Google Congestion Control (draft-ietf-rmcat-gcc): a delay-based estimate from per-packet
 * transport-wide feedback (trendline over inter-group delay variation, overuse detector with an
 * adaptive threshold, AIMD rate control) bounded by a loss-based estimate. No GStreamer
 * elements, no GTK: it is fed packets and times, so a unit test can drive it. */
#pragma once

#include <glib-object.h>
#include <gst/gst.h>

G_BEGIN_DECLS

/* One sent packet as transport-wide feedback reports it. Times in microseconds on two
 * unrelated clocks: only differences within each clock mean anything. */
typedef struct
{
  guint16 seqnum;       /* transport-wide sequence number */
  gint64 send_time_us;  /* when we sent it (local clock) */
  gint64 arrival_us;    /* when the peer received it (its clock); -1 when lost */
  guint size;           /* bytes on the wire (RTP packet) */
} PcTwccPacket;

typedef enum
{
  PC_BANDWIDTH_USAGE_NORMAL,
  PC_BANDWIDTH_USAGE_UNDERUSING,
  PC_BANDWIDTH_USAGE_OVERUSING,
} PcBandwidthUsage;

#define PC_TYPE_CONGESTION_CONTROLLER (pc_congestion_controller_get_type ())
G_DECLARE_FINAL_TYPE (PcCongestionController,
                      pc_congestion_controller,
                      PC,
                      CONGESTION_CONTROLLER,
                      GObject)

PcCongestionController *pc_congestion_controller_new (guint start_bps, guint min_bps, guint max_bps);

/* One feedback report, packets in the order the report lists them; now_us is when it arrived
 * (local clock, same as send_time_us). Returns TRUE when the target bitrate changed. */
gboolean pc_congestion_controller_on_feedback (PcCongestionController *self,
                                               const PcTwccPacket *packets,
                                               guint n_packets,
                                               gint64 now_us);
/* An RTCP receiver report's fraction lost (0..1) for our video, and its round-trip time in ms
 * (-1 when unknown). Returns TRUE when the target bitrate changed. */
gboolean pc_congestion_controller_on_loss_report (PcCongestionController *self,
                                                  double fraction_lost,
                                                  double rtt_ms,
                                                  gint64 now_us);

/* The rate the whole call may send at (bits/s): min (delay-based, loss-based). */
guint pc_congestion_controller_get_target_bitrate (PcCongestionController *self);
/* The delay-based estimate alone (bits/s). */
guint pc_congestion_controller_get_delay_estimate (PcCongestionController *self);
/* What the feedback says arrived at the peer over the last ~500 ms (bits/s); 0 when unknown. */
guint pc_congestion_controller_get_acked_bitrate (PcCongestionController *self);
PcBandwidthUsage pc_congestion_controller_get_usage (PcCongestionController *self);
/* The last trendline slope, scaled as the overuse detector compares it (for stats/debugging). */
double pc_congestion_controller_get_delay_trend (PcCongestionController *self);
/* Bounds change when the content changes (a shared screen needs more). */
void pc_congestion_controller_set_bounds (PcCongestionController *self,
                                          guint min_bps,
                                          guint max_bps);

/* Reads GStreamer's "RTPTWCCPackets" upstream event structure (rtpsession: a "packets" array of
 * "RTPTWCCPacket" structures with seqnum, local-ts, remote-ts, size, lost) into @packets.
 * Returns FALSE, with @packets untouched, when @s is not such a structure. */
gboolean pc_twcc_packets_from_structure (const GstStructure *s, GArray *packets);

G_END_DECLS
