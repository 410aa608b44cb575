/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-screencast-x11.c: PcScreencast's X11 path under Xvfb. A known pattern is put on the
 * screen with Xlib, PcScreencast's bin captures it, and the frames an appsink receives must
 * show it at the right places, at the right size and rate. */
#include <X11/Xlib.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include "pc-call-session.h"
#include "pc-screencast.h"
#include "screen-pattern.h"

/* ximagesrc -> videoscale -> videoconvert of flat colours: only scaling at quadrant edges
 * blends, and the sample points are far from them. */
#define TOLERANCE 24

typedef struct
{
  GstElement *pipeline;
  GstElement *bin;
  GstElement *sink;
} Capture;

static void
capture_free (Capture *c)
{
  gst_element_set_state (c->pipeline, GST_STATE_NULL);
  gst_object_unref (c->pipeline);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Capture, capture_free)

static Capture *
capture_start (PcScreencast *sc)
{
  g_autoptr (GError) error = NULL;
  Capture *c = g_new0 (Capture, 1);
  GstElement *convert;
  g_autoptr (GstCaps) caps = gst_caps_from_string ("video/x-raw,format=BGRx");

  c->bin = pc_screencast_create_source (sc, &error);
  g_assert_no_error (error);
  g_assert_nonnull (c->bin);
  g_assert_true (g_object_is_floating (c->bin));

  c->pipeline = gst_pipeline_new (NULL);
  convert = gst_element_factory_make ("videoconvert", NULL);
  c->sink = gst_element_factory_make ("appsink", NULL);
  g_object_set (c->sink, "caps", caps, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (c->pipeline), c->bin, convert, c->sink, NULL);
  g_assert_true (gst_element_link_many (c->bin, convert, c->sink, NULL));
  g_assert_cmpint (gst_element_set_state (c->pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  return c;
}

/* Bounded: a capture that produces nothing fails the test in 30 s (ASan on a loaded machine is
 * slow), never hangs it. */
static GstSample *
capture_pull (Capture *c)
{
  GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (c->sink), 30 * GST_SECOND);

  if (sample == NULL)
    {
      g_autoptr (GstBus) bus = gst_element_get_bus (c->pipeline);
      g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
      g_autoptr (GError) error = NULL;

      if (msg != NULL)
        gst_message_parse_error (msg, &error, NULL);
      g_error ("no frame captured within 30 s%s%s", error ? ": " : "", error ? error->message : "");
    }
  return sample;
}

static ScreenColour
sample_pixel (GstSample *sample, guint x, guint y)
{
  GstVideoInfo info;
  GstMapInfo map;
  const guint8 *p;
  ScreenColour c;

  g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  g_assert_true (gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ));
  p = map.data + y * GST_VIDEO_INFO_PLANE_STRIDE (&info, 0) + x * 4;
  c.b = p[0];
  c.g = p[1];
  c.r = p[2];
  gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
  return c;
}

/* The four quadrant centres, and points near the outer corners. */
static void
assert_quadrants (GstSample *sample)
{
  GstVideoInfo info;
  guint w, h;
  const double points[][2] = { { 0.25, 0.25 }, { 0.75, 0.25 }, { 0.25, 0.75 }, { 0.75, 0.75 },
                               { 0.05, 0.05 }, { 0.95, 0.05 }, { 0.05, 0.95 }, { 0.95, 0.95 } };

  g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  w = GST_VIDEO_INFO_WIDTH (&info);
  h = GST_VIDEO_INFO_HEIGHT (&info);
  for (guint i = 0; i < G_N_ELEMENTS (points); i++)
    {
      guint x = points[i][0] * w, y = points[i][1] * h;
      ScreenColour got = sample_pixel (sample, x, y);
      ScreenColour want = screen_pattern_expected (w, h, x, y);

      if (!screen_colour_near (got, want, TOLERANCE))
        g_error ("pixel (%u,%u) of %ux%u is %u,%u,%u, expected %u,%u,%u", x, y, w, h, got.r, got.g,
                 got.b, want.r, want.g, want.b);
    }
}

static void
assert_caps (GstSample *sample, guint want_w, guint want_h, int want_fps)
{
  GstVideoInfo info;

  g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  g_assert_cmpuint (GST_VIDEO_INFO_WIDTH (&info), ==, want_w);
  g_assert_cmpuint (GST_VIDEO_INFO_HEIGHT (&info), ==, want_h);
  g_assert_cmpint (GST_VIDEO_INFO_FPS_N (&info), ==, want_fps);
  g_assert_cmpint (GST_VIDEO_INFO_FPS_D (&info), ==, 1);
  g_assert_cmpint (GST_VIDEO_INFO_PAR_N (&info), ==, GST_VIDEO_INFO_PAR_D (&info));
}

static ScreenPattern *
show_pattern (guint *w, guint *h)
{
  g_autoptr (GError) error = NULL;
  ScreenPattern *p = screen_pattern_show (NULL, &error);

  g_assert_no_error (error);
  screen_pattern_get_size (p, w, h);
  return p;
}

/* Whole screen at the defaults: native size up to 1920x1080 (the 2560x1440 run scales down),
 * 15 fps, the pattern where it is on screen. */
static void
test_whole_screen (void)
{
  guint sw, sh, want_w, want_h;
  g_autoptr (ScreenPattern) pattern = show_pattern (&sw, &sh);
  g_autoptr (PcScreencast) sc = pc_screencast_new (PC_SCREENCAST_BACKEND_AUTO);
  g_autoptr (Capture) c = NULL;

  g_assert_cmpint (pc_screencast_get_effective_backend (sc), ==, PC_SCREENCAST_BACKEND_X11);
  g_assert_false (pc_screencast_get_active (sc));

  c = capture_start (sc);
  g_assert_true (pc_screencast_get_active (sc));
  pc_screencast_fit_size (sw, sh, 1920, 1080, &want_w, &want_h);
  g_test_message ("screen %ux%u -> %ux%u", sw, sh, want_w, want_h);
  for (int i = 0; i < 3; i++)
    {
      g_autoptr (GstSample) sample = capture_pull (c);

      assert_caps (sample, want_w, want_h, 15);
      assert_quadrants (sample);
    }
}

/* A lower cap scales keeping the aspect ratio; 5 fps gives frames 200 ms apart. */
static void
test_scaled_slow (void)
{
  guint sw, sh, want_w, want_h;
  g_autoptr (ScreenPattern) pattern = show_pattern (&sw, &sh);
  g_autoptr (PcScreencast) sc = pc_screencast_new (PC_SCREENCAST_BACKEND_X11);
  g_autoptr (Capture) c = NULL;
  GstClockTime last_pts = GST_CLOCK_TIME_NONE;

  g_object_set (sc, "max-width", 640, "max-height", 640, "framerate", 5, NULL);
  c = capture_start (sc);
  pc_screencast_fit_size (sw, sh, 640, 640, &want_w, &want_h);
  g_assert_cmpuint (want_w, ==, 640);
  for (int i = 0; i < 4; i++)
    {
      g_autoptr (GstSample) sample = capture_pull (c);
      GstClockTime pts = GST_BUFFER_PTS (gst_sample_get_buffer (sample));

      assert_caps (sample, want_w, want_h, 5);
      assert_quadrants (sample);
      /* videorate stamps exactly one frame duration apart: this is the rate, not a timing. */
      if (GST_CLOCK_TIME_IS_VALID (last_pts))
        g_assert_cmpuint (pts - last_pts, ==, GST_SECOND / 5);
      last_pts = pts;
    }
}

/* Only the chosen window, at its own size, wherever it is on screen. */
static void
test_window (void)
{
  guint sw, sh;
  g_autoptr (ScreenPattern) pattern = show_pattern (&sw, &sh);
  gulong xid = screen_pattern_add_window (pattern, 40, 30, 320, 240);
  g_autoptr (PcScreencast) sc = pc_screencast_new (PC_SCREENCAST_BACKEND_X11);
  g_autoptr (Capture) c = NULL;
  g_autoptr (GstSample) sample = NULL;
  ScreenColour left, right;

  g_object_set (sc, "x11-window", xid, "show-cursor", FALSE, NULL);
  c = capture_start (sc);
  sample = capture_pull (c);
  assert_caps (sample, 320, 240, 15);
  left = sample_pixel (sample, 80, 120);
  right = sample_pixel (sample, 240, 120);
  g_assert_true (screen_colour_near (left, SCREEN_PATTERN_WINDOW_LEFT, TOLERANCE));
  g_assert_true (screen_colour_near (right, SCREEN_PATTERN_WINDOW_RIGHT, TOLERANCE));

  g_clear_pointer (&c, capture_free);
  screen_pattern_remove_window (pattern, xid);
}

/* A stale XID would make Xlib exit the process inside ximagesrc: it must be a GError. */
static void
test_bad_window (void)
{
  guint sw, sh;
  g_autoptr (ScreenPattern) pattern = show_pattern (&sw, &sh);
  gulong xid = screen_pattern_add_window (pattern, 0, 0, 64, 64);
  g_autoptr (PcScreencast) sc = pc_screencast_new (PC_SCREENCAST_BACKEND_X11);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) bin = NULL;

  screen_pattern_remove_window (pattern, xid);
  g_object_set (sc, "x11-window", xid, NULL);
  bin = pc_screencast_create_source (sc, &error);
  g_assert_null (bin);
  g_assert_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "does not exist"));
  g_assert_false (pc_screencast_get_active (sc));
}

static void
on_start_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;

  if (!pc_screencast_start_finish (PC_SCREENCAST (source), result, error))
    g_assert_nonnull (*error);
  else
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no error");
}

/* No X server to talk to: a clear error from start_async too, not an exit from Xlib. */
static void
test_no_display (void)
{
  g_autoptr (PcScreencast) sc = pc_screencast_new (PC_SCREENCAST_BACKEND_X11);
  GError *error = NULL;

  g_object_set (sc, "x11-display", ":4242", NULL);
  pc_screencast_start_async (sc, NULL, NULL, on_start_done, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, ":4242"));
  g_clear_error (&error);
}

static void
on_closed (PcScreencast *sc, gpointer user_data)
{
  guint *n_closed = user_data;

  (*n_closed)++;
}

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/* Waits (bounded) on the main context for "closed". */
static void
wait_closed (guint *n_closed)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (30, on_deadline, &expired);

  while (*n_closed == 0 && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  g_assert_cmpuint (*n_closed, ==, 1);
}

static GstElement *
find_capture_element (GstElement *bin)
{
  GstIterator *it = gst_bin_iterate_sources (GST_BIN (bin));
  GValue item = G_VALUE_INIT;
  GstElement *src = NULL;

  g_assert_cmpint (gst_iterator_next (it, &item), ==, GST_ITERATOR_OK);
  src = GST_ELEMENT (g_value_dup_object (&item));
  g_value_unset (&item);
  gst_iterator_free (it);
  return src;
}

/* The capture ending (here: num-buffers) turns into "closed" on the main context, and the EOS
 * never reaches the consumer, which in a call is the encoder that goes on with the camera. */
static void
test_closed_on_eos (void)
{
  guint sw, sh, n_closed = 0;
  g_autoptr (ScreenPattern) pattern = show_pattern (&sw, &sh);
  g_autoptr (PcScreencast) sc = pc_screencast_new (PC_SCREENCAST_BACKEND_X11);
  g_autoptr (Capture) c = NULL;
  g_autoptr (GstElement) src = NULL;

  g_signal_connect (sc, "closed", G_CALLBACK (on_closed), &n_closed);
  c = capture_start (sc);
  gst_element_set_state (c->pipeline, GST_STATE_NULL);
  src = find_capture_element (c->bin);
  g_object_set (src, "num-buffers", 3, NULL);
  gst_element_set_state (c->pipeline, GST_STATE_PLAYING);

  wait_closed (&n_closed);
  g_assert_false (pc_screencast_get_active (sc));
  g_assert_false (gst_app_sink_is_eos (GST_APP_SINK (c->sink)));

  /* A stop() afterwards is a no-op and emits nothing more. */
  pc_screencast_stop (sc);
  g_assert_cmpuint (n_closed, ==, 1);
}

/* An error from inside the bin, as the call's bus watch sees it: handled, "closed" once. A
 * message from anything else is not ours. */
static void
test_handle_message (void)
{
  guint sw, sh, n_closed = 0;
  g_autoptr (ScreenPattern) pattern = show_pattern (&sw, &sh);
  g_autoptr (PcScreencast) sc = pc_screencast_new (PC_SCREENCAST_BACKEND_X11);
  g_autoptr (Capture) c = NULL;
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GError) err = g_error_new_literal (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, "x");
  g_autoptr (GstMessage) ours = NULL;
  g_autoptr (GstMessage) other = NULL;

  g_signal_connect (sc, "closed", G_CALLBACK (on_closed), &n_closed);
  c = capture_start (sc);
  src = find_capture_element (c->bin);
  ours = gst_message_new_error (GST_OBJECT (src), err, "test");
  other = gst_message_new_error (GST_OBJECT (c->sink), err, "test");

  g_assert_false (pc_screencast_handle_message (sc, other));
  g_assert_cmpuint (n_closed, ==, 0);
  g_assert_true (pc_screencast_handle_message (sc, ours));
  g_assert_cmpuint (n_closed, ==, 1);
  g_assert_false (pc_screencast_get_active (sc));

  /* stop() never emits "closed". */
  g_clear_pointer (&c, capture_free);
  c = capture_start (sc);
  pc_screencast_stop (sc);
  g_assert_cmpuint (n_closed, ==, 1);
}

static void
test_fit_size (void)
{
  const guint cases[][6] = {
    { 2560, 1440, 1920, 1080, 1920, 1080 }, { 3840, 2160, 1920, 1080, 1920, 1080 },
    { 3000, 1000, 1920, 1080, 1920, 640 },  { 1000, 3000, 1920, 1080, 360, 1080 },
    { 1366, 768, 1920, 1080, 1366, 768 },   { 1280, 720, 640, 640, 640, 360 },
    { 2560, 1600, 1920, 1080, 1728, 1080 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint w, h;

      pc_screencast_fit_size (cases[i][0], cases[i][1], cases[i][2], cases[i][3], &w, &h);
      g_assert_cmpuint (w, ==, cases[i][4]);
      g_assert_cmpuint (h, ==, cases[i][5]);
    }
}

static void
on_notify (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  guint *n = user_data;

  (*n)++;
}

static void
test_properties (void)
{
  g_autoptr (PcScreencast) sc = pc_screencast_new (PC_SCREENCAST_BACKEND_X11);
  g_autofree char *token = NULL;
  guint notified = 0;

  g_signal_connect (sc, "notify::restore-token", G_CALLBACK (on_notify), &notified);
  g_assert_cmpuint (pc_screencast_get_framerate (sc), ==, 15);
  pc_screencast_set_framerate (sc, 60);
  g_assert_cmpuint (pc_screencast_get_framerate (sc), ==, 15);
  pc_screencast_set_framerate (sc, 1);
  g_assert_cmpuint (pc_screencast_get_framerate (sc), ==, 5);

  g_object_set (sc, "restore-token", "abc", NULL);
  g_object_set (sc, "restore-token", "abc", NULL);
  g_assert_cmpuint (notified, ==, 1);
  g_object_get (sc, "restore-token", &token, NULL);
  g_assert_cmpstr (token, ==, "abc");
  pc_screencast_set_restore_token (sc, "");
  g_assert_null (pc_screencast_get_restore_token (sc));
  g_assert_cmpuint (notified, ==, 2);
}

int
main (int argc, char **argv)
{
  Display *anchor;
  int ret;

  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  /* Xvfb resets itself when its last client leaves, and refuses connections meanwhile: hold
   * one open so the tests' own open/close cycles never race with a reset. */
  anchor = XOpenDisplay (NULL);
  if (anchor == NULL)
    g_error ("cannot open X display %s", g_getenv ("DISPLAY"));

  g_test_add_func ("/screencast/fit-size", test_fit_size);
  g_test_add_func ("/screencast/properties", test_properties);
  g_test_add_func ("/screencast/x11/whole-screen", test_whole_screen);
  g_test_add_func ("/screencast/x11/scaled-slow", test_scaled_slow);
  g_test_add_func ("/screencast/x11/window", test_window);
  g_test_add_func ("/screencast/x11/bad-window", test_bad_window);
  g_test_add_func ("/screencast/x11/no-display", test_no_display);
  g_test_add_func ("/screencast/x11/closed-on-eos", test_closed_on_eos);
  g_test_add_func ("/screencast/x11/handle-message", test_handle_message);

  ret = g_test_run ();
  XCloseDisplay (anchor);
  return ret;
}
