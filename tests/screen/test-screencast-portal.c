/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-screencast-portal.c: PcScreencast's portal path where the portal cannot share a screen.
 * run-private-bus starts a private session bus, either with no portal at all (absent) or with
 * the real xdg-desktop-portal and no desktop backend (no-backend), which has no ScreenCast
 * interface. Both must end in a clear PC_MEDIA_ERROR_SCREENCAST, quickly, with no crash and
 * nothing left active. There is no fake portal here: a successful share needs a real desktop
 * (README: "Screen sharing: testing the portal by hand"). */
#include "config.h"

#include "pc-call-session.h"
#include "pc-screencast.h"

typedef struct
{
  gboolean done;
  gboolean ok;
  GError *error;
} StartResult;

static void
on_start_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StartResult *r = user_data;

  r->ok = pc_screencast_start_finish (PC_SCREENCAST (source), result, &r->error);
  r->done = TRUE;
}

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/* Starts and waits on the main context, bounded: the refusal must come within 30 s (the portal
 * is activated on demand; the request itself answers in well under a second here). */
static void
start_and_wait (PcScreencast *sc, GCancellable *cancellable, StartResult *r)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (30, on_deadline, &expired);
  gint64 start = g_get_monotonic_time ();

  pc_screencast_start_async (sc, NULL, cancellable, on_start_done, r);
  while (!r->done && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  g_assert_true (r->done);
  g_test_message ("answered in %" G_GINT64_FORMAT " ms: %s",
                  (g_get_monotonic_time () - start) / 1000,
                  r->error ? r->error->message : "success");
}

static const char *
mode (void)
{
  const char *m = g_getenv ("PEERCALL_TEST_PORTAL");

  return m != NULL ? m : "absent";
}

static void
assert_refused (StartResult *r)
{
  g_assert_false (r->ok);
  g_assert_error (r->error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST);
  /* The message is for a person: no raw D-Bus error names. */
  g_assert_null (strstr (r->error->message, "GDBus.Error"));
  if (g_str_equal (mode (), "absent"))
    g_assert_nonnull (strstr (r->error->message, "xdg-desktop-portal"));
  else
    g_assert_nonnull (strstr (r->error->message, "no screen casting"));
}

static void
test_refused (void)
{
  g_autoptr (PcScreencast) sc = pc_screencast_new (PC_SCREENCAST_BACKEND_PORTAL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) bin = NULL;
  StartResult r = { 0 };

  g_object_set (sc, "persist-mode", PC_SCREENCAST_PERSIST_PERSISTENT, "restore-token", "stale",
                NULL);
  start_and_wait (sc, NULL, &r);
  assert_refused (&r);
  g_assert_false (pc_screencast_get_active (sc));
  /* A failed request keeps the stored token for the next try. */
  g_assert_cmpstr (pc_screencast_get_restore_token (sc), ==, "stale");

  /* No session: no source bin either. */
  bin = pc_screencast_create_source (sc, &error);
  g_assert_null (bin);
  g_assert_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST);

  /* And it can be asked again (a second click on "Share screen"). */
  g_clear_error (&r.error);
  r.done = FALSE;
  start_and_wait (sc, NULL, &r);
  assert_refused (&r);
  g_clear_error (&r.error);
}

/* On Wayland "auto" must go to the portal (ximagesrc would only see Xwayland windows). */
static void
test_auto_on_wayland (void)
{
  g_autoptr (PcScreencast) sc = NULL;
  StartResult r = { 0 };

  g_setenv ("WAYLAND_DISPLAY", "wayland-peercall-test", TRUE);
  g_setenv ("DISPLAY", ":4242", TRUE);
  sc = pc_screencast_new (PC_SCREENCAST_BACKEND_AUTO);
  g_assert_cmpint (pc_screencast_get_effective_backend (sc), ==, PC_SCREENCAST_BACKEND_PORTAL);
  start_and_wait (sc, NULL, &r);
  assert_refused (&r);
  g_clear_error (&r.error);
  g_unsetenv ("WAYLAND_DISPLAY");
  g_unsetenv ("DISPLAY");
}

/* The caller giving up is G_IO_ERROR_CANCELLED, as everywhere in GIO. */
static void
test_cancelled (void)
{
  g_autoptr (PcScreencast) sc = pc_screencast_new (PC_SCREENCAST_BACKEND_PORTAL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  StartResult r = { 0 };

  g_cancellable_cancel (cancellable);
  start_and_wait (sc, cancellable, &r);
  g_assert_false (r.ok);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&r.error);
}

/* stop() while the request is in flight ends it at once with CANCELLED. */
static void
test_stop_while_pending (void)
{
  g_autoptr (PcScreencast) sc = pc_screencast_new (PC_SCREENCAST_BACKEND_PORTAL);
  StartResult r = { 0 };

  pc_screencast_start_async (sc, NULL, NULL, on_start_done, &r);
  pc_screencast_stop (sc);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (r.ok);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&r.error);
  /* Let libportal's own late callbacks run and find nothing to do. */
  for (int i = 0; i < 50 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* No session bus at all (in a subprocess: GDBus caches the bus it found). */
static void
test_no_bus (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (PcScreencast) sc = NULL;
      StartResult r = { 0 };

      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/peercall-bus", TRUE);
      sc = pc_screencast_new (PC_SCREENCAST_BACKEND_PORTAL);
      start_and_wait (sc, NULL, &r);
      g_assert_error (r.error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST);
      g_assert_nonnull (strstr (r.error->message, "session bus"));
      g_clear_error (&r.error);
      return;
    }
  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  /* No gst_init(): the refusal comes before any element is made. */
  g_test_init (&argc, &argv, NULL);

  if (!HAVE_LIBPORTAL)
    {
      g_test_skip ("built without libportal");
      return 77;
    }

  g_test_add_func ("/screencast/portal/refused", test_refused);
  g_test_add_func ("/screencast/portal/auto-on-wayland", test_auto_on_wayland);
  g_test_add_func ("/screencast/portal/cancelled", test_cancelled);
  g_test_add_func ("/screencast/portal/stop-while-pending", test_stop_while_pending);
  g_test_add_func ("/screencast/portal/no-bus", test_no_bus);

  return g_test_run ();
}
