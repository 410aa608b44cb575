/* SPDX-License-Identifier: GPL-3.0-or-later */
/* screen-pattern.c: the known pattern the screen sharing tests look for in captured frames. */
#include "screen-pattern.h"

#include <gio/gio.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

struct _ScreenPattern
{
  Display *dpy;
  Window cover;
  guint width;
  guint height;
  Window stamp; /* 0 until the first stamp */
  GC white, black;
};

static unsigned long
colour_pixel (Display *dpy, ScreenColour c)
{
  XColor xc = { 0 };

  xc.red = c.r * 257;
  xc.green = c.g * 257;
  xc.blue = c.b * 257;
  xc.flags = DoRed | DoGreen | DoBlue;
  if (!XAllocColor (dpy, DefaultColormap (dpy, DefaultScreen (dpy)), &xc))
    g_error ("XAllocColor failed for %u,%u,%u", c.r, c.g, c.b);
  return xc.pixel;
}

/* An override-redirect window: no window manager moves it, and the server paints its
 * background on map, so it shows its colour without any drawing code. */
static Window
make_window (Display *dpy, Window parent, int x, int y, guint w, guint h, ScreenColour c)
{
  XSetWindowAttributes attrs = { 0 };

  attrs.override_redirect = True;
  attrs.background_pixel = colour_pixel (dpy, c);
  return XCreateWindow (dpy, parent, x, y, w, h, 0, CopyFromParent, InputOutput, CopyFromParent,
                        CWOverrideRedirect | CWBackPixel, &attrs);
}

ScreenPattern *
screen_pattern_show (const char *display_name, GError **error)
{
  ScreenPattern *p;
  Display *dpy = XOpenDisplay (display_name);
  Window root;
  guint hw, hh;

  if (dpy == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot open X display %s",
                   display_name ? display_name : g_getenv ("DISPLAY"));
      return NULL;
    }

  p = g_new0 (ScreenPattern, 1);
  p->dpy = dpy;
  p->width = DisplayWidth (dpy, DefaultScreen (dpy));
  p->height = DisplayHeight (dpy, DefaultScreen (dpy));
  root = DefaultRootWindow (dpy);
  hw = p->width / 2;
  hh = p->height / 2;

  p->cover = make_window (dpy, root, 0, 0, p->width, p->height, SCREEN_PATTERN_TOP_LEFT);
  make_window (dpy, p->cover, 0, 0, hw, hh, SCREEN_PATTERN_TOP_LEFT);
  make_window (dpy, p->cover, hw, 0, p->width - hw, hh, SCREEN_PATTERN_TOP_RIGHT);
  make_window (dpy, p->cover, 0, hh, hw, p->height - hh, SCREEN_PATTERN_BOTTOM_LEFT);
  make_window (dpy, p->cover, hw, hh, p->width - hw, p->height - hh, SCREEN_PATTERN_BOTTOM_RIGHT);
  XMapSubwindows (dpy, p->cover);
  XMapRaised (dpy, p->cover);
  /* The server has painted every background once the round trip is done. */
  XSync (dpy, False);
  return p;
}

void
screen_pattern_get_size (ScreenPattern *p, guint *width, guint *height)
{
  *width = p->width;
  *height = p->height;
}

gulong
screen_pattern_add_window (ScreenPattern *p, int x, int y, guint width, guint height)
{
  Window w = make_window (p->dpy, DefaultRootWindow (p->dpy), x, y, width, height,
                          SCREEN_PATTERN_WINDOW_LEFT);

  make_window (p->dpy, w, width / 2, 0, width - width / 2, height, SCREEN_PATTERN_WINDOW_RIGHT);
  XMapSubwindows (p->dpy, w);
  XMapRaised (p->dpy, w);
  XSync (p->dpy, False);
  return w;
}

void
screen_pattern_remove_window (ScreenPattern *p, gulong xid)
{
  XDestroyWindow (p->dpy, xid);
  XSync (p->dpy, False);
}

void
screen_pattern_free (ScreenPattern *p)
{
  if (p == NULL)
    return;
  if (p->stamp)
    {
      XFreeGC (p->dpy, p->white);
      XFreeGC (p->dpy, p->black);
    }
  XDestroyWindow (p->dpy, p->cover);
  XCloseDisplay (p->dpy);
  g_free (p);
}

void
screen_pattern_paint_stamp (ScreenPattern *p, guint32 value)
{
  const guint columns = 34;
  guint band = p->height / 16;

  if (p->stamp == 0)
    {
      XGCValues values = { 0 };

      /* Its own window above the quadrants, so their backgrounds never repaint over it. */
      p->stamp = make_window (p->dpy, p->cover, 0, 0, p->width, MAX (band, 1),
                              (ScreenColour){ 0, 0, 0 });
      XMapRaised (p->dpy, p->stamp);
      values.foreground = colour_pixel (p->dpy, (ScreenColour){ 255, 255, 255 });
      p->white = XCreateGC (p->dpy, p->stamp, GCForeground, &values);
      values.foreground = colour_pixel (p->dpy, (ScreenColour){ 0, 0, 0 });
      p->black = XCreateGC (p->dpy, p->stamp, GCForeground, &values);
    }
  /* The column bounds of media/pc-latency-stamp.c: column 0 white, the last black. */
  for (guint col = 0; col < columns; col++)
    {
      guint x0 = col * p->width / columns;
      guint x1 = (col + 1) * p->width / columns;
      gboolean white = col == 0 || (col < columns - 1 && ((value >> (32 - col)) & 1));

      XFillRectangle (p->dpy, p->stamp, white ? p->white : p->black, (int)x0, 0, x1 - x0, band);
    }
  XSync (p->dpy, False);
}

ScreenColour
screen_pattern_expected (guint frame_w, guint frame_h, guint x, guint y)
{
  gboolean right = x >= frame_w / 2;
  gboolean bottom = y >= frame_h / 2;

  if (!bottom)
    return right ? SCREEN_PATTERN_TOP_RIGHT : SCREEN_PATTERN_TOP_LEFT;
  return right ? SCREEN_PATTERN_BOTTOM_RIGHT : SCREEN_PATTERN_BOTTOM_LEFT;
}

gboolean
screen_colour_near (ScreenColour a, ScreenColour b, guint tolerance)
{
  return (guint)ABS ((int)a.r - (int)b.r) <= tolerance
         && (guint)ABS ((int)a.g - (int)b.g) <= tolerance
         && (guint)ABS ((int)a.b - (int)b.b) <= tolerance;
}
