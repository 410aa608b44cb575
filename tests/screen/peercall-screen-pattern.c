/* SPDX-License-Identifier: GPL-3.0-or-later */
/* peercall-screen-pattern: covers $DISPLAY with the screen sharing tests' known pattern, prints
 * "ready WIDTHxHEIGHT" once the X server has painted it, and keeps it there until stdin closes
 * or the process is terminated. */
#include <gio/gio.h>
#include <stdio.h>

#include "screen-pattern.h"

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ScreenPattern) pattern = screen_pattern_show (NULL, &error);
  guint w, h;
  char buf[64];

  if (pattern == NULL)
    {
      g_printerr ("peercall-screen-pattern: %s\n", error->message);
      return 1;
    }
  screen_pattern_get_size (pattern, &w, &h);
  printf ("ready %ux%u\n", w, h);
  fflush (stdout);

  while (fgets (buf, sizeof buf, stdin) != NULL)
    ;
  return 0;
}
