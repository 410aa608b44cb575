/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-screencast.c: screen capture for screen sharing.
 *
 * Wayland and Flatpak: org.freedesktop.portal.ScreenCast through libportal (CreateSession,
 * SelectSources, Start: the desktop's own dialog), then a PipeWire remote fd + node id that
 * pipewiresrc reads. X11 without a portal: ximagesrc on the whole screen or one window.
 * Either way the bin ends in videorate + videoscale so the call gets 5-15 fps and at most
 * 1920x1080 whatever the screen is. */
#define G_LOG_DOMAIN "peercall-screencast"

#include "config.h"

#include "pc-screencast.h"

#include "pc-media-error.h"
#include "pc-screencast-x11.h"

#include <unistd.h>

#if HAVE_LIBPORTAL
#include <libportal/portal.h>
#endif

G_DEFINE_ENUM_TYPE (PcScreencastBackend,
                    pc_screencast_backend,
                    G_DEFINE_ENUM_VALUE (PC_SCREENCAST_BACKEND_AUTO, "auto"),
                    G_DEFINE_ENUM_VALUE (PC_SCREENCAST_BACKEND_PORTAL, "portal"),
                    G_DEFINE_ENUM_VALUE (PC_SCREENCAST_BACKEND_X11, "x11"))

G_DEFINE_FLAGS_TYPE (PcScreencastTargets,
                     pc_screencast_targets,
                     G_DEFINE_ENUM_VALUE (PC_SCREENCAST_TARGET_MONITOR, "monitor"),
                     G_DEFINE_ENUM_VALUE (PC_SCREENCAST_TARGET_WINDOW, "window"))

G_DEFINE_ENUM_TYPE (PcScreencastPersist,
                    pc_screencast_persist,
                    G_DEFINE_ENUM_VALUE (PC_SCREENCAST_PERSIST_NONE, "none"),
                    G_DEFINE_ENUM_VALUE (PC_SCREENCAST_PERSIST_TRANSIENT, "transient"),
                    G_DEFINE_ENUM_VALUE (PC_SCREENCAST_PERSIST_PERSISTENT, "persistent"))

enum
{
  PROP_0,
  PROP_BACKEND,
  PROP_TARGETS,
  PROP_SHOW_CURSOR,
  PROP_PERSIST_MODE,
  PROP_RESTORE_TOKEN,
  PROP_FRAMERATE,
  PROP_MAX_WIDTH,
  PROP_MAX_HEIGHT,
  PROP_X11_DISPLAY,
  PROP_X11_WINDOW,
  PROP_PORTAL_TIMEOUT,
  PROP_ACTIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct _StartData StartData;

struct _PcScreencast
{
  GObject parent_instance;

  PcScreencastBackend backend;
  PcScreencastTargets targets;
  gboolean show_cursor;
  PcScreencastPersist persist_mode;
  char *restore_token;
  guint framerate;
  guint max_width;
  guint max_height;
  char *x11_display;
  gulong x11_window;
  guint portal_timeout;

  GMainContext *main_context;

  gboolean active;
  PcScreencastBackend active_backend;
  /* Bumped by every stop: a late EOS from an old bin must not close a newer session. */
  guint generation;

  StartData *pending_start;

#if HAVE_LIBPORTAL
  XdpPortal *portal;
  XdpSession *session;
  gulong session_closed_id;
#endif
  int pipewire_fd;
  guint32 pipewire_node;
};

G_DEFINE_TYPE (PcScreencast, pc_screencast, G_TYPE_OBJECT)

/* Marks our bins so handle_message can recognise messages from inside them. */
static GQuark bin_owner_quark;

static void pc_screencast_close (PcScreencast *self, gboolean emit_closed);

/* g_set_str() is GLib 2.76. */
static gboolean
set_str (char **field, const char *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
set_active (PcScreencast *self, gboolean active, PcScreencastBackend backend)
{
  self->active_backend = backend;
  if (self->active == active)
    return;
  self->active = active;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE]);
}

/* X11 ------------------------------------------------------------------------------------- */

static gboolean
x11_start (PcScreencast *self, GError **error)
{
  guint width = 0, height = 0;

  if (!pc_screencast_x11_probe (self->x11_display, self->x11_window, &width, &height, error))
    return FALSE;

  g_debug ("capturing X11 %s %ux%u", self->x11_window != 0 ? "window" : "screen", width, height);
  set_active (self, TRUE, PC_SCREENCAST_BACKEND_X11);
  return TRUE;
}

/* Portal ---------------------------------------------------------------------------------- */

struct _StartData
{
  gatomicrefcount ref_count;
  GTask *task; /* NULL once completed */
  PcScreencast *self;
  GCancellable *cancellable; /* ours, given to libportal; the caller's chains into it */
  GCancellable *caller_cancellable;
  gulong caller_cancelled_id;
  GSource *timeout_source;
  gboolean timed_out;
#if HAVE_LIBPORTAL
  XdpParent *parent;
#endif
};

static StartData *
start_data_ref (StartData *d)
{
  g_atomic_ref_count_inc (&d->ref_count);
  return d;
}

static void
start_data_unref (StartData *d)
{
  if (!g_atomic_ref_count_dec (&d->ref_count))
    return;
  g_assert (d->task == NULL);
  g_clear_object (&d->cancellable);
  g_clear_object (&d->self);
#if HAVE_LIBPORTAL
  g_clear_pointer (&d->parent, xdp_parent_free);
#endif
  g_free (d);
}

static void
start_data_clear_timeout (StartData *d)
{
  if (d->timeout_source != NULL)
    {
      g_source_destroy (d->timeout_source);
      g_clear_pointer (&d->timeout_source, g_source_unref);
    }
}

/* Completes the caller's task exactly once (error == NULL: success); libportal may still call
 * back later, and those callbacks find d->task == NULL and only clean up. */
static void
start_data_complete (StartData *d, GError *error)
{
  g_autoptr (GTask) task = g_steal_pointer (&d->task);

  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }

  start_data_clear_timeout (d);
  if (d->caller_cancellable != NULL)
    {
      g_cancellable_disconnect (d->caller_cancellable, d->caller_cancelled_id);
      d->caller_cancelled_id = 0;
      g_clear_object (&d->caller_cancellable);
    }
  if (d->self->pending_start == d)
    {
      d->self->pending_start = NULL;
      start_data_unref (d);
    }

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
on_caller_cancelled (GCancellable *cancellable, gpointer user_data)
{
  StartData *d = user_data;

  g_cancellable_cancel (d->cancellable);
}

static gboolean
on_start_timeout (gpointer user_data)
{
  StartData *d = user_data;

  d->timed_out = TRUE;
  g_clear_pointer (&d->timeout_source, g_source_unref);
  /* libportal does not answer a cancelled request in every stage: fail now, not whenever. */
  g_cancellable_cancel (d->cancellable);
  start_data_complete (d, g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST,
                                       "The screen sharing portal did not answer within %u s",
                                       d->self->portal_timeout));
  return G_SOURCE_REMOVE;
}

#if HAVE_LIBPORTAL

/* Turns what libportal / GDBus said into the error the call shows the user. */
static GError *
portal_error (StartData *d, GError *error)
{
  GError *ret;

  g_assert (error != NULL);
  /* "GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: " says nothing to a user. */
  g_dbus_error_strip_remote_error (error);

  if (d->caller_cancellable != NULL && g_cancellable_is_cancelled (d->caller_cancellable))
    ret = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Screen sharing request cancelled");
  else if (d->timed_out)
    ret = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST,
                       "The screen sharing portal did not answer within %u s",
                       d->self->portal_timeout);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    /* Portal response 1: the user closed the desktop's "share your screen" dialog. */
    ret = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST, "Screen sharing was cancelled");
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_FAILED))
    /* Portal response 2: refused by the desktop or its permission store. */
    ret = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST,
                       "The desktop refused screen sharing (%s)", error->message);
  else if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN)
           || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
    ret = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST,
                       "Screen sharing needs xdg-desktop-portal, which is not running on the "
                       "session bus");
  else if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE)
           || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD)
           || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY)
           || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS))
    ret = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST,
                       "The desktop portal offers no screen casting on this desktop (%s)",
                       error->message);
  else
    ret = g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST,
                       "The screen sharing portal failed: %s", error->message);
  return ret;
}

static void
portal_close_session (PcScreencast *self)
{
  if (self->session == NULL)
    return;
  g_clear_signal_handler (&self->session_closed_id, self->session);
  /* Also in the INITIAL state: that dismisses a dialog still on screen. */
  if (xdp_session_get_session_state (self->session) != XDP_SESSION_CLOSED)
    xdp_session_close (self->session);
  g_clear_object (&self->session);
}

static void
on_session_closed (XdpSession *session, gpointer user_data)
{
  PcScreencast *self = PC_SCREENCAST (user_data);

  g_debug ("portal session closed by the desktop");
  pc_screencast_close (self, TRUE);
}

static void
on_session_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StartData *d = user_data;
  PcScreencast *self = d->self;
  XdpSession *session = XDP_SESSION (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) streams = NULL;
  g_autofree char *token = NULL;
  guint32 node = 0;
  gboolean have_node = FALSE;
  int fd;

  if (!xdp_session_start_finish (session, result, &error))
    {
      start_data_complete (d, portal_error (d, error));
      if (self->session == session)
        portal_close_session (self);
      start_data_unref (d);
      return;
    }

  if (d->task == NULL)
    {
      /* Started after we gave up on it (stop): close what the user just picked. */
      if (self->session == session)
        portal_close_session (self);
      else
        xdp_session_close (session);
      start_data_unref (d);
      return;
    }

  streams = xdp_session_get_streams (session);
  if (streams != NULL)
    {
      GVariantIter iter;
      g_autoptr (GVariant) props = NULL;
      guint32 id;

      g_variant_iter_init (&iter, streams);
      if (g_variant_iter_next (&iter, "(u@a{sv})", &id, &props))
        {
          node = id;
          have_node = TRUE;
        }
    }

  fd = have_node ? xdp_session_open_pipewire_remote (session) : -1;
  if (fd < 0)
    {
      portal_close_session (self);
      start_data_complete (d, g_error_new (PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST,
                                           have_node ? "The portal gave no PipeWire connection "
                                                       "for the shared screen"
                                                     : "The portal shared no screen or window"));
      start_data_unref (d);
      return;
    }

  if (self->pipewire_fd >= 0)
    close (self->pipewire_fd);
  self->pipewire_fd = fd;
  self->pipewire_node = node;

  /* Tokens are single-use: a session started without a new one leaves none to restore. */
  token = xdp_session_get_restore_token (session);
  pc_screencast_set_restore_token (self, token);

  g_debug ("portal session started: PipeWire node %u", node);
  set_active (self, TRUE, PC_SCREENCAST_BACKEND_PORTAL);
  start_data_complete (d, NULL);
  start_data_unref (d);
}

static void
on_session_created (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StartData *d = user_data;
  PcScreencast *self = d->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (XdpSession) session = NULL;

  session = xdp_portal_create_screencast_session_finish (XDP_PORTAL (source), result, &error);
  if (session == NULL)
    {
      start_data_complete (d, portal_error (d, error));
      start_data_unref (d);
      return;
    }
  if (d->task == NULL)
    {
      /* We gave up on this request (timeout, stop): don't leave a session open. */
      xdp_session_close (session);
      start_data_unref (d);
      return;
    }

  /* From here on the user is looking at a dialog: no timeout, only the caller's cancellable. */
  start_data_clear_timeout (d);
  portal_close_session (self);
  self->session = g_object_ref (session);
  self->session_closed_id
      = g_signal_connect_object (session, "closed", G_CALLBACK (on_session_closed), self, 0);

  xdp_session_start (session, d->parent, d->cancellable, on_session_started, d);
}

static gboolean
portal_start (PcScreencast *self, StartData *d, GError **error)
{
  g_autoptr (GDBusConnection) bus = NULL;
  g_autoptr (GError) local_error = NULL;
  XdpOutputType outputs = 0;

  /* libportal 0.6 dereferences a NULL bus: check we have one first. */
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, d->cancellable, &local_error);
  if (bus == NULL)
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST,
                   "Screen sharing needs the D-Bus session bus, which is not reachable (%s)",
                   local_error->message);
      return FALSE;
    }

  if (self->portal == NULL)
    self->portal = xdp_portal_new ();

  if (self->targets & PC_SCREENCAST_TARGET_MONITOR)
    outputs |= XDP_OUTPUT_MONITOR;
  if (self->targets & PC_SCREENCAST_TARGET_WINDOW)
    outputs |= XDP_OUTPUT_WINDOW;
  if (outputs == 0)
    outputs = XDP_OUTPUT_MONITOR;

  if (self->portal_timeout > 0)
    {
      d->timeout_source = g_timeout_source_new_seconds (self->portal_timeout);
      g_source_set_callback (d->timeout_source, on_start_timeout, d, NULL);
      g_source_attach (d->timeout_source, g_task_get_context (d->task));
    }

  xdp_portal_create_screencast_session (self->portal, outputs, XDP_SCREENCAST_FLAG_NONE,
                                        self->show_cursor ? XDP_CURSOR_MODE_EMBEDDED
                                                          : XDP_CURSOR_MODE_HIDDEN,
                                        (XdpPersistMode)self->persist_mode, self->restore_token,
                                        d->cancellable, on_session_created, start_data_ref (d));
  return TRUE;
}

#endif /* HAVE_LIBPORTAL */

/* Bins ------------------------------------------------------------------------------------ */

typedef struct
{
  GWeakRef self;
  guint generation;
} EosData;

static void
eos_data_free (gpointer data)
{
  EosData *e = data;

  g_weak_ref_clear (&e->self);
  g_free (e);
}

static gboolean
on_capture_eos_main (gpointer data)
{
  EosData *e = data;
  g_autoptr (PcScreencast) self = g_weak_ref_get (&e->self);

  if (self != NULL && self->generation == e->generation)
    {
      g_debug ("capture stream ended");
      pc_screencast_close (self, TRUE);
    }
  return G_SOURCE_REMOVE;
}

/* Streaming thread: the capture ended (PipeWire stream gone, num-buffers). Keep the EOS away
 * from the encoder, which must go on with the camera, and tell the main context. */
static GstPadProbeReturn
on_src_event (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  EosData *e = user_data;
  g_autoptr (PcScreencast) self = NULL;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;

  self = g_weak_ref_get (&e->self);
  if (self != NULL)
    {
      EosData *copy = g_new0 (EosData, 1);

      g_weak_ref_init (&copy->self, self);
      copy->generation = e->generation;
      g_main_context_invoke_full (self->main_context, G_PRIORITY_DEFAULT, on_capture_eos_main, copy,
                                  eos_data_free);
    }
  return GST_PAD_PROBE_DROP;
}

static GstElement *
make_element (const char *factory, GError **error)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (element == NULL)
    g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                 "The GStreamer element “%s” is missing (screen sharing)", factory);
  return element;
}

static GstElement *
make_capture (PcScreencast *self, GError **error)
{
  GstElement *src;

  if (self->active_backend == PC_SCREENCAST_BACKEND_X11)
    {
      src = make_element ("ximagesrc", error);
      if (src == NULL)
        return NULL;
      /* Damage-based capture misses updates under Xvfb and some drivers: grab whole frames. */
      g_object_set (src, "use-damage", FALSE, "show-pointer", self->show_cursor, NULL);
      if (self->x11_display != NULL)
        g_object_set (src, "display-name", self->x11_display, NULL);
      if (self->x11_window != 0)
        g_object_set (src, "xid", (guint64)self->x11_window, NULL);
      return src;
    }

  src = make_element ("pipewiresrc", error);
  if (src == NULL)
    return NULL;
  {
    g_autofree char *path = g_strdup_printf ("%u", self->pipewire_node);

    /* pipewiresrc dups the fd, so one fd serves every bin of the session. always-copy returns
     * the compositor's buffers at once (it has few); keepalive repeats the last frame while the
     * screen is still, so the receiver keeps getting frames and keyframes. */
    g_object_set (src, "fd", self->pipewire_fd, "path", path, "always-copy", TRUE, "keepalive-time",
                  (int)(1000 / self->framerate), NULL);
  }
  return src;
}

static GstElement *
build_bin (PcScreencast *self, GError **error)
{
  static guint bin_serial;
  g_autofree char *name = g_strdup_printf ("screencast%u", g_atomic_int_add (&bin_serial, 1));
  GstElement *bin = gst_bin_new (name);
  GstElement *src, *rate_filter = NULL, *rate, *scale, *filter;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstPad) pad = NULL;
  EosData *e;
  GstPad *ghost;

  gst_object_ref_sink (bin);

  src = make_capture (self, error);
  if (src == NULL)
    goto fail;
  gst_bin_add (GST_BIN (bin), src);

  if (self->active_backend == PC_SCREENCAST_BACKEND_X11)
    {
      /* ximagesrc paces itself by the negotiated rate: ask for ours instead of its 25-30. */
      rate_filter = gst_element_factory_make ("capsfilter", "capture-rate");
      caps = gst_caps_new_simple ("video/x-raw", "framerate", GST_TYPE_FRACTION, self->framerate, 1,
                                  NULL);
      g_object_set (rate_filter, "caps", caps, NULL);
      g_clear_pointer (&caps, gst_caps_unref);
      gst_bin_add (GST_BIN (bin), rate_filter);
    }

  rate = make_element ("videorate", error);
  if (rate == NULL)
    goto fail;
  /* Start at the first captured frame. By default videorate fills from the segment start:
   * a bin added to a call that has run for a minute would first push a minute of copies
   * of its first frame, timestamped from 0 (seconds of frozen video at the receiver). */
  g_object_set (rate, "skip-to-first", TRUE, NULL);
  scale = make_element ("videoscale", error);
  if (scale == NULL)
    {
      gst_object_unref (rate);
      goto fail;
    }
  filter = gst_element_factory_make ("capsfilter", "screen-caps");
  gst_bin_add_many (GST_BIN (bin), rate, scale, filter, NULL);

  /* A range rather than a fixed size: videoscale fixates it keeping the display aspect ratio,
   * and follows a shared window that changes size. */
  caps = gst_caps_new_simple ("video/x-raw", "width", GST_TYPE_INT_RANGE, 1, (int)self->max_width,
                              "height", GST_TYPE_INT_RANGE, 1, (int)self->max_height,
                              "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, "framerate",
                              GST_TYPE_FRACTION, self->framerate, 1, NULL);
  g_object_set (filter, "caps", caps, NULL);

  if (rate_filter != NULL)
    {
      if (!gst_element_link_many (src, rate_filter, rate, scale, filter, NULL))
        goto link_failed;
    }
  else if (!gst_element_link_many (src, rate, scale, filter, NULL))
    goto link_failed;

  pad = gst_element_get_static_pad (filter, "src");
  ghost = gst_ghost_pad_new ("src", pad);
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (bin, ghost);

  e = g_new0 (EosData, 1);
  g_weak_ref_init (&e->self, self);
  e->generation = self->generation;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_src_event, e, eos_data_free);

  g_object_set_qdata (G_OBJECT (bin), bin_owner_quark, self);

  /* Hand back a floating reference, as gst_element_factory_make() does. */
  g_object_force_floating (G_OBJECT (bin));
  return bin;

link_failed:
  g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
               "Could not link the screen capture elements");
fail:
  gst_object_unref (bin);
  return NULL;
}

/* Lifetime -------------------------------------------------------------------------------- */

static void
pc_screencast_close (PcScreencast *self, gboolean emit_closed)
{
  gboolean was_active = self->active;

  self->generation++;

  if (self->pending_start != NULL)
    {
      StartData *d = self->pending_start;

      g_cancellable_cancel (d->cancellable);
      start_data_complete (
          d, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Screen sharing was stopped"));
    }

#if HAVE_LIBPORTAL
  portal_close_session (self);
#endif
  if (self->pipewire_fd >= 0)
    {
      close (self->pipewire_fd);
      self->pipewire_fd = -1;
    }
  self->pipewire_node = 0;

  set_active (self, FALSE, self->active_backend);

  if (was_active && emit_closed)
    g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

static void
pc_screencast_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PcScreencast *self = PC_SCREENCAST (object);

  switch (prop_id)
    {
    case PROP_BACKEND:
      g_value_set_enum (value, self->backend);
      break;
    case PROP_TARGETS:
      g_value_set_flags (value, self->targets);
      break;
    case PROP_SHOW_CURSOR:
      g_value_set_boolean (value, self->show_cursor);
      break;
    case PROP_PERSIST_MODE:
      g_value_set_enum (value, self->persist_mode);
      break;
    case PROP_RESTORE_TOKEN:
      g_value_set_string (value, self->restore_token);
      break;
    case PROP_FRAMERATE:
      g_value_set_uint (value, self->framerate);
      break;
    case PROP_MAX_WIDTH:
      g_value_set_uint (value, self->max_width);
      break;
    case PROP_MAX_HEIGHT:
      g_value_set_uint (value, self->max_height);
      break;
    case PROP_X11_DISPLAY:
      g_value_set_string (value, self->x11_display);
      break;
    case PROP_X11_WINDOW:
      g_value_set_ulong (value, self->x11_window);
      break;
    case PROP_PORTAL_TIMEOUT:
      g_value_set_uint (value, self->portal_timeout);
      break;
    case PROP_ACTIVE:
      g_value_set_boolean (value, self->active);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Sets a plain field and notifies only on a real change. */
#define SET_FIELD(field, val, prop)                                                                \
  G_STMT_START                                                                                     \
  {                                                                                                \
    if (self->field != (val))                                                                      \
      {                                                                                            \
        self->field = (val);                                                                       \
        g_object_notify_by_pspec (object, properties[prop]);                                       \
      }                                                                                            \
  }                                                                                                \
  G_STMT_END

static void
pc_screencast_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PcScreencast *self = PC_SCREENCAST (object);

  switch (prop_id)
    {
    case PROP_BACKEND:
      self->backend = g_value_get_enum (value);
      break;
    case PROP_TARGETS:
      SET_FIELD (targets, g_value_get_flags (value), PROP_TARGETS);
      break;
    case PROP_SHOW_CURSOR:
      SET_FIELD (show_cursor, g_value_get_boolean (value), PROP_SHOW_CURSOR);
      break;
    case PROP_PERSIST_MODE:
      SET_FIELD (persist_mode, (PcScreencastPersist)g_value_get_enum (value), PROP_PERSIST_MODE);
      break;
    case PROP_RESTORE_TOKEN:
      pc_screencast_set_restore_token (self, g_value_get_string (value));
      break;
    case PROP_FRAMERATE:
      pc_screencast_set_framerate (self, g_value_get_uint (value));
      break;
    case PROP_MAX_WIDTH:
      SET_FIELD (max_width, g_value_get_uint (value), PROP_MAX_WIDTH);
      break;
    case PROP_MAX_HEIGHT:
      SET_FIELD (max_height, g_value_get_uint (value), PROP_MAX_HEIGHT);
      break;
    case PROP_X11_DISPLAY:
      if (set_str (&self->x11_display, g_value_get_string (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_X11_WINDOW:
      SET_FIELD (x11_window, g_value_get_ulong (value), PROP_X11_WINDOW);
      break;
    case PROP_PORTAL_TIMEOUT:
      SET_FIELD (portal_timeout, g_value_get_uint (value), PROP_PORTAL_TIMEOUT);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#undef SET_FIELD

static void
pc_screencast_dispose (GObject *object)
{
  PcScreencast *self = PC_SCREENCAST (object);

  pc_screencast_close (self, FALSE);
#if HAVE_LIBPORTAL
  g_clear_object (&self->portal);
#endif

  G_OBJECT_CLASS (pc_screencast_parent_class)->dispose (object);
}

static void
pc_screencast_finalize (GObject *object)
{
  PcScreencast *self = PC_SCREENCAST (object);

  g_free (self->restore_token);
  g_free (self->x11_display);
  g_main_context_unref (self->main_context);

  G_OBJECT_CLASS (pc_screencast_parent_class)->finalize (object);
}

static void
pc_screencast_class_init (PcScreencastClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = pc_screencast_get_property;
  object_class->set_property = pc_screencast_set_property;
  object_class->dispose = pc_screencast_dispose;
  object_class->finalize = pc_screencast_finalize;

  bin_owner_quark = g_quark_from_static_string ("pc-screencast-owner");

  properties[PROP_BACKEND] = g_param_spec_enum (
      "backend", NULL, NULL, PC_TYPE_SCREENCAST_BACKEND, PC_SCREENCAST_BACKEND_AUTO,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TARGETS]
      = g_param_spec_flags ("targets", NULL, NULL, PC_TYPE_SCREENCAST_TARGETS,
                            PC_SCREENCAST_TARGET_MONITOR | PC_SCREENCAST_TARGET_WINDOW,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_CURSOR]
      = g_param_spec_boolean ("show-cursor", NULL, NULL, TRUE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PERSIST_MODE] = g_param_spec_enum (
      "persist-mode", NULL, NULL, PC_TYPE_SCREENCAST_PERSIST, PC_SCREENCAST_PERSIST_TRANSIENT,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RESTORE_TOKEN]
      = g_param_spec_string ("restore-token", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRAMERATE]
      = g_param_spec_uint ("framerate", NULL, NULL, PC_SCREENCAST_MIN_FRAMERATE,
                           PC_SCREENCAST_MAX_FRAMERATE, PC_SCREENCAST_DEFAULT_FRAMERATE,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_WIDTH]
      = g_param_spec_uint ("max-width", NULL, NULL, 16, 8192, PC_SCREENCAST_DEFAULT_MAX_WIDTH,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_HEIGHT]
      = g_param_spec_uint ("max-height", NULL, NULL, 16, 8192, PC_SCREENCAST_DEFAULT_MAX_HEIGHT,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_X11_DISPLAY]
      = g_param_spec_string ("x11-display", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_X11_WINDOW]
      = g_param_spec_ulong ("x11-window", NULL, NULL, 0, G_MAXULONG, 0,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PORTAL_TIMEOUT]
      = g_param_spec_uint ("portal-timeout", NULL, NULL, 0, 600, 10,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACTIVE]
      = g_param_spec_boolean ("active", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
pc_screencast_init (PcScreencast *self)
{
  self->targets = PC_SCREENCAST_TARGET_MONITOR | PC_SCREENCAST_TARGET_WINDOW;
  self->show_cursor = TRUE;
  self->persist_mode = PC_SCREENCAST_PERSIST_TRANSIENT;
  self->framerate = PC_SCREENCAST_DEFAULT_FRAMERATE;
  self->max_width = PC_SCREENCAST_DEFAULT_MAX_WIDTH;
  self->max_height = PC_SCREENCAST_DEFAULT_MAX_HEIGHT;
  self->portal_timeout = 10;
  self->pipewire_fd = -1;
  self->main_context = g_main_context_ref_thread_default ();
}

PcScreencast *
pc_screencast_new (PcScreencastBackend backend)
{
  return g_object_new (PC_TYPE_SCREENCAST, "backend", backend, NULL);
}

/* Public API ------------------------------------------------------------------------------ */

PcScreencastBackend
pc_screencast_get_effective_backend (PcScreencast *self)
{
  const char *session_type;

  g_return_val_if_fail (PC_IS_SCREENCAST (self), PC_SCREENCAST_BACKEND_X11);

  if (self->backend != PC_SCREENCAST_BACKEND_AUTO)
    return self->backend;

  /* A sandbox sees no other client's pixels, and on Wayland ximagesrc would only see Xwayland
   * windows: only the portal can capture there. */
  if (g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS))
    return PC_SCREENCAST_BACKEND_PORTAL;
  session_type = g_getenv ("XDG_SESSION_TYPE");
  if ((g_getenv ("WAYLAND_DISPLAY") != NULL && *g_getenv ("WAYLAND_DISPLAY") != '\0')
      || g_strcmp0 (session_type, "wayland") == 0)
    return PC_SCREENCAST_BACKEND_PORTAL;
  if (self->x11_display != NULL || (g_getenv ("DISPLAY") != NULL && *g_getenv ("DISPLAY") != '\0'))
    return PC_SCREENCAST_BACKEND_X11;
  return HAVE_LIBPORTAL ? PC_SCREENCAST_BACKEND_PORTAL : PC_SCREENCAST_BACKEND_X11;
}

void
pc_screencast_start_async (PcScreencast *self,
                           gpointer parent,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  PcScreencastBackend backend;
  StartData *d;

  g_return_if_fail (PC_IS_SCREENCAST (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pc_screencast_start_async);

  if (self->pending_start != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "Screen sharing is already being started");
      return;
    }
  if (self->active)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  backend = pc_screencast_get_effective_backend (self);
  if (backend == PC_SCREENCAST_BACKEND_X11)
    {
      if (x11_start (self, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

#if HAVE_LIBPORTAL
  d = g_new0 (StartData, 1);
  g_atomic_ref_count_init (&d->ref_count);
  d->task = g_steal_pointer (&task);
  d->self = g_object_ref (self);
  d->cancellable = g_cancellable_new ();
  if (parent != NULL)
    d->parent = xdp_parent_copy (parent);
  if (cancellable != NULL)
    {
      d->caller_cancellable = g_object_ref (cancellable);
      d->caller_cancelled_id
          = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled), d, NULL);
    }
  self->pending_start = start_data_ref (d);

  if (!portal_start (self, d, &error))
    start_data_complete (d, g_steal_pointer (&error));
  start_data_unref (d);
#else
  (void)d;
  g_task_return_new_error (task, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST,
                           "Screen sharing through the desktop portal is not available: Peercall "
                           "was built without libportal");
#endif
}

gboolean
pc_screencast_start_finish (PcScreencast *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (PC_IS_SCREENCAST (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

GstElement *
pc_screencast_create_source (PcScreencast *self, GError **error)
{
  g_return_val_if_fail (PC_IS_SCREENCAST (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!self->active)
    {
      if (pc_screencast_get_effective_backend (self) != PC_SCREENCAST_BACKEND_X11)
        {
          g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_SCREENCAST,
                       "Screen sharing through the portal has not been started");
          return NULL;
        }
      if (!x11_start (self, error))
        return NULL;
    }

  return build_bin (self, error);
}

gboolean
pc_screencast_handle_message (PcScreencast *self, GstMessage *message)
{
  GstObject *obj;

  g_return_val_if_fail (PC_IS_SCREENCAST (self), FALSE);
  g_return_val_if_fail (GST_IS_MESSAGE (message), FALSE);

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ERROR
      && GST_MESSAGE_TYPE (message) != GST_MESSAGE_EOS)
    return FALSE;

  for (obj = GST_MESSAGE_SRC (message); obj != NULL; obj = GST_OBJECT_PARENT (obj))
    {
      if (g_object_get_qdata (G_OBJECT (obj), bin_owner_quark) == self)
        break;
    }
  if (obj == NULL)
    return FALSE;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autoptr (GError) err = NULL;
      g_autofree char *debug = NULL;

      gst_message_parse_error (message, &err, &debug);
      g_debug ("screen capture failed: %s (%s)", err->message, debug ? debug : "");
    }
  pc_screencast_close (self, TRUE);
  return TRUE;
}

void
pc_screencast_stop (PcScreencast *self)
{
  /* Stopping no capture is a no-op: a share may end while its capture is being replaced. */
  if (self == NULL)
    return;
  g_return_if_fail (PC_IS_SCREENCAST (self));

  pc_screencast_close (self, FALSE);
}

gboolean
pc_screencast_get_active (PcScreencast *self)
{
  g_return_val_if_fail (PC_IS_SCREENCAST (self), FALSE);

  return self->active;
}

const char *
pc_screencast_get_restore_token (PcScreencast *self)
{
  g_return_val_if_fail (PC_IS_SCREENCAST (self), NULL);

  return self->restore_token;
}

void
pc_screencast_set_restore_token (PcScreencast *self, const char *token)
{
  g_return_if_fail (PC_IS_SCREENCAST (self));

  if (token != NULL && *token == '\0')
    token = NULL;
  if (set_str (&self->restore_token, token))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESTORE_TOKEN]);
}

guint
pc_screencast_get_framerate (PcScreencast *self)
{
  g_return_val_if_fail (PC_IS_SCREENCAST (self), PC_SCREENCAST_DEFAULT_FRAMERATE);

  return self->framerate;
}

void
pc_screencast_set_framerate (PcScreencast *self, guint fps)
{
  g_return_if_fail (PC_IS_SCREENCAST (self));

  fps = CLAMP (fps, PC_SCREENCAST_MIN_FRAMERATE, PC_SCREENCAST_MAX_FRAMERATE);
  if (self->framerate == fps)
    return;
  self->framerate = fps;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRAMERATE]);
}

void
pc_screencast_fit_size (guint width,
                        guint height,
                        guint max_width,
                        guint max_height,
                        guint *out_width,
                        guint *out_height)
{
  g_return_if_fail (out_width != NULL && out_height != NULL);

  *out_width = width;
  *out_height = height;
  if (width == 0 || height == 0 || (width <= max_width && height <= max_height))
    return;

  /* The tighter of the two caps wins; round the other side to the nearest pixel. */
  if ((guint64)width * max_height >= (guint64)height * max_width)
    {
      *out_width = max_width;
      *out_height = MAX (1, (guint)(((guint64)height * max_width + width / 2) / width));
    }
  else
    {
      *out_height = max_height;
      *out_width = MAX (1, (guint)(((guint64)width * max_height + height / 2) / height));
    }
}
