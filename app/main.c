/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "pc-application.h"
#include "pc-headless.h"
#include "pc-options.h"

int
main (int argc, char **argv)
{
  g_autoptr (PcApplication) app = NULL;
  int status;

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
