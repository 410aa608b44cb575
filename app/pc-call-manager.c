/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-call-manager"

#include "config.h"

#include "pc-call-manager.h"
#include "pc-active-call.h"
#include "pc-call-private.h"
#include "pc-contact-list.h"

enum
{
  PROP_0,
  PROP_SERVER_URL,
  PROP_USER,
  PROP_NAME,
  PROP_TOKEN,
  PROP_ICE_CONFIG,
  PROP_VIDEO_SOURCE,
  PROP_AUDIO_SOURCE,
  PROP_LATENCY_PROBE,
  PROP_AUTO_ANSWER,
  PROP_RING_TIMEOUT,
  PROP_SIGNALING_STATE,
  PROP_CURRENT_CALL,
  PROP_CONTACTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_REGISTERED,
  SIGNAL_CALL_ADDED,
  SIGNAL_INCOMING_CALL,
  SIGNAL_CALL_ENDED,
  SIGNAL_PRESENCE,
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _PcCallManager
{
  GObject parent_instance;

  char *server_url;
  char *user;
  char *name;
  char *token;
  PcIceConfig *ice_config;
  PcMediaSourceKind video_source;
  PcMediaSourceKind audio_source;
  gboolean latency_probe;
  gboolean auto_answer;
  guint ring_timeout;

  PcSignalingClient *client;
  gboolean was_registered;
  PcContactList *contacts;

  /* the call that is not ended yet (one at a time), and what drives it */
  PcCall *current_call;
  PcActiveCall *active;

  /* The last call that ended here: a late restoring `invite` for it is refused quietly
   * instead of ringing as a new call. */
  char *last_ended_id;
  char *last_ended_peer;
};

G_DEFINE_TYPE (PcCallManager, pc_call_manager, G_TYPE_OBJECT)

/* Spelled out: clang-format would put spaces into G_DEFINE_QUARK's dashed name. */
GQuark
pc_call_error_quark (void)
{
  return g_quark_from_static_string ("pc-call-error-quark");
}

static void
emit_error (PcCallManager *self, const GError *error)
{
  g_autoptr (GError) copy = g_error_copy (error);

  g_debug ("error: %s", error->message);
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, copy);
}

static gboolean
is_current (PcCallManager *self, PcCall *call)
{
  return call != NULL && call == self->current_call;
}

/* Does `message` belong to the current call, from its peer? */
static gboolean
is_current_message (PcCallManager *self, PcMessage *message)
{
  PcCall *call = self->current_call;

  return call != NULL && g_strcmp0 (message->call, pc_call_get_id (call)) == 0
         && g_strcmp0 (message->from, pc_call_get_peer (call)) == 0;
}

/* The current call */

static void
on_active_call_error (PcActiveCall *active, GError *error, PcCallManager *self)
{
  emit_error (self, error);
}

static void
on_active_call_ended (PcActiveCall *active, PcCallManager *self)
{
  g_autoptr (PcCall) call = g_object_ref (pc_active_call_get_call (active));

  g_free (self->last_ended_id);
  self->last_ended_id = g_strdup (pc_call_get_id (call));
  g_free (self->last_ended_peer);
  self->last_ended_peer = g_strdup (pc_call_get_peer (call));

  /* (its "error" stays connected: the closing session may still report one) */
  g_signal_handlers_disconnect_by_func (active, on_active_call_ended, self);
  if (self->active == active)
    {
      g_clear_object (&self->active);
      if (g_set_object (&self->current_call, NULL))
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_CALL]);
    }
  g_signal_emit (self, signals[SIGNAL_CALL_ENDED], 0, call);
}

/* Makes `call` the current call; it rings (both directions) until answered. */
static void
add_call (PcCallManager *self, PcCall *call)
{
  g_clear_object (&self->active);
  self->active = pc_active_call_new (call, self->client, self->contacts);
  g_signal_connect_object (self->active, "error", G_CALLBACK (on_active_call_error), self, 0);
  g_signal_connect_object (self->active, "ended", G_CALLBACK (on_active_call_ended), self, 0);
  if (g_set_object (&self->current_call, call))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_CALL]);
  g_signal_emit (self, signals[SIGNAL_CALL_ADDED], 0, call);
}

/* Creates the current call's session with the current preferences and the server's ICE servers,
 * and starts it. */
static void
start_media (PcCallManager *self, gboolean polite, gboolean offerer)
{
  g_autoptr (PcIceConfig) ice_config = NULL;
  g_autoptr (PcCallSession) session = NULL;
  PcMessage *welcome = pc_signaling_client_get_welcome (self->client);

  ice_config = self->ice_config ? pc_ice_config_copy (self->ice_config) : pc_ice_config_new ();
  if (welcome != NULL && welcome->ice_servers != NULL)
    pc_ice_config_add_servers (ice_config, welcome->ice_servers);

  session = g_object_new (PC_TYPE_CALL_SESSION, "ice-config", ice_config, "polite", polite,
                          "video-source", self->video_source, "audio-source", self->audio_source,
                          "latency-probe", self->latency_probe, NULL);
  pc_active_call_start_media (self->active, session, offerer);
}

/* Ends the current call `call` (see pc_active_call_end). */
static void
end_call (PcCallManager *self,
          PcCall *call,
          const char *reason,
          gboolean locally,
          PcMessageType send_type)
{
  if (is_current (self, call))
    pc_active_call_end (self->active, reason, locally, send_type);
}

/* Incoming messages */

static void
send_decline (PcCallManager *self, PcMessage *message, const char *reason)
{
  g_autoptr (GError) error = NULL;

  if (!pc_signaling_client_send_decline (self->client, message->from, message->call, reason,
                                         &error))
    g_debug ("decline not sent: %s", error->message);
}

/* An invite that is not for the current call: the one-call policy. */
static void
handle_invite (PcCallManager *self, PcMessage *message)
{
  g_autoptr (PcCall) call = NULL;
  g_autoptr (GError) error = NULL;
  PcContact *contact;

  if (self->current_call == NULL && g_strcmp0 (message->call, self->last_ended_id) == 0
      && g_strcmp0 (message->from, self->last_ended_peer) == 0)
    {
      /* a restoring invite for a call that already ended here: no new ringing */
      g_debug ("invite %s for a call that ended: unavailable", message->call);
      send_decline (self, message, PC_CALL_END_UNAVAILABLE);
      return;
    }

  if (self->current_call != NULL)
    {
      /* one call at a time; the server normally does this itself */
      g_debug ("invite %s from %s while in a call: busy", message->call, message->from);
      send_decline (self, message, PC_CALL_END_BUSY);
      return;
    }

  contact = pc_contact_list_update (self->contacts, message->from, message->name, PC_PRESENCE_BUSY);
  call = pc_call_new (message->call, message->from,
                      message->name ? message->name
                                    : (contact ? pc_contact_get_name (contact) : NULL),
                      PC_CALL_DIRECTION_INCOMING, message->video);
  add_call (self, call);

  if (!pc_signaling_client_send_ringing (self->client, message->from, message->call, &error))
    g_debug ("ringing not sent: %s", error->message);
  if (is_current (self, call)) /* not declined from "call-added" */
    pc_active_call_start_ring_timer (self->active, self->ring_timeout);

  g_signal_emit (self, signals[SIGNAL_INCOMING_CALL], 0, call);

  if (self->auto_answer && is_current (self, call) && pc_call_is_active (call))
    {
      g_autoptr (GError) accept_error = NULL;

      if (!pc_call_manager_accept (self, call, message->video, &accept_error))
        emit_error (self, accept_error);
    }
}

static void
on_client_message (PcSignalingClient *client, PcMessage *message, PcCallManager *self)
{
  /* an invite again for the current call restores it; everything else belongs to the current
   * call, from its peer */
  if (is_current_message (self, message))
    pc_active_call_handle_message (self->active, message);
  else if (message->type == PC_MESSAGE_INVITE)
    handle_invite (self, message);
  else
    g_debug ("ignoring %s for call %s from %s", pc_message_type_to_string (message->type),
             message->call, message->from);
}

static void
maybe_restore_call (PcCallManager *self)
{
  if (self->active != NULL)
    pc_active_call_maybe_restore (self->active);
}

static void
on_client_registered (PcSignalingClient *client, PcMessage *welcome, PcCallManager *self)
{
  self->was_registered = TRUE;
  pc_contact_list_sync (self->contacts, welcome->peers);

  g_signal_emit (self, signals[SIGNAL_REGISTERED], 0);
  maybe_restore_call (self);

  if (welcome->peers != NULL)
    {
      for (guint i = 0; i < welcome->peers->len; i++)
        {
          PcPeerInfo *info = g_ptr_array_index (welcome->peers, i);
          PcContact *contact = pc_contact_list_lookup (self->contacts, info->user);

          if (contact != NULL)
            g_signal_emit (self, signals[SIGNAL_PRESENCE], 0, contact);
        }
    }
}

static void
on_client_presence (PcSignalingClient *client,
                    const char *user,
                    const char *name,
                    PcPresence status,
                    PcCallManager *self)
{
  PcContact *contact = pc_contact_list_update (self->contacts, user, name, status);

  if (contact != NULL)
    g_signal_emit (self, signals[SIGNAL_PRESENCE], 0, contact);
  if (status == PC_PRESENCE_AVAILABLE && self->current_call != NULL
      && g_strcmp0 (user, pc_call_get_peer (self->current_call)) == 0)
    maybe_restore_call (self);
}

static void
on_client_server_error (PcSignalingClient *client,
                        GError *error,
                        const char *ref,
                        const char *call_id,
                        PcCallManager *self)
{
  PcCall *call = self->current_call;

  if (call_id == NULL)
    {
      emit_error (self, error);
      return;
    }
  /* a late reply about a call that is already over (both sides hung up at once) */
  if (call == NULL || g_strcmp0 (call_id, pc_call_get_id (call)) != 0)
    {
      g_debug ("server error about old call %s: %s", call_id, error->message);
      return;
    }
  pc_active_call_handle_server_error (self->active, error, ref);
}

static void
on_client_disconnected (PcSignalingClient *client, GError *error, PcCallManager *self)
{
  if (error != NULL && self->was_registered)
    emit_error (self, error);

  if (self->active != NULL)
    pc_active_call_signaling_lost (self->active);
}

static void
on_client_state (PcSignalingClient *client, GParamSpec *pspec, PcCallManager *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGNALING_STATE]);
}

/* GObject */

static void
pc_call_manager_constructed (GObject *object)
{
  PcCallManager *self = PC_CALL_MANAGER (object);

  G_OBJECT_CLASS (pc_call_manager_parent_class)->constructed (object);

  self->contacts = pc_contact_list_new (self->user);

  /* `hello` requires a display name: the user name stands in */
  self->client = pc_signaling_client_new (self->server_url, self->user,
                                          self->name && *self->name ? self->name : self->user,
                                          self->token && *self->token ? self->token : NULL);
  g_signal_connect_object (self->client, "registered", G_CALLBACK (on_client_registered), self, 0);
  g_signal_connect_object (self->client, "presence", G_CALLBACK (on_client_presence), self, 0);
  g_signal_connect_object (self->client, "message", G_CALLBACK (on_client_message), self, 0);
  g_signal_connect_object (self->client, "server-error", G_CALLBACK (on_client_server_error), self,
                           0);
  g_signal_connect_object (self->client, "disconnected", G_CALLBACK (on_client_disconnected), self,
                           0);
  g_signal_connect_object (self->client, "notify::state", G_CALLBACK (on_client_state), self, 0);
}

static void
pc_call_manager_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PcCallManager *self = PC_CALL_MANAGER (object);

  switch (prop_id)
    {
    case PROP_SERVER_URL:
      g_value_set_string (value, self->server_url);
      break;
    case PROP_USER:
      g_value_set_string (value, self->user);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_TOKEN:
      g_value_set_string (value, self->token);
      break;
    case PROP_ICE_CONFIG:
      g_value_set_object (value, self->ice_config);
      break;
    case PROP_VIDEO_SOURCE:
      g_value_set_enum (value, self->video_source);
      break;
    case PROP_AUDIO_SOURCE:
      g_value_set_enum (value, self->audio_source);
      break;
    case PROP_LATENCY_PROBE:
      g_value_set_boolean (value, self->latency_probe);
      break;
    case PROP_AUTO_ANSWER:
      g_value_set_boolean (value, self->auto_answer);
      break;
    case PROP_RING_TIMEOUT:
      g_value_set_uint (value, self->ring_timeout);
      break;
    case PROP_SIGNALING_STATE:
      g_value_set_int (value, pc_call_manager_get_signaling_state (self));
      break;
    case PROP_CURRENT_CALL:
      g_value_set_object (value, self->current_call);
      break;
    case PROP_CONTACTS:
      g_value_set_object (value, self->contacts);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_call_manager_set_property (GObject *object,
                              guint prop_id,
                              const GValue *value,
                              GParamSpec *pspec)
{
  PcCallManager *self = PC_CALL_MANAGER (object);

  switch (prop_id)
    {
    case PROP_SERVER_URL:
      self->server_url = g_value_dup_string (value);
      break;
    case PROP_USER:
      self->user = g_value_dup_string (value);
      break;
    case PROP_NAME:
      self->name = g_value_dup_string (value);
      break;
    case PROP_TOKEN:
      self->token = g_value_dup_string (value);
      break;
    case PROP_ICE_CONFIG:
      self->ice_config = g_value_dup_object (value);
      break;
    case PROP_VIDEO_SOURCE:
      pc_call_manager_set_video_source (self, g_value_get_enum (value));
      break;
    case PROP_AUDIO_SOURCE:
      pc_call_manager_set_audio_source (self, g_value_get_enum (value));
      break;
    case PROP_LATENCY_PROBE:
      pc_call_manager_set_latency_probe (self, g_value_get_boolean (value));
      break;
    case PROP_AUTO_ANSWER:
      pc_call_manager_set_auto_answer (self, g_value_get_boolean (value));
      break;
    case PROP_RING_TIMEOUT:
      pc_call_manager_set_ring_timeout (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_call_manager_dispose (GObject *object)
{
  PcCallManager *self = PC_CALL_MANAGER (object);

  if (self->active != NULL)
    {
      g_autoptr (PcActiveCall) active = g_object_ref (self->active);

      pc_active_call_close (active);
      g_signal_handlers_disconnect_by_data (active, self);
      if (self->active == active)
        g_clear_object (&self->active);
    }
  g_clear_object (&self->current_call);
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      pc_signaling_client_disconnect (self->client);
    }
  g_clear_object (&self->client);
  g_clear_object (&self->contacts);
  g_clear_object (&self->ice_config);

  G_OBJECT_CLASS (pc_call_manager_parent_class)->dispose (object);
}

static void
pc_call_manager_finalize (GObject *object)
{
  PcCallManager *self = PC_CALL_MANAGER (object);

  g_free (self->server_url);
  g_free (self->user);
  g_free (self->name);
  g_free (self->token);
  g_free (self->last_ended_id);
  g_free (self->last_ended_peer);

  G_OBJECT_CLASS (pc_call_manager_parent_class)->finalize (object);
}

static void
pc_call_manager_class_init (PcCallManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = pc_call_manager_constructed;
  object_class->get_property = pc_call_manager_get_property;
  object_class->set_property = pc_call_manager_set_property;
  object_class->dispose = pc_call_manager_dispose;
  object_class->finalize = pc_call_manager_finalize;

  properties[PROP_SERVER_URL]
      = g_param_spec_string ("server-url", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USER]
      = g_param_spec_string ("user", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME]
      = g_param_spec_string ("name", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOKEN]
      = g_param_spec_string ("token", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ICE_CONFIG]
      = g_param_spec_object ("ice-config", NULL, NULL, PC_TYPE_ICE_CONFIG,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VIDEO_SOURCE] = g_param_spec_enum (
      "video-source", NULL, NULL, PC_TYPE_MEDIA_SOURCE_KIND, PC_MEDIA_SOURCE_AUTO,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AUDIO_SOURCE] = g_param_spec_enum (
      "audio-source", NULL, NULL, PC_TYPE_MEDIA_SOURCE_KIND, PC_MEDIA_SOURCE_AUTO,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LATENCY_PROBE]
      = g_param_spec_boolean ("latency-probe", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AUTO_ANSWER]
      = g_param_spec_boolean ("auto-answer", NULL, NULL, FALSE,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RING_TIMEOUT] = g_param_spec_uint (
      "ring-timeout", NULL, NULL, 0, G_MAXUINT, PC_CALL_MANAGER_DEFAULT_RING_TIMEOUT,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* PcSignalingState has no GType of its own: an int holding its values */
  properties[PROP_SIGNALING_STATE]
      = g_param_spec_int ("signaling-state", NULL, NULL, PC_SIGNALING_STATE_DISCONNECTED,
                          PC_SIGNALING_STATE_RECONNECTING, PC_SIGNALING_STATE_DISCONNECTED,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CURRENT_CALL]
      = g_param_spec_object ("current-call", NULL, NULL, PC_TYPE_CALL,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONTACTS] = g_param_spec_object ("contacts", NULL, NULL, G_TYPE_LIST_MODEL,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_REGISTERED]
      = g_signal_new ("registered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_CALL_ADDED]
      = g_signal_new ("call-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, PC_TYPE_CALL);
  signals[SIGNAL_INCOMING_CALL]
      = g_signal_new ("incoming-call", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, PC_TYPE_CALL);
  signals[SIGNAL_CALL_ENDED]
      = g_signal_new ("call-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, PC_TYPE_CALL);
  signals[SIGNAL_PRESENCE] = g_signal_new ("presence", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 1, PC_TYPE_CONTACT);
  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
pc_call_manager_init (PcCallManager *self)
{
  self->ring_timeout = PC_CALL_MANAGER_DEFAULT_RING_TIMEOUT;
}

PcCallManager *
pc_call_manager_new (const char *server_url,
                     const char *user,
                     const char *name,
                     const char *token,
                     PcIceConfig *ice_config)
{
  g_return_val_if_fail (server_url != NULL, NULL);
  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (ice_config == NULL || PC_IS_ICE_CONFIG (ice_config), NULL);

  return g_object_new (PC_TYPE_CALL_MANAGER, "server-url", server_url, "user", user, "name", name,
                       "token", token, "ice-config", ice_config, NULL);
}

/* Connection */

static void
on_connect_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  PcCallManager *self = g_task_get_source_object (task);
  g_autoptr (PcMessage) welcome = NULL;
  g_autoptr (GError) error = NULL;

  welcome = pc_signaling_client_connect_finish (PC_SIGNALING_CLIENT (source), result, &error);
  if (welcome == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        emit_error (self, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
pc_call_manager_connect_async (PcCallManager *self,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  GTask *task;

  g_return_if_fail (PC_IS_CALL_MANAGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pc_call_manager_connect_async);
  pc_signaling_client_connect_async (self->client, cancellable, on_connect_done, task);
}

gboolean
pc_call_manager_connect_finish (PcCallManager *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
pc_call_manager_connect (PcCallManager *self)
{
  pc_call_manager_connect_async (self, NULL, NULL, NULL);
}

void
pc_call_manager_disconnect (PcCallManager *self)
{
  g_return_if_fail (PC_IS_CALL_MANAGER (self));

  if (self->current_call != NULL)
    pc_call_manager_hangup (self, self->current_call);
  pc_signaling_client_disconnect (self->client);
}

/* Calls */

PcCall *
pc_call_manager_start_call (PcCallManager *self,
                            const char *peer_user,
                            gboolean video,
                            GError **error)
{
  g_autoptr (PcCall) call = NULL;
  PcContact *contact;
  g_autofree char *id = NULL;

  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  g_return_val_if_fail (peer_user != NULL, NULL);

  if (pc_signaling_client_get_state (self->client) != PC_SIGNALING_STATE_REGISTERED)
    {
      g_set_error (error, PC_CALL_ERROR, PC_CALL_ERROR_NOT_REGISTERED,
                   "Not signed in to the server");
      return NULL;
    }
  if (self->current_call != NULL)
    {
      g_set_error (error, PC_CALL_ERROR, PC_CALL_ERROR_BUSY, "Already in a call");
      return NULL;
    }
  if (!pc_protocol_is_valid_user (peer_user) || g_strcmp0 (peer_user, self->user) == 0)
    {
      g_set_error (error, PC_CALL_ERROR, PC_CALL_ERROR_INVALID_PEER, "Cannot call “%s”", peer_user);
      return NULL;
    }

  id = g_uuid_string_random ();
  contact = pc_contact_list_lookup (self->contacts, peer_user);
  call = pc_call_new (id, peer_user, contact ? pc_contact_get_name (contact) : NULL,
                      PC_CALL_DIRECTION_OUTGOING, video);

  if (!pc_signaling_client_send_invite (self->client, peer_user, id, video, error))
    return NULL;

  add_call (self, call);
  if (!is_current (self, call))
    return g_steal_pointer (&call); /* hung up from "call-added" */
  pc_active_call_start_ring_timer (self->active, self->ring_timeout);

  /* Gather early: the offer and candidates are ready (and queued) by the time `accept` comes. */
  start_media (self, FALSE, TRUE);

  return g_steal_pointer (&call);
}

gboolean
pc_call_manager_accept (PcCallManager *self, PcCall *call, gboolean video, GError **error)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), FALSE);
  g_return_val_if_fail (PC_IS_CALL (call), FALSE);

  if (!is_current (self, call) || pc_call_get_direction (call) != PC_CALL_DIRECTION_INCOMING
      || pc_call_get_state (call) != PC_CALL_STATE_RINGING)
    {
      g_set_error (error, PC_CALL_ERROR, PC_CALL_ERROR_WRONG_STATE,
                   "This call cannot be answered any more");
      return FALSE;
    }

  if (!pc_signaling_client_send_accept (self->client, pc_call_get_peer (call),
                                        pc_call_get_id (call), error))
    return FALSE;

  pc_active_call_stop_ring_timer (self->active);
  pc_call_set_video (call, video);
  pc_call_set_state (call, PC_CALL_STATE_CONNECTING);
  if (is_current (self, call)) /* not hung up from notify::state */
    start_media (self, TRUE, FALSE);
  return TRUE;
}

gboolean
pc_call_manager_decline (PcCallManager *self, PcCall *call, const char *reason, GError **error)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), FALSE);
  g_return_val_if_fail (PC_IS_CALL (call), FALSE);

  if (reason == NULL)
    reason = PC_CALL_END_DECLINED;
  if (g_strcmp0 (reason, PC_CALL_END_DECLINED) != 0 && g_strcmp0 (reason, PC_CALL_END_BUSY) != 0
      && g_strcmp0 (reason, PC_CALL_END_UNAVAILABLE) != 0)
    {
      g_set_error (error, PC_CALL_ERROR, PC_CALL_ERROR_WRONG_STATE, "“%s” is not a decline reason",
                   reason);
      return FALSE;
    }
  if (!is_current (self, call) || pc_call_get_direction (call) != PC_CALL_DIRECTION_INCOMING
      || pc_call_get_state (call) != PC_CALL_STATE_RINGING)
    {
      g_set_error (error, PC_CALL_ERROR, PC_CALL_ERROR_WRONG_STATE,
                   "This call cannot be declined any more");
      return FALSE;
    }

  end_call (self, call, reason, TRUE, PC_MESSAGE_DECLINE);
  return TRUE;
}

void
pc_call_manager_hangup (PcCallManager *self, PcCall *call)
{
  PcCallState state;

  g_return_if_fail (PC_IS_CALL_MANAGER (self));
  g_return_if_fail (PC_IS_CALL (call));

  if (!pc_call_is_active (call))
    return;

  state = pc_call_get_state (call);
  if (pc_call_get_direction (call) == PC_CALL_DIRECTION_INCOMING && state == PC_CALL_STATE_RINGING)
    end_call (self, call, PC_CALL_END_DECLINED, TRUE, PC_MESSAGE_DECLINE);
  else if (pc_call_get_direction (call) == PC_CALL_DIRECTION_OUTGOING
           && state < PC_CALL_STATE_CONNECTING)
    end_call (self, call, PC_CALL_END_CANCELLED, TRUE, PC_MESSAGE_HANGUP);
  else
    end_call (self, call, PC_CALL_END_NORMAL, TRUE, PC_MESSAGE_HANGUP);
}

/* Accessors */

PcCall *
pc_call_manager_get_current_call (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  return self->current_call;
}

GListModel *
pc_call_manager_get_contacts (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  return G_LIST_MODEL (self->contacts);
}

PcContact *
pc_call_manager_lookup_contact (PcCallManager *self, const char *user)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  return pc_contact_list_lookup (self->contacts, user);
}

PcSignalingState
pc_call_manager_get_signaling_state (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), PC_SIGNALING_STATE_DISCONNECTED);
  return self->client ? pc_signaling_client_get_state (self->client)
                      : PC_SIGNALING_STATE_DISCONNECTED;
}

PcSignalingClient *
pc_call_manager_get_signaling_client (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  return self->client;
}

const char *
pc_call_manager_get_user (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  return self->user;
}

const char *
pc_call_manager_get_name (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  return self->name && *self->name ? self->name : self->user;
}

const char *
pc_call_manager_get_server_url (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), NULL);
  return self->server_url;
}

void
pc_call_manager_set_video_source (PcCallManager *self, PcMediaSourceKind kind)
{
  g_return_if_fail (PC_IS_CALL_MANAGER (self));
  if (self->video_source == kind)
    return;
  self->video_source = kind;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VIDEO_SOURCE]);
}

PcMediaSourceKind
pc_call_manager_get_video_source (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), PC_MEDIA_SOURCE_NONE);
  return self->video_source;
}

void
pc_call_manager_set_audio_source (PcCallManager *self, PcMediaSourceKind kind)
{
  g_return_if_fail (PC_IS_CALL_MANAGER (self));
  if (self->audio_source == kind)
    return;
  self->audio_source = kind;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUDIO_SOURCE]);
}

PcMediaSourceKind
pc_call_manager_get_audio_source (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), PC_MEDIA_SOURCE_NONE);
  return self->audio_source;
}

void
pc_call_manager_set_latency_probe (PcCallManager *self, gboolean latency_probe)
{
  g_return_if_fail (PC_IS_CALL_MANAGER (self));
  latency_probe = !!latency_probe;
  if (self->latency_probe == latency_probe)
    return;
  self->latency_probe = latency_probe;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LATENCY_PROBE]);
}

void
pc_call_manager_set_auto_answer (PcCallManager *self, gboolean auto_answer)
{
  g_return_if_fail (PC_IS_CALL_MANAGER (self));
  auto_answer = !!auto_answer;
  if (self->auto_answer == auto_answer)
    return;
  self->auto_answer = auto_answer;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTO_ANSWER]);
}

gboolean
pc_call_manager_get_auto_answer (PcCallManager *self)
{
  g_return_val_if_fail (PC_IS_CALL_MANAGER (self), FALSE);
  return self->auto_answer;
}

void
pc_call_manager_set_ring_timeout (PcCallManager *self, guint seconds)
{
  g_return_if_fail (PC_IS_CALL_MANAGER (self));
  if (self->ring_timeout == seconds)
    return;
  self->ring_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RING_TIMEOUT]);
}

const char *
pc_call_manager_error_code (const GError *error)
{
  static const char *const signaling_codes[] = {
    [PC_SIGNALING_ERROR_INVALID_URL] = "invalid-url",
    [PC_SIGNALING_ERROR_CONNECTION_REFUSED] = "connection-refused",
    [PC_SIGNALING_ERROR_CONNECTION_LOST] = "connection-lost",
    [PC_SIGNALING_ERROR_TLS] = "tls",
    [PC_SIGNALING_ERROR_HANDSHAKE] = "handshake",
    [PC_SIGNALING_ERROR_NOT_CONNECTED] = "not-connected",
  };
  static const char *const media_codes[] = {
    [PC_MEDIA_ERROR_PIPELINE] = "pipeline",
    [PC_MEDIA_ERROR_NEGOTIATION] = "negotiation",
    [PC_MEDIA_ERROR_DEVICE_MISSING] = "device-missing",
    [PC_MEDIA_ERROR_DEVICE_BUSY] = "device-busy",
    [PC_MEDIA_ERROR_ICE_FAILED] = "ice-failed",
    [PC_MEDIA_ERROR_SCREENCAST] = "screencast",
    [PC_MEDIA_ERROR_DTLS_FINGERPRINT] = "dtls-fingerprint",
  };
  static const char *const call_codes[] = {
    [PC_CALL_ERROR_NOT_REGISTERED] = "not-registered",
    [PC_CALL_ERROR_BUSY] = "busy",
    [PC_CALL_ERROR_INVALID_PEER] = "invalid-peer",
    [PC_CALL_ERROR_WRONG_STATE] = "wrong-state",
  };

  if (error == NULL)
    return "error";

  if (error->domain == PC_PROTOCOL_ERROR)
    {
      const char *code = pc_protocol_error_to_code (error->code);

      return code ? code : "error";
    }
  if (error->domain == PC_SIGNALING_ERROR && error->code >= 0
      && (gsize)error->code < G_N_ELEMENTS (signaling_codes))
    return signaling_codes[error->code];
  if (error->domain == PC_MEDIA_ERROR && error->code >= 0
      && (gsize)error->code < G_N_ELEMENTS (media_codes))
    return media_codes[error->code];
  if (error->domain == PC_CALL_ERROR && error->code >= 0
      && (gsize)error->code < G_N_ELEMENTS (call_codes))
    return call_codes[error->code];
  return "error";
}
