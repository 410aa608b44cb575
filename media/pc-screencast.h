/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-screencast.h: screen capture for screen sharing: the xdg-desktop-portal ScreenCast portal +
 * PipeWire on Wayland / inside Flatpak, ximagesrc on X11. */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum
{
  PC_SCREENCAST_BACKEND_AUTO,   /* portal in Flatpak or on Wayland, X11 when only DISPLAY is set */
  PC_SCREENCAST_BACKEND_PORTAL, /* org.freedesktop.portal.ScreenCast on the session bus */
  PC_SCREENCAST_BACKEND_X11,    /* ximagesrc on $DISPLAY (or "x11-display") */
} PcScreencastBackend;

/* What the portal dialog offers (X11 captures the whole screen, or "x11-window"). */
typedef enum /*< flags >*/
{
  PC_SCREENCAST_TARGET_MONITOR = 1 << 0,
  PC_SCREENCAST_TARGET_WINDOW = 1 << 1,
} PcScreencastTargets;

/* How long the portal remembers the user's choice (portal ScreenCast version >= 4). */
typedef enum
{
  PC_SCREENCAST_PERSIST_NONE,
  PC_SCREENCAST_PERSIST_TRANSIENT,  /* while Peercall runs */
  PC_SCREENCAST_PERSIST_PERSISTENT, /* until the user revokes it: store "restore-token" */
} PcScreencastPersist;

#define PC_TYPE_SCREENCAST_BACKEND (pc_screencast_backend_get_type ())
GType pc_screencast_backend_get_type (void);
#define PC_TYPE_SCREENCAST_TARGETS (pc_screencast_targets_get_type ())
GType pc_screencast_targets_get_type (void);
#define PC_TYPE_SCREENCAST_PERSIST (pc_screencast_persist_get_type ())
GType pc_screencast_persist_get_type (void);

#define PC_SCREENCAST_DEFAULT_FRAMERATE 15
#define PC_SCREENCAST_MIN_FRAMERATE 5
#define PC_SCREENCAST_MAX_FRAMERATE 15
#define PC_SCREENCAST_DEFAULT_MAX_WIDTH 1920
#define PC_SCREENCAST_DEFAULT_MAX_HEIGHT 1080

#define PC_TYPE_SCREENCAST (pc_screencast_get_type ())
G_DECLARE_FINAL_TYPE (PcScreencast, pc_screencast, PC, SCREENCAST, GObject)

/* Properties:
 *   "backend"         PcScreencastBackend  construct (default AUTO)
 *   "targets"         PcScreencastTargets  portal dialog choices (default MONITOR | WINDOW)
 *   "show-cursor"     gboolean   cursor embedded in the frames (default TRUE)
 *   "persist-mode"    PcScreencastPersist  (default TRANSIENT)
 *   "restore-token"   char*      portal restore token: set it from GSettings before starting,
 *                                read it (notify) after a successful start to store it; NULL
 *                                after a portal start that handed back none (single-use)
 *   "framerate"       guint      5..15 frames per second (default 15)
 *   "max-width", "max-height"  guint  output size cap; scaled keeping the aspect ratio
 *                                (default 1920 x 1080, never upscaled)
 *   "x11-display"     char*      X display name (default NULL: $DISPLAY)
 *   "x11-window"      gulong     XID of the window to capture on X11 (default 0: whole screen)
 *   "portal-timeout"  guint      seconds the portal may take to create the session before the
 *                                request fails (default 10; the user's dialog is not bounded)
 *   "active"          gboolean   read-only: a capture session is open
 *
 * Signals (emitted on the main context the object was created in):
 *   "closed" ()   the capture ended without pc_screencast_stop(): the user stopped sharing from
 *                 the shell, the PipeWire stream ended, or the source failed. Go back to the
 *                 camera. Not emitted by pc_screencast_stop().
 */

PcScreencast *pc_screencast_new (PcScreencastBackend backend);

/* The backend AUTO resolves to now (PORTAL or X11), from the environment. */
PcScreencastBackend pc_screencast_get_effective_backend (PcScreencast *self);

/* Opens the capture session: on the portal this shows the desktop's "share your screen" dialog
 * (unless the restore token is still valid), on X11 it checks that the display (and window) can
 * be captured. parent: an XdpParent* the ui layer made with xdp_parent_new_gtk(), or NULL; it is
 * copied. A refused or cancelled dialog, a missing portal or display fail with
 * PC_MEDIA_ERROR_SCREENCAST; cancelling @cancellable fails with G_IO_ERROR_CANCELLED. */
void pc_screencast_start_async (PcScreencast *self,
                                gpointer parent,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
gboolean pc_screencast_start_finish (PcScreencast *self, GAsyncResult *result, GError **error);

/* A new source bin for the open session with one "src" pad: raw video (any format: put a
 * videoconvert after it) at "framerate" fps, at most max-width x max-height, pixel aspect 1/1.
 * Returns a floating reference, like gst_element_factory_make(). On X11 this works without
 * pc_screencast_start_async() (it starts the session synchronously); on the portal the session
 * must have been started. Several bins may be made from one session, one at a time in a
 * pipeline. An EOS from the capture is swallowed by the bin and turns into "closed". */
GstElement *pc_screencast_create_source (PcScreencast *self, GError **error);

/* Call from the bus watch of the pipeline the bin lives in (main context). Returns TRUE when the
 * message is an error or EOS from inside one of this object's bins: the session is then stopped
 * and "closed" emitted; the caller should swap the source back to the camera. */
gboolean pc_screencast_handle_message (PcScreencast *self, GstMessage *message);

/* Closes the portal session / forgets the X11 capture; idempotent, no "closed" signal. Bins
 * already made stop producing (portal) and should be removed by their owner. */
void pc_screencast_stop (PcScreencast *self);

gboolean pc_screencast_get_active (PcScreencast *self);
const char *pc_screencast_get_restore_token (PcScreencast *self);
void pc_screencast_set_restore_token (PcScreencast *self, const char *token);
guint pc_screencast_get_framerate (PcScreencast *self);
void pc_screencast_set_framerate (PcScreencast *self, guint fps);

/* Output size for a capture of width x height under the cap, keeping the aspect ratio and never
 * upscaling (what the bin negotiates; exposed for the UI and the tests). */
void pc_screencast_fit_size (guint width,
                             guint height,
                             guint max_width,
                             guint max_height,
                             guint *out_width,
                             guint *out_height);

G_END_DECLS
