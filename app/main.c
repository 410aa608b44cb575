/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "pc-application.h"
#include "pc-headless.h"
#include "pc-options.h"

/* Codecs allocate and clear megabytes per instance (libvpx ~10 MB at 640x480). From fresh
 * mappings each page is a fault, and on a VM those made a call's first encoder cost 60-140 ms
 * between accept and the first frame. Kept in one heap and not handed back, the memory of the
 * start-up warm-up (pc_call_session_prepare) and of earlier calls is reused. */
static void
keep_freed_memory (void)
{
#ifdef __GLIBC__
  mallopt (M_ARENA_MAX, 1);
  mallopt (M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt (M_TRIM_THRESHOLD, 128 * 1024 * 1024);
#endif
}

int
main (int argc, char **argv)
{
  g_autoptr (PcApplication) app = NULL;
  int status;

  keep_freed_memory ();
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* --headless must not touch GTK (no display) nor GApplication (no D-Bus session): it takes a
   * path of its own with the same options. */
  if (pc_options_argv_has_headless (argc, argv))
    return pc_headless_run (argc, argv);

  app = pc_application_new ();
  status = g_application_run (G_APPLICATION (app), argc, argv);
  return pc_application_get_exit_status (app, status);
}
