/* SPDX-License-Identifier: GPL-3.0-or-later */
/* peercall-screen-pattern: covers $DISPLAY with the screen sharing tests' known pattern, prints
 * "ready WIDTHxHEIGHT" once the X server has painted it, and keeps it there until stdin closes
 * or the process is terminated. With --stamp it also repaints DESIGN.md's latency stamp (wall
 * clock) across the top every 10 ms, so a receiver with --latency-probe can time every shared
 * frame it decodes. */
#include <gio/gio.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "screen-pattern.h"

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ScreenPattern) pattern = NULL;
  gboolean stamp = argc > 1 && g_str_equal (argv[1], "--stamp");
  guint w, h;

  if (argc > 2 || (argc == 2 && !stamp))
    {
      g_printerr ("usage: peercall-screen-pattern [--stamp]\n");
      return 2;
    }
  pattern = screen_pattern_show (NULL, &error);
  if (pattern == NULL)
    {
      g_printerr ("peercall-screen-pattern: %s\n", error->message);
      return 1;
    }
  if (stamp)
    screen_pattern_paint_stamp (pattern, (guint32)(g_get_real_time () / 1000));
  screen_pattern_get_size (pattern, &w, &h);
  printf ("ready %ux%u\n", w, h);
  fflush (stdout);

  for (;;)
    {
      struct pollfd fd = { .fd = STDIN_FILENO, .events = POLLIN };
      char buf[256];
      int n = poll (&fd, 1, stamp ? 10 : -1);

      if (n < 0)
        continue;
      if (n > 0 && read (STDIN_FILENO, buf, sizeof buf) <= 0)
        break;
      if (stamp)
        screen_pattern_paint_stamp (pattern, (guint32)(g_get_real_time () / 1000));
    }
  return 0;
}
