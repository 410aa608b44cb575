/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-screencast-x11.h: PcScreencast's X11 fallback (no portal): checks that the display, and the
 * window when one is asked for, can be captured before ximagesrc is made. Private to media/;
 * keeps Xlib's names out of pc-screencast.c. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Opens @display (NULL: $DISPLAY) and returns the size of @window (0: the whole screen). Fails
 * with PC_MEDIA_ERROR_SCREENCAST when there is no display, or the window does not exist or is
 * not shown: ximagesrc would exit the process on a stale window id. */
gboolean pc_screencast_x11_probe (
    const char *display, gulong window, guint *out_width, guint *out_height, GError **error);

G_END_DECLS
