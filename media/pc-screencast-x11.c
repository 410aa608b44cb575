/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-screencast-x11.c: PcScreencast's X11 fallback, the only code in media/ that talks Xlib
 * (see pc-screencast-x11.h). */
#define G_LOG_DOMAIN "peercall-screencast"

#include "config.h"

#include "pc-media-error.h"
#include "pc-screencast-x11.h"

#include <X11/Xlib.h>

/* XGetWindowAttributes on a stale XID runs Xlib's default error handler, which exits the
 * process (and ximagesrc does exactly that with a bad "xid"): walk the tree instead. */
static gboolean
x11_window_exists (Display *dpy, Window parent, Window wanted, guint depth)
{
  Window root_return, parent_return;
  Window *children = NULL;
  unsigned int n_children = 0;
  gboolean found = FALSE;

  if (depth > 64 || !XQueryTree (dpy, parent, &root_return, &parent_return, &children, &n_children))
    return FALSE;

  for (unsigned int i = 0; i < n_children && !found; i++)
    found = children[i] == wanted || x11_window_exists (dpy, children[i], wanted, depth + 1);

  if (children != NULL)
    XFree (children);
  return found;
}

gboolean
pc_screencast_x11_probe (
    const char *display, gulong window, guint *out_width, guint *out_height, GError **error)
{
  const char *name = display != NULL ? display : g_getenv ("DISPLAY");
  Display *dpy;
  gboolean ok = TRUE;

  if (name == NULL || *name == '\0')
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST,
                   "No screen to capture: DISPLAY is not set and the screen sharing portal "
                   "was not used");
      return FALSE;
    }

  dpy = XOpenDisplay (name);
  if (dpy == NULL)
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST,
                   "No screen to capture: cannot open X display “%s”", name);
      return FALSE;
    }

  if (window != 0)
    {
      XWindowAttributes attrs;

      if (!x11_window_exists (dpy, DefaultRootWindow (dpy), window, 0))
        {
          g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST,
                       "The window to share (0x%lx) does not exist on display “%s”", window, name);
          ok = FALSE;
        }
      else if (!XGetWindowAttributes (dpy, window, &attrs) || attrs.map_state != IsViewable)
        {
          g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST,
                       "The window to share (0x%lx) is not shown on screen", window);
          ok = FALSE;
        }
      else
        {
          *out_width = attrs.width;
          *out_height = attrs.height;
        }
    }
  else
    {
      *out_width = DisplayWidth (dpy, DefaultScreen (dpy));
      *out_height = DisplayHeight (dpy, DefaultScreen (dpy));
    }

  XCloseDisplay (dpy);
  return ok;
}
