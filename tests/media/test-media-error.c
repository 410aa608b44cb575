/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The media error domain: its quark name is what GError users (and D-Bus error mapping) see,
 * so it must be exactly "pc-media-error-quark" (clang-format once turned the G_DEFINE_QUARK
 * argument into "pc - media - error - quark"). */
#include "config.h"

#include <gst/gst.h>

#include "pc-call-session.h"

static void
test_error_quark_name (void)
{
  g_autoptr (GError) error = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST, "x");

  g_assert_cmpstr (g_quark_to_string (PC_MEDIA_ERROR), ==, "pc-media-error-quark");
  g_assert_cmpuint (PC_MEDIA_ERROR, ==, g_quark_from_string ("pc-media-error-quark"));
  g_assert_true (g_error_matches (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/media/error/quark-name", test_error_quark_name);
  return g_test_run ();
}
