/* SPDX-License-Identifier: GPL-3.0-or-later */
/* screen-pattern.h: puts a known pattern on an X screen (Xvfb in tests) with plain Xlib:
 * windows whose background the X server paints itself, so nothing races with Expose. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint8 r, g, b;
} ScreenColour;

/* The full-screen pattern: four quadrants. */
#define SCREEN_PATTERN_TOP_LEFT ((ScreenColour){ 255, 0, 0 })       /* red */
#define SCREEN_PATTERN_TOP_RIGHT ((ScreenColour){ 0, 255, 0 })      /* green */
#define SCREEN_PATTERN_BOTTOM_LEFT ((ScreenColour){ 0, 0, 255 })    /* blue */
#define SCREEN_PATTERN_BOTTOM_RIGHT ((ScreenColour){ 255, 255, 0 }) /* yellow */
/* The window pattern: left half, right half. */
#define SCREEN_PATTERN_WINDOW_LEFT ((ScreenColour){ 255, 0, 255 })  /* magenta */
#define SCREEN_PATTERN_WINDOW_RIGHT ((ScreenColour){ 0, 255, 255 }) /* cyan */

typedef struct _ScreenPattern ScreenPattern;

/* Covers the whole screen of display_name (NULL: $DISPLAY) with the quadrants; returns NULL and
 * sets error when the display cannot be opened. */
ScreenPattern *screen_pattern_show (const char *display_name, GError **error);
void screen_pattern_get_size (ScreenPattern *pattern, guint *width, guint *height);
/* A width x height window at (x, y) above the quadrants, halves magenta / cyan; returns its XID. */
gulong screen_pattern_add_window (ScreenPattern *pattern, int x, int y, guint width, guint height);
void screen_pattern_remove_window (ScreenPattern *pattern, gulong xid);
void screen_pattern_free (ScreenPattern *pattern);

/* Paints @value as DESIGN.md's latency stamp (rows [0, h/16), 34 columns, bits 31..0) over the
 * top of the screen, so a receiver with --latency-probe reads every shared frame back. */
void screen_pattern_paint_stamp (ScreenPattern *pattern, guint32 value);

/* The colour the pattern has at (x, y) of a frame of frame_w x frame_h scaled from the screen. */
ScreenColour screen_pattern_expected (guint frame_w, guint frame_h, guint x, guint y);

/* |a - b| <= tolerance on every channel. */
gboolean screen_colour_near (ScreenColour a, ScreenColour b, guint tolerance);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ScreenPattern, screen_pattern_free)

G_END_DECLS
