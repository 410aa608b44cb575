/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-ui"

#include "config.h"

#include <glib/gi18n.h>
#if HAVE_LIBPORTAL
#include <libportal-gtk4/portal-gtk4.h>
#endif

#include "pc-call-view.h"
#include "pc-share-token.h"
#include "pc-ui-trace.h"
#include "pc-video-paintable.h"
#include "pc-window.h"

#define SELF_VIEW_MARGIN 18

typedef enum
{
  STAT_RESOLUTION,
  STAT_FRAME_RATE,
  STAT_BITRATE,
  STAT_RTT,
  STAT_LOSS,
  STAT_CODEC,
  STAT_PATH,
  N_STATS
} StatRow;

struct _PcCallView
{
  GtkWidget parent_instance;

  PcCall *call;
  PcCallSession *session; /* wired to the paintables */
  GSettings *settings;    /* the screen-sharing restore token; may be NULL */
  PcVideoPaintable *remote_paintable;
  PcVideoPaintable *local_paintable;
  guint duration_source;
  PcMediaSourceKind video_source_before_share;
  PcScreencast *screencast;        /* the capture we started and gave to the session */
  GCancellable *share_cancellable; /* a start (portal dialog) in progress */

  gboolean muted;
  gboolean camera_enabled;
  gboolean screen_sharing;
  gboolean fullscreen;
  gboolean has_remote_video;
  gboolean has_local_video;
  gboolean share_enabled;
  int remote_width; /* the remote video's size, as last traced */
  int remote_height;
  char *traced_buttons[3]; /* test hook: button geometry as last traced */

  /* Self view position: a corner, plus the offset of a drag in progress. */
  GtkAlign self_halign;
  GtkAlign self_valign;
  gboolean dragging;
  double drag_dx;
  double drag_dy;
  GdkRectangle self_rect;

  GtkOverlay *overlay;
  GtkStack *video_stack;
  AdwAvatar *placeholder_avatar;
  GtkLabel *peer_label;
  GtkLabel *placeholder_status;
  GtkPicture *remote_picture;
  GtkRevealer *header_revealer;
  AdwWindowTitle *call_title;
  GtkMenuButton *stats_button;
  GtkGrid *stats_grid;
  GtkFrame *self_frame;
  GtkPicture *local_picture;
  GtkToggleButton *mute_button;
  GtkToggleButton *camera_button;
  GtkToggleButton *share_button;
  GtkButton *fullscreen_button;
  GtkRevealer *share_banner;
  GtkButton *stop_share_button;
  GtkLabel *stat_values[N_STATS];
};

enum
{
  PROP_0,
  PROP_CALL,
  PROP_MUTED,
  PROP_CAMERA_ENABLED,
  PROP_SCREEN_SHARING,
  PROP_FULLSCREEN,
  PROP_SETTINGS,
  N_PROPS
};

enum
{
  HANG_UP,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (PcCallView, pc_call_view, GTK_TYPE_WIDGET)

static void
pc_call_view_show_error (PcCallView *self, const char *message)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), PC_TYPE_WINDOW);

  if (window != NULL)
    pc_window_show_toast (PC_WINDOW (window), message, NULL);
  else
    g_warning ("%s", message);
}

static char *
pc_call_view_format_duration (double seconds)
{
  guint total = seconds > 0 ? (guint)seconds : 0;

  if (total >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", total / 3600, (total / 60) % 60, total % 60);
  return g_strdup_printf ("%u:%02u", total / 60, total % 60);
}

static void
pc_call_view_update_status (PcCallView *self)
{
  g_autofree char *status = NULL;
  PcCallState state;

  if (self->call == NULL)
    {
      adw_window_title_set_subtitle (self->call_title, "");
      gtk_label_set_label (self->placeholder_status, "");
      return;
    }

  state = pc_call_get_state (self->call);
  switch (state)
    {
    case PC_CALL_STATE_INVITING:
      status = g_strdup (_ ("Calling…"));
      break;

    case PC_CALL_STATE_RINGING:
      status = g_strdup (pc_call_get_direction (self->call) == PC_CALL_DIRECTION_OUTGOING
                             ? _ ("Ringing…")
                             : _ ("Incoming call"));
      break;

    case PC_CALL_STATE_CONNECTING:
      status = g_strdup (_ ("Connecting…"));
      break;

    case PC_CALL_STATE_CONNECTED:
      if (self->session != NULL
          && pc_call_session_get_connection_state (self->session)
                 == PC_CONNECTION_STATE_DISCONNECTED)
        status = g_strdup (_ ("Reconnecting…"));
      else
        status = pc_call_view_format_duration (pc_call_get_duration (self->call));
      break;

    case PC_CALL_STATE_ENDED:
    default:
      status = g_strdup (_ ("Call ended"));
      break;
    }

  adw_window_title_set_subtitle (self->call_title, status);
  gtk_label_set_label (self->placeholder_status, status);
}

static gboolean
pc_call_view_duration_tick (gpointer user_data)
{
  pc_call_view_update_status (PC_CALL_VIEW (user_data));
  return G_SOURCE_CONTINUE;
}

static void
pc_call_view_update_video (PcCallView *self)
{
  gboolean has_remote = pc_video_paintable_has_frame (self->remote_paintable);
  gboolean has_local = pc_video_paintable_has_frame (self->local_paintable);

  gtk_stack_set_visible_child_name (self->video_stack, has_remote ? "video" : "placeholder");
  gtk_widget_set_visible (GTK_WIDGET (self->self_frame),
                          self->call != NULL && has_local && self->camera_enabled);

  if (has_local != self->has_local_video)
    {
      self->has_local_video = has_local;
      pc_ui_trace ("local-video", "shown", has_local ? "true" : "false", NULL);
    }

  if (has_remote != self->has_remote_video)
    {
      self->has_remote_video = has_remote;
      pc_ui_trace ("remote-video", "shown", has_remote ? "true" : "false", NULL);
    }
}

static void
on_paintable_invalidate_size (PcCallView *self, GdkPaintable *paintable)
{
  pc_call_view_update_video (self);
  gtk_widget_queue_allocate (GTK_WIDGET (self->overlay));

  if (paintable == GDK_PAINTABLE (self->remote_paintable) && pc_ui_trace_enabled ())
    {
      int width = gdk_paintable_get_intrinsic_width (paintable);
      int height = gdk_paintable_get_intrinsic_height (paintable);

      if (width != self->remote_width || height != self->remote_height)
        {
          g_autofree char *size = g_strdup_printf ("%dx%d", width, height);

          self->remote_width = width;
          self->remote_height = height;
          pc_ui_trace ("remote-video", "size", size, NULL);
        }
    }
}

/* Test hook (PEERCALL_UI_TRACE): where the buttons a test clicks are, in the coordinates of the
 * window's X surface, traced after a frame whenever that changes. Nothing is traced while the
 * button's revealer still slides (@settled FALSE): a click at a mid-animation position would
 * miss the button once it has arrived, and "hidden" must mean off the screen. */
static void
pc_call_view_trace_button (
    PcCallView *self, guint slot, const char *name, GtkWidget *button, gboolean settled)
{
  GtkNative *native = gtk_widget_get_native (button);
  g_autofree char *geometry = NULL;
  graphene_point_t center;
  double dx = 0, dy = 0;

  if (!settled)
    return;
  if (native != NULL && gtk_widget_is_drawable (button)
      && gtk_widget_compute_point (button, GTK_WIDGET (native),
                                   &GRAPHENE_POINT_INIT (gtk_widget_get_width (button) / 2.f,
                                                         gtk_widget_get_height (button) / 2.f),
                                   &center))
    {
      gtk_native_get_surface_transform (native, &dx, &dy);
      geometry = g_strdup_printf ("%d,%d,%s", (int)(center.x + dx), (int)(center.y + dy),
                                  gtk_widget_is_sensitive (button) ? "sensitive" : "insensitive");
    }
  else
    geometry = g_strdup ("hidden");

  if (g_strcmp0 (geometry, self->traced_buttons[slot]) == 0)
    return;

  g_free (self->traced_buttons[slot]);
  self->traced_buttons[slot] = g_strdup (geometry);
  if (g_str_equal (geometry, "hidden"))
    pc_ui_trace ("button", "name", name, "shown", "false", NULL);
  else
    {
      g_auto (GStrv) parts = g_strsplit (geometry, ",", 3);

      pc_ui_trace ("button", "name", name, "shown", "true", "x", parts[0], "y", parts[1],
                   "sensitive", g_str_equal (parts[2], "sensitive") ? "true" : "false", NULL);
    }
}

static void
on_after_paint (PcCallView *self, GdkFrameClock *clock)
{
  pc_call_view_trace_button (self, 0, "share", GTK_WIDGET (self->share_button), TRUE);
  pc_call_view_trace_button (self, 1, "stop-share", GTK_WIDGET (self->stop_share_button),
                             gtk_revealer_get_child_revealed (self->share_banner)
                                 == gtk_revealer_get_reveal_child (self->share_banner));
  pc_call_view_trace_button (self, 2, "fullscreen", GTK_WIDGET (self->fullscreen_button), TRUE);
}

static void
pc_call_view_realize (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (pc_call_view_parent_class)->realize (widget);

  if (pc_ui_trace_enabled ())
    g_signal_connect_object (gtk_widget_get_frame_clock (widget), "after-paint",
                             G_CALLBACK (on_after_paint), widget, G_CONNECT_SWAPPED);
}

static void
pc_call_view_unrealize (GtkWidget *widget)
{
  g_signal_handlers_disconnect_by_func (gtk_widget_get_frame_clock (widget), on_after_paint,
                                        widget);

  GTK_WIDGET_CLASS (pc_call_view_parent_class)->unrealize (widget);
}

static void
pc_call_view_set_muted (PcCallView *self, gboolean muted)
{
  if (self->muted == muted)
    return;

  self->muted = muted;
  if (self->session != NULL && pc_call_session_get_muted (self->session) != muted)
    pc_call_session_set_muted (self->session, muted);

  gtk_button_set_icon_name (GTK_BUTTON (self->mute_button),
                            muted ? "microphone-disabled-symbolic"
                                  : "audio-input-microphone-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->mute_button),
                               muted ? _ ("Unmute Microphone (Ctrl+D)")
                                     : _ ("Mute Microphone (Ctrl+D)"));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MUTED]);
}

static void
pc_call_view_set_camera_enabled (PcCallView *self, gboolean enabled)
{
  if (self->camera_enabled == enabled)
    return;

  self->camera_enabled = enabled;
  if (self->session != NULL && pc_call_session_get_camera_enabled (self->session) != enabled)
    pc_call_session_set_camera_enabled (self->session, enabled);

  gtk_button_set_icon_name (GTK_BUTTON (self->camera_button),
                            enabled ? "camera-web-symbolic" : "camera-disabled-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->camera_button),
                               enabled ? _ ("Turn Camera Off (Ctrl+E)")
                                       : _ ("Turn Camera On (Ctrl+E)"));
  pc_call_view_update_video (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAMERA_ENABLED]);
}

static gboolean
pc_call_view_can_start_share (PcCallView *self)
{
  /* Only a connected call has a session whose video can be switched: before that (inviting,
   * ringing, connecting) a share would show the bar and send nothing. */
  return self->session != NULL && self->call != NULL
         && pc_call_get_state (self->call) == PC_CALL_STATE_CONNECTED;
}

/* The share toggle works when a share can start, and always while one runs or is being set up
 * (so it can be stopped). */
static void
pc_call_view_update_share_action (PcCallView *self)
{
  gboolean enabled = pc_call_view_can_start_share (self) || self->screen_sharing
                     || self->share_cancellable != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "call.toggle-screen-share", enabled);
  if (enabled == self->share_enabled)
    return;

  self->share_enabled = enabled;
  gtk_widget_set_tooltip_text (
      GTK_WIDGET (self->share_button),
      enabled ? _ ("Share Screen") : _ ("Screen sharing is possible once the call is connected"));
  pc_ui_trace ("share-action", "enabled", enabled ? "true" : "false", NULL);
}

static void
pc_call_view_update_sharing (PcCallView *self, gboolean sharing)
{
  gboolean changed = self->screen_sharing != sharing;

  self->screen_sharing = sharing;
  gtk_revealer_set_reveal_child (self->share_banner, sharing);
  pc_call_view_update_share_action (self);
  if (self->share_enabled)
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->share_button),
                                 sharing ? _ ("Stop Sharing Screen") : _ ("Share Screen"));
  if (changed)
    pc_ui_trace ("share-banner", "shown", sharing ? "true" : "false", NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCREEN_SHARING]);
}

/* The session never stops a capture it was given: ending the share is ours. */
static void
pc_call_view_drop_screencast (PcCallView *self)
{
  if (self->screencast == NULL)
    return;

  if (self->session != NULL && pc_call_session_get_screencast (self->session) == self->screencast)
    pc_call_session_set_screencast (self->session, NULL);
  pc_screencast_stop (self->screencast);
  g_clear_object (&self->screencast);
}

static void
pc_call_view_cancel_share (PcCallView *self)
{
  if (self->share_cancellable != NULL)
    g_cancellable_cancel (self->share_cancellable);
  g_clear_object (&self->share_cancellable);
}

typedef struct
{
  PcCallView *self;
  GCancellable *cancellable; /* identifies this start among later ones */
  PcCallSession *session;    /* the session the share was meant for */
} ShareStart;

static void
share_start_free (ShareStart *start)
{
  g_object_unref (start->self);
  g_object_unref (start->cancellable);
  g_object_unref (start->session);
  g_free (start);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ShareStart, share_start_free)

static void
on_screencast_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (ShareStart) start = user_data;
  PcCallView *self = start->self;
  PcScreencast *screencast = PC_SCREENCAST (source);
  g_autoptr (GError) error = NULL;
  gboolean started = pc_screencast_start_finish (screencast, result, &error);
  gboolean current = self->share_cancellable == start->cancellable;

  /* Whatever happens next, the portal has seen the stored token: keep what it said about it. */
  pc_share_token_update (self->settings, screencast, error);

  if (current)
    g_clear_object (&self->share_cancellable);

  if (!started)
    {
      pc_ui_trace ("share", "result",
                   g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? "cancelled"
                                                                             : "failed",
                   "message", error->message, NULL);
      /* Cancelled: the user stopped, or the call ended; nothing to report. */
      if (current && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        pc_call_view_show_error (self, error->message);
      if (current)
        pc_call_view_update_sharing (self, FALSE);
      return;
    }

  /* Superseded (cancelled too late, or the call's session changed while the dialog was up). */
  if (!current || self->session != start->session)
    {
      pc_screencast_stop (screencast);
      pc_ui_trace ("share", "result", "superseded", NULL);
      return;
    }

  pc_call_view_drop_screencast (self);
  self->screencast = g_object_ref (screencast);
  pc_call_session_set_screencast (self->session, screencast);
  if (!pc_call_session_set_video_source (self->session, PC_MEDIA_SOURCE_SCREEN, &error))
    {
      pc_call_view_drop_screencast (self);
      pc_ui_trace ("share", "result", "failed", "message", error->message, NULL);
      pc_call_view_show_error (self, error->message);
      pc_call_view_update_sharing (self, FALSE);
      return;
    }

  pc_ui_trace ("share", "result", "started", "backend",
               pc_screencast_get_effective_backend (screencast) == PC_SCREENCAST_BACKEND_PORTAL
                   ? "portal"
                   : "x11",
               NULL);
  pc_call_view_update_sharing (self, TRUE);
}

static void
pc_call_view_start_share (PcCallView *self)
{
  g_autoptr (PcScreencast) screencast = NULL;
  ShareStart *start;
  gpointer parent = NULL;

  if (self->share_cancellable != NULL)
    return; /* the dialog is already up */

  self->video_source_before_share = pc_call_session_get_video_source (self->session);
  screencast = pc_share_token_new_screencast (PC_SCREENCAST_BACKEND_AUTO, self->settings);
  self->share_cancellable = g_cancellable_new ();
  start = g_new0 (ShareStart, 1);
  start->self = g_object_ref (self);
  start->cancellable = g_object_ref (self->share_cancellable);
  start->session = g_object_ref (self->session);
#if HAVE_LIBPORTAL
  parent = xdp_parent_new_gtk (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))));
#endif
  pc_screencast_start_async (screencast, parent, self->share_cancellable, on_screencast_started,
                             start);
#if HAVE_LIBPORTAL
  xdp_parent_free (parent); /* start_async copies it */
#endif
  pc_ui_trace ("share", "result", "requested", NULL);
  /* The toggle stays off, and the bar hidden, until the capture really runs. */
  pc_call_view_update_share_action (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCREEN_SHARING]);
}

static void
pc_call_view_set_screen_sharing (PcCallView *self, gboolean sharing)
{
  g_autoptr (GError) error = NULL;

  if (self->screen_sharing == sharing)
    {
      /* Toggling off while the portal dialog is up cancels it. */
      if (!sharing && self->share_cancellable != NULL)
        {
          pc_call_view_cancel_share (self);
          pc_call_view_update_share_action (self);
        }
      return;
    }

  if (sharing)
    {
      if (pc_call_view_can_start_share (self))
        pc_call_view_start_share (self);
      else
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCREEN_SHARING]);
      return;
    }

  if (self->session != NULL
      && pc_call_session_get_video_source (self->session) == PC_MEDIA_SOURCE_SCREEN
      && !pc_call_session_set_video_source (self->session, self->video_source_before_share, &error))
    {
      pc_call_view_show_error (self, error->message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCREEN_SHARING]);
      return;
    }

  pc_call_view_drop_screencast (self);
  pc_call_view_update_sharing (self, FALSE);
}

static void
on_session_notify (PcCallView *self, GParamSpec *pspec, PcCallSession *session)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "muted"))
    pc_call_view_set_muted (self, pc_call_session_get_muted (session));
  else if (g_str_equal (name, "camera-enabled"))
    pc_call_view_set_camera_enabled (self, pc_call_session_get_camera_enabled (session));
  else if (g_str_equal (name, "connection-state"))
    pc_call_view_update_status (self);
  else if (g_str_equal (name, "video-source") && self->screen_sharing
           && pc_call_session_get_video_source (session) != PC_MEDIA_SOURCE_SCREEN)
    {
      /* The share ended elsewhere (e.g. the portal session was closed). */
      pc_call_view_drop_screencast (self);
      pc_call_view_update_sharing (self, FALSE);
    }
}

static void
pc_call_view_set_session (PcCallView *self, PcCallSession *session)
{
  gboolean was_sharing = self->screen_sharing;

  if (self->session == session)
    return;

  pc_call_view_cancel_share (self);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  pc_call_view_drop_screencast (self);
  g_set_object (&self->session, session);
  /* A share belongs to the session it was sent on: a new one starts unshared. */
  if (was_sharing)
    pc_call_view_update_sharing (self, FALSE);
  pc_call_view_update_share_action (self);

  if (session == NULL)
    return;

  /* The paintables take frames from streaming threads and hand them to the main context. */
  pc_call_session_set_remote_video_func (session, pc_video_paintable_push_sample,
                                         g_object_ref (self->remote_paintable), g_object_unref);
  pc_call_session_set_local_video_func (session, pc_video_paintable_push_sample,
                                        g_object_ref (self->local_paintable), g_object_unref);
  g_signal_connect_object (session, "notify", G_CALLBACK (on_session_notify), self,
                           G_CONNECT_SWAPPED);

  pc_call_view_set_muted (self, pc_call_session_get_muted (session));
  pc_call_view_set_camera_enabled (self, pc_call_session_get_camera_enabled (session));
}

static void
pc_call_view_set_stat (PcCallView *self, StatRow row, const char *value)
{
  gtk_label_set_label (self->stat_values[row], value != NULL ? value : "—");
}

static const char *
pc_call_view_candidate_label (const char *type)
{
  if (g_strcmp0 (type, "host") == 0)
    return _ ("local network");
  if (g_strcmp0 (type, "srflx") == 0 || g_strcmp0 (type, "prflx") == 0)
    return _ ("through NAT");
  if (g_strcmp0 (type, "relay") == 0)
    return _ ("relay server");
  return _ ("unknown");
}

static void
on_call_stats (PcCallView *self, PcCallStats *stats, PcCall *call)
{
  g_autofree char *resolution = NULL;
  g_autofree char *fps = NULL;
  g_autofree char *bitrate = NULL;
  g_autofree char *rtt = NULL;
  g_autofree char *loss = NULL;
  g_autofree char *codec = NULL;
  g_autofree char *path = NULL;

  if (stats->video_width > 0 && stats->video_height > 0)
    resolution = g_strdup_printf ("%u × %u", stats->video_width, stats->video_height);
  /* Translators: video frames per second */
  fps = g_strdup_printf (_ ("%.0f fps"), stats->video_rx_fps);
  /* Translators: received and sent bitrate */
  bitrate = g_strdup_printf (_ ("↓ %.0f kbit/s  ↑ %.0f kbit/s"),
                             stats->video_rx_kbps + stats->audio_rx_kbps,
                             stats->video_tx_kbps + stats->audio_tx_kbps);
  if (stats->rtt_ms >= 0)
    rtt = g_strdup_printf (_ ("%.0f ms"), stats->rtt_ms);
  /* a plain %lld: xgettext cannot see through G_GINT64_FORMAT */
  loss = g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "%lld packet", "%lld packets", stats->packets_lost),
      (long long)stats->packets_lost);
  if (stats->video_codec != NULL || stats->audio_codec != NULL)
    codec = g_strdup_printf ("%s / %s", stats->video_codec ? stats->video_codec : "—",
                             stats->audio_codec ? stats->audio_codec : "—");
  if (stats->local_candidate_type != NULL && stats->remote_candidate_type != NULL)
    {
      gboolean relayed = g_strcmp0 (stats->local_candidate_type, "relay") == 0
                         || g_strcmp0 (stats->remote_candidate_type, "relay") == 0;

      /* Translators: "Direct (local network ↔ through NAT)": the two ends' candidate types */
      path = g_strdup_printf ("%s (%s ↔ %s)", relayed ? _ ("Relayed") : _ ("Direct"),
                              pc_call_view_candidate_label (stats->local_candidate_type),
                              pc_call_view_candidate_label (stats->remote_candidate_type));
    }

  pc_call_view_set_stat (self, STAT_RESOLUTION, resolution);
  pc_call_view_set_stat (self, STAT_FRAME_RATE, fps);
  pc_call_view_set_stat (self, STAT_BITRATE, bitrate);
  pc_call_view_set_stat (self, STAT_RTT, rtt);
  pc_call_view_set_stat (self, STAT_LOSS, loss);
  pc_call_view_set_stat (self, STAT_CODEC, codec);
  pc_call_view_set_stat (self, STAT_PATH, path);
}

static void
pc_call_view_clear_stats (PcCallView *self)
{
  for (guint i = 0; i < N_STATS; i++)
    pc_call_view_set_stat (self, i, NULL);
}

static void
on_call_notify (PcCallView *self, GParamSpec *pspec, PcCall *call)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "session"))
    pc_call_view_set_session (self, pc_call_get_session (call));
  else if (g_str_equal (name, "peer-name"))
    {
      const char *peer = pc_call_get_peer_name (call);

      adw_window_title_set_title (self->call_title, peer);
      gtk_label_set_label (self->peer_label, peer);
      adw_avatar_set_text (self->placeholder_avatar, peer);
    }
  else if (g_str_equal (name, "state"))
    {
      gboolean connected = pc_call_get_state (call) == PC_CALL_STATE_CONNECTED;

      if (connected && self->duration_source == 0)
        self->duration_source = g_timeout_add_seconds (1, pc_call_view_duration_tick, self);
      else if (!connected)
        g_clear_handle_id (&self->duration_source, g_source_remove);
      pc_call_view_update_status (self);
      pc_call_view_update_share_action (self);
    }
}

static void
on_double_click (PcCallView *self, int n_press, double x, double y, GtkGestureClick *gesture)
{
  if (n_press == 2)
    gtk_widget_activate_action (GTK_WIDGET (self), "window.toggle-fullscreen", NULL);
}

static void
pc_call_view_self_size (PcCallView *self, int overlay_width, int *width, int *height)
{
  double ratio = gdk_paintable_get_intrinsic_aspect_ratio (GDK_PAINTABLE (self->local_paintable));

  if (ratio <= 0)
    ratio = 16.0 / 9.0;
  *width = CLAMP (overlay_width / 5, 120, 320);
  *height = MAX (1, (int)(*width / ratio));
}

static gboolean
on_overlay_get_child_position (PcCallView *self,
                               GtkWidget *child,
                               GdkRectangle *allocation,
                               GtkOverlay *overlay)
{
  int overlay_width = gtk_widget_get_width (GTK_WIDGET (overlay));
  int overlay_height = gtk_widget_get_height (GTK_WIDGET (overlay));
  int width, height, x, y;

  if (child != GTK_WIDGET (self->self_frame))
    return FALSE;

  pc_call_view_self_size (self, overlay_width, &width, &height);
  x = self->self_halign == GTK_ALIGN_START ? SELF_VIEW_MARGIN
                                           : overlay_width - width - SELF_VIEW_MARGIN;
  y = self->self_valign == GTK_ALIGN_START ? SELF_VIEW_MARGIN
                                           : overlay_height - height - SELF_VIEW_MARGIN;
  if (self->dragging)
    {
      x = CLAMP (x + (int)self->drag_dx, 0, MAX (0, overlay_width - width));
      y = CLAMP (y + (int)self->drag_dy, 0, MAX (0, overlay_height - height));
    }

  allocation->x = x;
  allocation->y = y;
  allocation->width = width;
  allocation->height = height;
  self->self_rect = *allocation;
  return TRUE;
}

static void
on_self_drag_begin (PcCallView *self, double x, double y, GtkGestureDrag *gesture)
{
  self->dragging = TRUE;
  self->drag_dx = self->drag_dy = 0;
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
on_self_drag_update (PcCallView *self, double dx, double dy, GtkGestureDrag *gesture)
{
  self->drag_dx = dx;
  self->drag_dy = dy;
  gtk_widget_queue_allocate (GTK_WIDGET (self->overlay));
}

static void
on_self_drag_end (PcCallView *self, double dx, double dy, GtkGestureDrag *gesture)
{
  int overlay_width = gtk_widget_get_width (GTK_WIDGET (self->overlay));
  int overlay_height = gtk_widget_get_height (GTK_WIDGET (self->overlay));
  double center_x = self->self_rect.x + self->self_rect.width / 2.0;
  double center_y = self->self_rect.y + self->self_rect.height / 2.0;

  /* Snap to the corner nearest to where it was dropped. */
  self->dragging = FALSE;
  self->self_halign = center_x < overlay_width / 2.0 ? GTK_ALIGN_START : GTK_ALIGN_END;
  self->self_valign = center_y < overlay_height / 2.0 ? GTK_ALIGN_START : GTK_ALIGN_END;
  gtk_widget_queue_allocate (GTK_WIDGET (self->overlay));
}

static void
pc_call_view_hang_up_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  g_signal_emit (widget, signals[HANG_UP], 0);
}

static void
pc_call_view_add_stat_row (PcCallView *self, StatRow row, const char *title)
{
  GtkWidget *title_label = gtk_label_new (title);
  GtkWidget *value_label = gtk_label_new ("—");

  gtk_label_set_xalign (GTK_LABEL (title_label), 1);
  gtk_widget_add_css_class (title_label, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (value_label), 0);
  gtk_label_set_selectable (GTK_LABEL (value_label), TRUE);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (value_label), GTK_ACCESSIBLE_RELATION_LABELLED_BY,
                                  title_label, NULL, -1);
  gtk_grid_attach (self->stats_grid, title_label, 0, row, 1, 1);
  gtk_grid_attach (self->stats_grid, value_label, 1, row, 1, 1);
  self->stat_values[row] = GTK_LABEL (value_label);
}

static void
pc_call_view_dispose (GObject *object)
{
  PcCallView *self = PC_CALL_VIEW (object);

  pc_call_view_set_call (self, NULL);
  g_clear_handle_id (&self->duration_source, g_source_remove);
  if (self->remote_paintable != NULL)
    g_signal_handlers_disconnect_by_data (self->remote_paintable, self);
  if (self->local_paintable != NULL)
    g_signal_handlers_disconnect_by_data (self->local_paintable, self);
  g_clear_object (&self->remote_paintable);
  g_clear_object (&self->local_paintable);
  g_clear_object (&self->settings);
  for (guint i = 0; i < G_N_ELEMENTS (self->traced_buttons); i++)
    g_clear_pointer (&self->traced_buttons[i], g_free);

  gtk_widget_dispose_template (GTK_WIDGET (self), PC_TYPE_CALL_VIEW);

  G_OBJECT_CLASS (pc_call_view_parent_class)->dispose (object);
}

static void
pc_call_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PcCallView *self = PC_CALL_VIEW (object);

  switch (prop_id)
    {
    case PROP_CALL:
      g_value_set_object (value, self->call);
      break;

    case PROP_MUTED:
      g_value_set_boolean (value, self->muted);
      break;

    case PROP_CAMERA_ENABLED:
      g_value_set_boolean (value, self->camera_enabled);
      break;

    case PROP_SCREEN_SHARING:
      g_value_set_boolean (value, self->screen_sharing);
      break;

    case PROP_FULLSCREEN:
      g_value_set_boolean (value, self->fullscreen);
      break;

    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_call_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PcCallView *self = PC_CALL_VIEW (object);

  switch (prop_id)
    {
    case PROP_CALL:
      pc_call_view_set_call (self, g_value_get_object (value));
      break;

    case PROP_MUTED:
      pc_call_view_set_muted (self, g_value_get_boolean (value));
      break;

    case PROP_CAMERA_ENABLED:
      pc_call_view_set_camera_enabled (self, g_value_get_boolean (value));
      break;

    case PROP_SCREEN_SHARING:
      pc_call_view_set_screen_sharing (self, g_value_get_boolean (value));
      break;

    case PROP_FULLSCREEN:
      pc_call_view_set_fullscreen (self, g_value_get_boolean (value));
      break;

    case PROP_SETTINGS:
      pc_call_view_set_settings (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_call_view_class_init (PcCallViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = pc_call_view_dispose;
  object_class->get_property = pc_call_view_get_property;
  object_class->set_property = pc_call_view_set_property;
  widget_class->realize = pc_call_view_realize;
  widget_class->unrealize = pc_call_view_unrealize;

  properties[PROP_CALL]
      = g_param_spec_object ("call", NULL, NULL, PC_TYPE_CALL,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MUTED]
      = g_param_spec_boolean ("muted", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAMERA_ENABLED]
      = g_param_spec_boolean ("camera-enabled", NULL, NULL, TRUE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SCREEN_SHARING]
      = g_param_spec_boolean ("screen-sharing", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FULLSCREEN]
      = g_param_spec_boolean ("fullscreen", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS]
      = g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[HANG_UP] = g_signal_new ("hang-up", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "pc-call-view");
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/peercall/Peercall/ui/pc-call-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PcCallView, overlay);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, video_stack);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, placeholder_avatar);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, peer_label);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, placeholder_status);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, remote_picture);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, header_revealer);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, call_title);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, stats_button);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, stats_grid);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, self_frame);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, local_picture);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, mute_button);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, camera_button);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, share_button);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, fullscreen_button);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, share_banner);
  gtk_widget_class_bind_template_child (widget_class, PcCallView, stop_share_button);
  gtk_widget_class_bind_template_callback (widget_class, on_overlay_get_child_position);

  gtk_widget_class_install_property_action (widget_class, "call.toggle-mute", "muted");
  gtk_widget_class_install_property_action (widget_class, "call.toggle-camera", "camera-enabled");
  gtk_widget_class_install_property_action (widget_class, "call.toggle-screen-share",
                                            "screen-sharing");
  gtk_widget_class_install_action (widget_class, "call.hang-up", NULL, pc_call_view_hang_up_action);

  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
pc_call_view_init (PcCallView *self)
{
  GtkGesture *gesture;

  self->camera_enabled = TRUE;
  self->self_halign = GTK_ALIGN_END;
  self->self_valign = GTK_ALIGN_END;
  self->video_source_before_share = PC_MEDIA_SOURCE_AUTO;

  gtk_widget_init_template (GTK_WIDGET (self));
  pc_call_view_update_share_action (self);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, _ ("Call"),
                                  -1);

  self->remote_paintable = pc_video_paintable_new ();
  self->local_paintable = pc_video_paintable_new ();
  gtk_picture_set_paintable (self->remote_picture, GDK_PAINTABLE (self->remote_paintable));
  gtk_picture_set_paintable (self->local_picture, GDK_PAINTABLE (self->local_paintable));
  g_signal_connect_object (self->remote_paintable, "invalidate-size",
                           G_CALLBACK (on_paintable_invalidate_size), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->local_paintable, "invalidate-size",
                           G_CALLBACK (on_paintable_invalidate_size), self, G_CONNECT_SWAPPED);

  pc_call_view_add_stat_row (self, STAT_RESOLUTION, _ ("Resolution"));
  pc_call_view_add_stat_row (self, STAT_FRAME_RATE, _ ("Frame rate"));
  pc_call_view_add_stat_row (self, STAT_BITRATE, _ ("Bitrate"));
  pc_call_view_add_stat_row (self, STAT_RTT, _ ("Round trip"));
  pc_call_view_add_stat_row (self, STAT_LOSS, _ ("Packets lost"));
  pc_call_view_add_stat_row (self, STAT_CODEC, _ ("Codecs"));
  pc_call_view_add_stat_row (self, STAT_PATH, _ ("Connection"));

  gesture = gtk_gesture_click_new ();
  g_signal_connect_object (gesture, "pressed", G_CALLBACK (on_double_click), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->video_stack), GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_drag_new ();
  g_signal_connect_object (gesture, "drag-begin", G_CALLBACK (on_self_drag_begin), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (gesture, "drag-update", G_CALLBACK (on_self_drag_update), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (gesture, "drag-end", G_CALLBACK (on_self_drag_end), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->self_frame), GTK_EVENT_CONTROLLER (gesture));
}

GtkWidget *
pc_call_view_new (void)
{
  return g_object_new (PC_TYPE_CALL_VIEW, NULL);
}

void
pc_call_view_set_call (PcCallView *self, PcCall *call)
{
  g_return_if_fail (PC_IS_CALL_VIEW (self));
  g_return_if_fail (call == NULL || PC_IS_CALL (call));

  if (self->call == call)
    return;

  if (self->call != NULL)
    g_signal_handlers_disconnect_by_data (self->call, self);
  pc_call_view_set_session (self, NULL);
  g_clear_handle_id (&self->duration_source, g_source_remove);
  g_set_object (&self->call, call);

  /* A new call starts from a clean slate: no frame of the previous one may show. */
  pc_video_paintable_clear (self->remote_paintable);
  pc_video_paintable_clear (self->local_paintable);
  pc_call_view_clear_stats (self);
  pc_call_view_update_sharing (self, FALSE);
  self->muted = FALSE;
  self->camera_enabled = call == NULL || pc_call_get_video (call);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MUTED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAMERA_ENABLED]);

  if (call != NULL)
    {
      g_signal_connect_object (call, "notify", G_CALLBACK (on_call_notify), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (call, "stats", G_CALLBACK (on_call_stats), self, G_CONNECT_SWAPPED);
      on_call_notify (self, g_object_class_find_property (G_OBJECT_GET_CLASS (call), "peer-name"),
                      call);
      on_call_notify (self, g_object_class_find_property (G_OBJECT_GET_CLASS (call), "state"),
                      call);
      pc_call_view_set_session (self, pc_call_get_session (call));
    }

  pc_call_view_update_status (self);
  pc_call_view_update_video (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CALL]);
}

PcCall *
pc_call_view_get_call (PcCallView *self)
{
  g_return_val_if_fail (PC_IS_CALL_VIEW (self), NULL);

  return self->call;
}

void
pc_call_view_set_fullscreen (PcCallView *self, gboolean fullscreen)
{
  g_return_if_fail (PC_IS_CALL_VIEW (self));

  fullscreen = !!fullscreen;
  if (self->fullscreen == fullscreen)
    return;

  self->fullscreen = fullscreen;
  gtk_revealer_set_reveal_child (self->header_revealer, !fullscreen);
  gtk_button_set_icon_name (self->fullscreen_button,
                            fullscreen ? "view-restore-symbolic" : "view-fullscreen-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->fullscreen_button),
                               fullscreen ? _ ("Leave Fullscreen (F11)") : _ ("Fullscreen (F11)"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->fullscreen_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  fullscreen ? _ ("Leave fullscreen") : _ ("Fullscreen"), -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FULLSCREEN]);
}

void
pc_call_view_set_settings (PcCallView *self, GSettings *settings)
{
  g_return_if_fail (PC_IS_CALL_VIEW (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (g_set_object (&self->settings, settings))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTINGS]);
}
