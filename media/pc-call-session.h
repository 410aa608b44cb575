/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-call-session.h: one webrtcbin peer connection (audio + video, DTLS-SRTP, trickle ICE). */
#pragma once

#include <gst/gst.h>

#include "pc-call-stats.h"
#include "pc-ice-config.h"
#include "pc-media-error.h"
#include "pc-media-prepare.h"
#include "pc-media-source.h"
#include "pc-screencast.h"

G_BEGIN_DECLS

typedef enum
{
  PC_CONNECTION_STATE_NEW,
  PC_CONNECTION_STATE_CONNECTING,
  PC_CONNECTION_STATE_CONNECTED,
  PC_CONNECTION_STATE_DISCONNECTED,
  PC_CONNECTION_STATE_FAILED,
  PC_CONNECTION_STATE_CLOSED,
} PcConnectionState;

#define PC_TYPE_CALL_SESSION (pc_call_session_get_type ())
G_DECLARE_FINAL_TYPE (PcCallSession, pc_call_session, PC, CALL_SESSION, GObject)

/* Properties:
 *   "ice-config"      PcIceConfig*   construct-only
 *   "polite"          gboolean       construct-only (perfect negotiation; the callee is polite)
 *   "video-source"    PcMediaSourceKind  construct; change it live with set_video_source
 *   "audio-source"    PcMediaSourceKind  construct
 *   "latency-probe"   gboolean       construct-only: decode the latency stamp on received video
 *   "jitterbuffer-latency" guint     construct-only, ms (default 50, env PEERCALL_JITTERBUFFER_LATENCY)
 *   "video-width", "video-height", "video-fps"  guint  construct-only send size (0: the test
 *                                    size, 640x480 or PEERCALL_TEST_VIDEO_SIZE=WxH; 30 fps)
 *   "connection-state" PcConnectionState  read-only, notify on change
 *   "ice-connection-state" char*   read-only ("new", "checking", "connected", "completed",
 *                                   "failed", "disconnected", "closed"), notify on change
 *   "muted", "camera-enabled"  gboolean  read-write, no renegotiation
 *
 * Signals (always emitted on the main context the session was created in, never on a
 * streaming thread):
 *   "local-description" (const char *sdp_type, const char *sdp)           send as `sdp`
 *   "local-candidate"   (const char *candidate, const char *sdp_mid, gint mline_index)
 *                        candidate == NULL: end of candidates             send as `ice`
 *   "ice-state"         (const char *state, const char *local_type, const char *remote_type)
 *                        types non-NULL once a pair is selected
 *   "first-frame"       (const char *kind, guint width, guint height)     kind "video"/"audio"
 *                        "video" is the main remote video: the first video m-line of the
 *                        remote description
 *   "remote-track"      (const char *kind, const char *mid, guint width, guint height)
 *                        kind "video": first decoded frame of a further remote video m-line
 *                        (e.g. a browser's addTrack screen share); see set_extra_video_func
 *   "remote-track-ended" (const char *mid)  that m-line stopped (its chain is gone)
 *   "stats"             (PcCallStats *stats)                              every second while connected
 *   "latency"           (double ms)                                       with latency-probe, per frame
 *   "media-error"       (GError *error)     non-fatal: e.g. camera missing -> audio-only
 *   "failed"            (GError *error)     fatal: ICE failed, pipeline error
 */

PcCallSession *pc_call_session_new (PcIceConfig *ice_config,
                                    gboolean polite,
                                    PcMediaSourceKind video_source,
                                    PcMediaSourceKind audio_source);

/* Builds the pipeline and starts gathering. offerer = TRUE creates the first offer right away
 * (the caller, once `accept` arrived); the answerer waits for set_remote_description. */
gboolean pc_call_session_start (PcCallSession *self, gboolean offerer, GError **error);

/* Applies an offer or answer from the peer; an offer is answered automatically (perfect
 * negotiation: an impolite peer ignores a colliding offer, a polite one rolls back). */
gboolean pc_call_session_set_remote_description (PcCallSession *self,
                                                 const char *sdp_type,
                                                 const char *sdp,
                                                 GError **error);

/* Queued until the remote description is set. candidate == NULL: end of remote candidates. */
void pc_call_session_add_remote_candidate (PcCallSession *self,
                                           const char *candidate,
                                           const char *sdp_mid,
                                           gint sdp_mline_index);

void pc_call_session_set_muted (PcCallSession *self, gboolean muted);
gboolean pc_call_session_get_muted (PcCallSession *self);
void pc_call_session_set_camera_enabled (PcCallSession *self, gboolean enabled);
gboolean pc_call_session_get_camera_enabled (PcCallSession *self);
/* Switches the outgoing video (camera <-> screen <-> test <-> none) on the same sender, no
 * renegotiation, and forces a keyframe. SCREEN takes its frames from the session's PcScreencast
 * (see set_screencast; without one the session makes its own, which works on X11 only), sends
 * the screen at its own size (no letterboxing into video-width x video-height) with encoder
 * settings for screen content, and goes back to the previous kind with a "media-error"
 * (PC_MEDIA_ERROR_SCREENCAST, "Screen sharing ended") and notify::video-source when the
 * screencast emits "closed". On failure the previous source keeps running and the error is
 * reported once: through @error when given, else as "media-error". */
gboolean pc_call_session_set_video_source (PcCallSession *self, PcMediaSourceKind kind, GError **error);
PcMediaSourceKind pc_call_session_get_video_source (PcCallSession *self);
/* The capture to use for PC_MEDIA_SOURCE_SCREEN, already started by the UI (portal dialog).
 * The session keeps a reference and never stops one it was given; set it before switching to
 * SCREEN. Set while sharing, the capture moves to the new one at once (NULL ends the share). */
void pc_call_session_set_screencast (PcCallSession *self, PcScreencast *screencast);
PcScreencast *pc_call_session_get_screencast (PcCallSession *self); /* nullable, owned */
/* Asks the peer for a keyframe (RTCP PLI from our receiver), e.g. when video is shown again. */
void pc_call_session_request_keyframe (PcCallSession *self);

PcConnectionState pc_call_session_get_connection_state (PcCallSession *self);
const char *pc_call_session_get_ice_connection_state (PcCallSession *self);
PcCallStats *pc_call_session_get_last_stats (PcCallSession *self); /* nullable, owned */
/* Remote video frames decoded so far (thread-safe). */
guint64 pc_call_session_get_frames_decoded (PcCallSession *self);

/* Main video counters (thread-safe): frames and keyframes out of our encoder, keyframes out of
 * the main remote video's depayloader. Any may be NULL. */
void pc_call_session_get_video_counters (PcCallSession *self,
                                         guint64 *frames_encoded,
                                         guint64 *keyframes_encoded,
                                         guint64 *keyframes_received);
/* The jitterbuffer latency now (ms): starts at "jitterbuffer-latency" and doubles (up to
 * 400 ms) while packets keep arriving after the jitterbuffer gave them up. */
guint pc_call_session_get_jitterbuffer_latency (PcCallSession *self);

/* Remote/local video for the UI: a GStreamer-thread-safe frame consumer. The session calls
 * `func` on its streaming thread with each decoded BGRA sample; the receiver must hand it to the
 * main context itself (PcVideoPaintable does). */
typedef void (*PcVideoFrameFunc) (GstSample *sample, gpointer user_data);
void pc_call_session_set_remote_video_func (PcCallSession *self,
                                            PcVideoFrameFunc func,
                                            gpointer user_data,
                                            GDestroyNotify destroy);
void pc_call_session_set_local_video_func (PcCallSession *self,
                                           PcVideoFrameFunc func,
                                           gpointer user_data,
                                           GDestroyNotify destroy);

/* Further remote video tracks (m-lines after the first video one), by their SDP mid as
 * announced by "remote-track": the same kind of consumer as the remote video func. Returns
 * FALSE (and calls @destroy at once) when there is no such track; the consumer is dropped
 * (@destroy called) when the track ends or the session closes. */
gboolean pc_call_session_set_extra_video_func (PcCallSession *self,
                                               const char *mid,
                                               PcVideoFrameFunc func,
                                               gpointer user_data,
                                               GDestroyNotify destroy);
/* Frames decoded so far on that extra track (0 when unknown); thread-safe. */
guint64 pc_call_session_get_extra_frames_decoded (PcCallSession *self, const char *mid);

/* Stops media and closes the peer connection; idempotent. */
void pc_call_session_close (PcCallSession *self);

G_END_DECLS
