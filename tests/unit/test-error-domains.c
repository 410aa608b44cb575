/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every project error domain by name: the quark string is what GError users see, and
 * clang-format once turned a G_DEFINE_QUARK name into "pc - call - error - quark". */
#include "config.h"

#include "pc-call-manager.h"
#include "pc-protocol.h"
#include "pc-signaling-client.h"

static void
check_domain (GQuark domain, const char *name)
{
  g_autoptr (GError) error = g_error_new_literal (domain, 0, "x");

  g_assert_cmpstr (g_quark_to_string (domain), ==, name);
  g_assert_cmpuint (domain, ==, g_quark_from_string (name));
  g_assert_true (g_error_matches (error, domain, 0));
}

static void
test_call_error (void)
{
  check_domain (PC_CALL_ERROR, "pc-call-error-quark");
}

static void
test_media_error (void)
{
  check_domain (PC_MEDIA_ERROR, "pc-media-error-quark");
}

static void
test_protocol_error (void)
{
  check_domain (PC_PROTOCOL_ERROR, "pc-protocol-error-quark");
}

static void
test_signaling_error (void)
{
  check_domain (PC_SIGNALING_ERROR, "pc-signaling-error-quark");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/error-domains/call", test_call_error);
  g_test_add_func ("/error-domains/media", test_media_error);
  g_test_add_func ("/error-domains/protocol", test_protocol_error);
  g_test_add_func ("/error-domains/signaling", test_signaling_error);
  return g_test_run ();
}
