/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-call"

#include "config.h"

#include "pc-call-private.h"

enum
{
  PROP_0,
  PROP_ID,
  PROP_PEER,
  PROP_PEER_NAME,
  PROP_DIRECTION,
  PROP_STATE,
  PROP_END_REASON,
  PROP_ENDED_LOCALLY,
  PROP_VIDEO,
  PROP_SESSION,
  PROP_START_TIME,
  PROP_CREATED_TIME,
  PROP_REMOTE_VIDEO,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_ICE_STATE,
  SIGNAL_FIRST_FRAME,
  SIGNAL_REMOTE_TRACK,
  SIGNAL_STATS,
  SIGNAL_LATENCY,
  SIGNAL_VIDEO_SOURCE_CHANGED,
  SIGNAL_NEGOTIATION,
  SIGNAL_VERIFICATION,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _PcCall
{
  GObject parent_instance;

  char *id;
  char *peer;
  char *peer_name;
  PcCallDirection direction;
  PcCallState state;
  char *end_reason;
  gboolean ended_locally;
  gboolean video;
  PcCallSession *session;
  gint64 start_time;
  gint64 end_time;
  gint64 created_time;
  gboolean remote_video;
};

G_DEFINE_TYPE (PcCall, pc_call, G_TYPE_OBJECT)

/* g_set_str () is GLib 2.76 */
static gboolean
set_str (char **str_pointer, const char *new_str)
{
  if (g_strcmp0 (*str_pointer, new_str) == 0)
    return FALSE;
  g_free (*str_pointer);
  *str_pointer = g_strdup (new_str);
  return TRUE;
}

static const GEnumValue direction_values[] = {
  { PC_CALL_DIRECTION_OUTGOING, "PC_CALL_DIRECTION_OUTGOING", "outgoing" },
  { PC_CALL_DIRECTION_INCOMING, "PC_CALL_DIRECTION_INCOMING", "incoming" },
  { 0, NULL, NULL },
};

static const GEnumValue state_values[] = {
  { PC_CALL_STATE_INVITING, "PC_CALL_STATE_INVITING", "inviting" },
  { PC_CALL_STATE_RINGING, "PC_CALL_STATE_RINGING", "ringing" },
  { PC_CALL_STATE_CONNECTING, "PC_CALL_STATE_CONNECTING", "connecting" },
  { PC_CALL_STATE_CONNECTED, "PC_CALL_STATE_CONNECTED", "connected" },
  { PC_CALL_STATE_ENDED, "PC_CALL_STATE_ENDED", "ended" },
  { 0, NULL, NULL },
};

GType
pc_call_direction_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("PcCallDirection", direction_values));
  return type;
}

GType
pc_call_state_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("PcCallState", state_values));
  return type;
}

const char *
pc_call_direction_to_string (PcCallDirection direction)
{
  g_return_val_if_fail (direction <= PC_CALL_DIRECTION_INCOMING, NULL);
  return direction_values[direction].value_nick;
}

const char *
pc_call_state_to_string (PcCallState state)
{
  g_return_val_if_fail (state <= PC_CALL_STATE_ENDED, NULL);
  return state_values[state].value_nick;
}

static void
on_session_ice_state (PcCallSession *session,
                      const char *state,
                      const char *local_type,
                      const char *remote_type,
                      PcCall *self)
{
  g_signal_emit (self, signals[SIGNAL_ICE_STATE], 0, state, local_type, remote_type);
}

static void
on_session_first_frame (
    PcCallSession *session, const char *kind, guint width, guint height, PcCall *self)
{
  g_signal_emit (self, signals[SIGNAL_FIRST_FRAME], 0, kind, width, height);
}

static void
on_session_dtls_verified (PcCallSession *session,
                          const char *code,
                          const char *fingerprint_local,
                          const char *fingerprint_remote,
                          PcCall *self)
{
  g_signal_emit (self, signals[SIGNAL_VERIFICATION], 0, code, fingerprint_local,
                 fingerprint_remote);
}

static void
on_session_remote_track (PcCallSession *session,
                         const char *kind,
                         const char *mid,
                         guint width,
                         guint height,
                         PcCall *self)
{
  g_signal_emit (self, signals[SIGNAL_REMOTE_TRACK], 0, kind, mid, width, height);
}

static void
on_session_stats (PcCallSession *session, PcCallStats *stats, PcCall *self)
{
  g_signal_emit (self, signals[SIGNAL_STATS], 0, stats);
}

static void
on_session_latency (PcCallSession *session, double ms, PcCall *self)
{
  g_signal_emit (self, signals[SIGNAL_LATENCY], 0, ms);
}

static void
on_session_video_source (PcCallSession *session, GParamSpec *pspec, PcCall *self)
{
  PcMediaSourceKind kind = pc_call_session_get_video_source (session);

  g_signal_emit (self, signals[SIGNAL_VIDEO_SOURCE_CHANGED], 0,
                 pc_media_source_kind_to_string (kind));
}

static void
on_session_local_description (PcCallSession *session,
                              const char *sdp_type,
                              const char *sdp,
                              PcCall *self)
{
  g_signal_emit (self, signals[SIGNAL_NEGOTIATION], 0, sdp_type);
}

static void
pc_call_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PcCall *self = PC_CALL (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_PEER:
      g_value_set_string (value, self->peer);
      break;
    case PROP_PEER_NAME:
      g_value_set_string (value, pc_call_get_peer_name (self));
      break;
    case PROP_DIRECTION:
      g_value_set_enum (value, self->direction);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_END_REASON:
      g_value_set_string (value, self->end_reason);
      break;
    case PROP_ENDED_LOCALLY:
      g_value_set_boolean (value, self->ended_locally);
      break;
    case PROP_VIDEO:
      g_value_set_boolean (value, self->video);
      break;
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    case PROP_START_TIME:
      g_value_set_int64 (value, self->start_time);
      break;
    case PROP_CREATED_TIME:
      g_value_set_int64 (value, self->created_time);
      break;
    case PROP_REMOTE_VIDEO:
      g_value_set_boolean (value, self->remote_video);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_call_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PcCall *self = PC_CALL (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case PROP_PEER:
      self->peer = g_value_dup_string (value);
      break;
    case PROP_DIRECTION:
      self->direction = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_call_dispose (GObject *object)
{
  PcCall *self = PC_CALL (object);

  if (self->session)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (pc_call_parent_class)->dispose (object);
}

static void
pc_call_finalize (GObject *object)
{
  PcCall *self = PC_CALL (object);

  g_free (self->id);
  g_free (self->peer);
  g_free (self->peer_name);
  g_free (self->end_reason);

  G_OBJECT_CLASS (pc_call_parent_class)->finalize (object);
}

static void
pc_call_class_init (PcCallClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = pc_call_get_property;
  object_class->set_property = pc_call_set_property;
  object_class->dispose = pc_call_dispose;
  object_class->finalize = pc_call_finalize;

  properties[PROP_ID] = g_param_spec_string (
      "id", NULL, NULL, NULL, G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PEER]
      = g_param_spec_string ("peer", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PEER_NAME]
      = g_param_spec_string ("peer-name", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DIRECTION] = g_param_spec_enum (
      "direction", NULL, NULL, PC_TYPE_CALL_DIRECTION, PC_CALL_DIRECTION_OUTGOING,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE]
      = g_param_spec_enum ("state", NULL, NULL, PC_TYPE_CALL_STATE, PC_CALL_STATE_INVITING,
                           G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_END_REASON]
      = g_param_spec_string ("end-reason", NULL, NULL, NULL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ENDED_LOCALLY]
      = g_param_spec_boolean ("ended-locally", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VIDEO]
      = g_param_spec_boolean ("video", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SESSION]
      = g_param_spec_object ("session", NULL, NULL, PC_TYPE_CALL_SESSION,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_START_TIME]
      = g_param_spec_int64 ("start-time", NULL, NULL, 0, G_MAXINT64, 0,
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CREATED_TIME] = g_param_spec_int64 ("created-time", NULL, NULL, 0, G_MAXINT64, 0,
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REMOTE_VIDEO]
      = g_param_spec_boolean ("remote-video", NULL, NULL, FALSE,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_ICE_STATE]
      = g_signal_new ("ice-state", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_FIRST_FRAME]
      = g_signal_new ("first-frame", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_UINT);
  signals[SIGNAL_REMOTE_TRACK]
      = g_signal_new ("remote-track", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT, G_TYPE_UINT);
  signals[SIGNAL_STATS]
      = g_signal_new ("stats", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 1, PC_TYPE_CALL_STATS | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_LATENCY] = g_signal_new ("latency", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_DOUBLE);
  signals[SIGNAL_VIDEO_SOURCE_CHANGED]
      = g_signal_new ("video-source-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_NEGOTIATION]
      = g_signal_new ("negotiation", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* the peer's DTLS certificate matched its description: the code both sides show */
  signals[SIGNAL_VERIFICATION]
      = g_signal_new ("verification", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
}

static void
pc_call_init (PcCall *self)
{
  self->created_time = g_get_monotonic_time ();
}

PcCall *
pc_call_new (const char *id,
             const char *peer,
             const char *peer_name,
             PcCallDirection direction,
             gboolean video)
{
  PcCall *self;

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (peer != NULL, NULL);

  self = g_object_new (PC_TYPE_CALL, "id", id, "peer", peer, "direction", direction, NULL);
  self->peer_name = g_strdup (peer_name);
  self->video = video;
  self->state
      = direction == PC_CALL_DIRECTION_OUTGOING ? PC_CALL_STATE_INVITING : PC_CALL_STATE_RINGING;
  return self;
}

const char *
pc_call_get_id (PcCall *self)
{
  g_return_val_if_fail (PC_IS_CALL (self), NULL);
  return self->id;
}

const char *
pc_call_get_peer (PcCall *self)
{
  g_return_val_if_fail (PC_IS_CALL (self), NULL);
  return self->peer;
}

const char *
pc_call_get_peer_name (PcCall *self)
{
  g_return_val_if_fail (PC_IS_CALL (self), NULL);
  return self->peer_name && *self->peer_name ? self->peer_name : self->peer;
}

void
pc_call_set_peer_name (PcCall *self, const char *peer_name)
{
  g_return_if_fail (PC_IS_CALL (self));
  if (set_str (&self->peer_name, peer_name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER_NAME]);
}

PcCallDirection
pc_call_get_direction (PcCall *self)
{
  g_return_val_if_fail (PC_IS_CALL (self), PC_CALL_DIRECTION_OUTGOING);
  return self->direction;
}

PcCallState
pc_call_get_state (PcCall *self)
{
  g_return_val_if_fail (PC_IS_CALL (self), PC_CALL_STATE_ENDED);
  return self->state;
}

void
pc_call_set_state (PcCall *self, PcCallState state)
{
  g_return_if_fail (PC_IS_CALL (self));

  /* ended is final */
  if (self->state == state || self->state == PC_CALL_STATE_ENDED)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  self->state = state;
  if (state == PC_CALL_STATE_CONNECTED && self->start_time == 0)
    {
      self->start_time = g_get_monotonic_time ();
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_START_TIME]);
    }
  if (state == PC_CALL_STATE_ENDED)
    self->end_time = g_get_monotonic_time ();
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  g_object_thaw_notify (G_OBJECT (self));
}

const char *
pc_call_get_end_reason (PcCall *self)
{
  g_return_val_if_fail (PC_IS_CALL (self), NULL);
  return self->end_reason;
}

gboolean
pc_call_get_ended_locally (PcCall *self)
{
  g_return_val_if_fail (PC_IS_CALL (self), FALSE);
  return self->ended_locally;
}

void
pc_call_end (PcCall *self, const char *reason, gboolean locally)
{
  g_return_if_fail (PC_IS_CALL (self));
  g_return_if_fail (reason != NULL);

  if (self->state == PC_CALL_STATE_ENDED)
    return;

  /* reason and locally are set before the state notifies, so state listeners see them */
  set_str (&self->end_reason, reason);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_END_REASON]);
  if (self->ended_locally != !!locally)
    {
      self->ended_locally = !!locally;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENDED_LOCALLY]);
    }
  pc_call_set_state (self, PC_CALL_STATE_ENDED);
}

gboolean
pc_call_get_video (PcCall *self)
{
  g_return_val_if_fail (PC_IS_CALL (self), FALSE);
  return self->video;
}

void
pc_call_set_video (PcCall *self, gboolean video)
{
  g_return_if_fail (PC_IS_CALL (self));
  video = !!video;
  if (self->video == video)
    return;
  self->video = video;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIDEO]);
}

PcCallSession *
pc_call_get_session (PcCall *self)
{
  g_return_val_if_fail (PC_IS_CALL (self), NULL);
  return self->session;
}

void
pc_call_set_session (PcCall *self, PcCallSession *session)
{
  g_return_if_fail (PC_IS_CALL (self));
  g_return_if_fail (!session || PC_IS_CALL_SESSION (session));

  if (self->session == session)
    return;

  if (self->session)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session)
    {
      g_signal_connect_object (session, "ice-state", G_CALLBACK (on_session_ice_state), self, 0);
      g_signal_connect_object (session, "first-frame", G_CALLBACK (on_session_first_frame), self,
                               0);
      g_signal_connect_object (session, "remote-track", G_CALLBACK (on_session_remote_track), self,
                               0);
      g_signal_connect_object (session, "stats", G_CALLBACK (on_session_stats), self, 0);
      g_signal_connect_object (session, "latency", G_CALLBACK (on_session_latency), self, 0);
      g_signal_connect_object (session, "dtls-verified", G_CALLBACK (on_session_dtls_verified),
                               self, 0);
      g_signal_connect_object (session, "notify::video-source",
                               G_CALLBACK (on_session_video_source), self, 0);
      g_signal_connect_object (session, "local-description",
                               G_CALLBACK (on_session_local_description), self, 0);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);
}

gint64
pc_call_get_start_time (PcCall *self)
{
  g_return_val_if_fail (PC_IS_CALL (self), 0);
  return self->start_time;
}

gint64
pc_call_get_created_time (PcCall *self)
{
  g_return_val_if_fail (PC_IS_CALL (self), 0);
  return self->created_time;
}

double
pc_call_get_duration (PcCall *self)
{
  gint64 end;

  g_return_val_if_fail (PC_IS_CALL (self), 0);

  if (self->start_time == 0)
    return 0;
  end = self->state == PC_CALL_STATE_ENDED ? self->end_time : g_get_monotonic_time ();
  return (end - self->start_time) / (double)G_USEC_PER_SEC;
}

gboolean
pc_call_is_active (PcCall *self)
{
  g_return_val_if_fail (PC_IS_CALL (self), FALSE);
  return self->state != PC_CALL_STATE_ENDED;
}

gboolean
pc_call_get_remote_video (PcCall *self)
{
  g_return_val_if_fail (PC_IS_CALL (self), FALSE);
  return self->remote_video;
}

void
pc_call_set_remote_video (PcCall *self, gboolean remote_video)
{
  g_return_if_fail (PC_IS_CALL (self));
  remote_video = !!remote_video;
  if (self->remote_video == remote_video)
    return;
  self->remote_video = remote_video;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMOTE_VIDEO]);
}
