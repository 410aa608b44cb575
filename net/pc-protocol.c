/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-protocol.c: wire protocol v1 message model: parse, validate, serialize. */
#define G_LOG_DOMAIN "peercall-protocol"

#include "config.h"

#include <string.h>

#include "pc-protocol.h"

/* Deepest legal message is welcome -> ice_servers -> server -> urls (4); unknown members may
 * nest a little more, but json-glib's parser recurses, so refuse absurd nesting up front. */
#define MAX_NESTING_DEPTH 32

#define MAX_NAME_CHARS 128
#define MAX_USER_LEN 64
#define MAX_CALL_LEN 64

/* Spelled out: clang-format would put spaces into G_DEFINE_QUARK's dashed name. */
GQuark
pc_protocol_error_quark (void)
{
  return g_quark_from_static_string ("pc-protocol-error-quark");
}

static const char *const error_codes[] = {
  [PC_PROTOCOL_ERROR_BAD_MESSAGE] = "bad-message",
  [PC_PROTOCOL_ERROR_UNSUPPORTED_VERSION] = "unsupported-version",
  [PC_PROTOCOL_ERROR_NOT_REGISTERED] = "not-registered",
  [PC_PROTOCOL_ERROR_ALREADY_REGISTERED] = "already-registered",
  [PC_PROTOCOL_ERROR_USER_TAKEN] = "user-taken",
  [PC_PROTOCOL_ERROR_AUTH_FAILED] = "auth-failed",
  [PC_PROTOCOL_ERROR_UNKNOWN_PEER] = "unknown-peer",
  [PC_PROTOCOL_ERROR_NO_SUCH_CALL] = "no-such-call",
  [PC_PROTOCOL_ERROR_RATE_LIMITED] = "rate-limited",
};

static const char *const message_types[] = {
  [PC_MESSAGE_UNKNOWN] = NULL,        [PC_MESSAGE_HELLO] = "hello",
  [PC_MESSAGE_INVITE] = "invite",     [PC_MESSAGE_RINGING] = "ringing",
  [PC_MESSAGE_ACCEPT] = "accept",     [PC_MESSAGE_DECLINE] = "decline",
  [PC_MESSAGE_HANGUP] = "hangup",     [PC_MESSAGE_SDP] = "sdp",
  [PC_MESSAGE_ICE] = "ice",           [PC_MESSAGE_WELCOME] = "welcome",
  [PC_MESSAGE_PRESENCE] = "presence", [PC_MESSAGE_ERROR] = "error",
};

static const char *const presence_names[] = {
  [PC_PRESENCE_OFFLINE] = "offline",
  [PC_PRESENCE_AVAILABLE] = "available",
  [PC_PRESENCE_BUSY] = "busy",
};

static const char *const decline_reasons[] = { "declined", "busy", "unavailable", NULL };
static const char *const client_hangup_reasons[]
    = { "normal", "cancelled", "timeout", "failed", NULL };
static const char *const server_hangup_reasons[]
    = { "normal", "cancelled", "timeout", "failed", "peer-gone", NULL };

/* The public struct plus a reference count the callers never see. */
typedef struct
{
  PcMessage message;
  gint ref_count;
} PcMessagePrivate;

G_DEFINE_BOXED_TYPE (PcMessage, pc_message, pc_message_ref, pc_message_unref)

/* Codes and names */

const char *
pc_protocol_error_to_code (PcProtocolError error)
{
  if ((guint)error >= G_N_ELEMENTS (error_codes))
    return "bad-message";
  return error_codes[error];
}

gboolean
pc_protocol_error_from_code (const char *code, PcProtocolError *out_error)
{
  if (code == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (error_codes); i++)
    if (g_str_equal (code, error_codes[i]))
      {
        if (out_error != NULL)
          *out_error = (PcProtocolError)i;
        return TRUE;
      }
  return FALSE;
}

const char *
pc_message_type_to_string (PcMessageType type)
{
  if ((guint)type >= G_N_ELEMENTS (message_types))
    return NULL;
  return message_types[type];
}

PcMessageType
pc_message_type_from_string (const char *type)
{
  if (type == NULL)
    return PC_MESSAGE_UNKNOWN;
  for (guint i = 1; i < G_N_ELEMENTS (message_types); i++)
    if (g_str_equal (type, message_types[i]))
      return (PcMessageType)i;
  return PC_MESSAGE_UNKNOWN;
}

const char *
pc_presence_to_string (PcPresence presence)
{
  if ((guint)presence >= G_N_ELEMENTS (presence_names))
    return NULL;
  return presence_names[presence];
}

gboolean
pc_presence_from_string (const char *str, PcPresence *out_presence)
{
  if (str == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (presence_names); i++)
    if (g_str_equal (str, presence_names[i]))
      {
        if (out_presence != NULL)
          *out_presence = (PcPresence)i;
        return TRUE;
      }
  return FALSE;
}

/* Identifiers */

static gboolean
is_user_char (char c, gboolean first)
{
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
    return TRUE;
  return !first && (c == '.' || c == '_' || c == '-');
}

/* ^[a-z0-9][a-z0-9._-]{0,63}$ */
gboolean
pc_protocol_is_valid_user (const char *user)
{
  gsize i;

  if (user == NULL || user[0] == '\0')
    return FALSE;
  for (i = 0; user[i] != '\0'; i++)
    {
      if (i >= MAX_USER_LEN || !is_user_char (user[i], i == 0))
        return FALSE;
    }
  return TRUE;
}

/* 1–128 characters of valid UTF-8; control characters (C0, DEL) are refused because a display
 * name is shown on one line in a list. */
gboolean
pc_protocol_is_valid_name (const char *name)
{
  glong n_chars = 0;

  if (name == NULL || name[0] == '\0')
    return FALSE;
  if (!g_utf8_validate (name, -1, NULL))
    return FALSE;
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x20 || c == 0x7f)
        return FALSE;
      if (++n_chars > MAX_NAME_CHARS)
        return FALSE;
    }
  return TRUE;
}

/* ^[A-Za-z0-9-]{1,64}$ */
gboolean
pc_protocol_is_valid_call_id (const char *call)
{
  gsize i;

  if (call == NULL || call[0] == '\0')
    return FALSE;
  for (i = 0; call[i] != '\0'; i++)
    {
      char c = call[i];

      if (i >= MAX_CALL_LEN)
        return FALSE;
      if (!g_ascii_isalnum (c) && c != '-')
        return FALSE;
    }
  return TRUE;
}

/* Small structs */

PcIceServer *
pc_ice_server_new (const char *const *urls, const char *username, const char *credential)
{
  PcIceServer *server = g_new0 (PcIceServer, 1);

  server->urls = urls != NULL ? g_strdupv ((char **)urls) : g_new0 (char *, 1);
  server->username = g_strdup (username);
  server->credential = g_strdup (credential);
  return server;
}

PcIceServer *
pc_ice_server_copy (const PcIceServer *server)
{
  g_return_val_if_fail (server != NULL, NULL);
  return pc_ice_server_new ((const char *const *)server->urls, server->username,
                            server->credential);
}

void
pc_ice_server_free (PcIceServer *server)
{
  if (server == NULL)
    return;
  g_strfreev (server->urls);
  g_free (server->username);
  g_free (server->credential);
  g_free (server);
}

PcPeerInfo *
pc_peer_info_new (const char *user, const char *name, PcPresence status)
{
  PcPeerInfo *info = g_new0 (PcPeerInfo, 1);

  info->user = g_strdup (user);
  info->name = g_strdup (name);
  info->status = status;
  return info;
}

void
pc_peer_info_free (PcPeerInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->user);
  g_free (info->name);
  g_free (info);
}

/* PcMessage */

PcMessage *
pc_message_new (PcMessageType type)
{
  PcMessagePrivate *priv = g_new0 (PcMessagePrivate, 1);
  PcMessage *message = &priv->message;

  priv->ref_count = 1;
  message->type = type;
  message->version = PC_PROTOCOL_VERSION;
  message->sdp_mline_index = -1;
  message->status = PC_PRESENCE_OFFLINE;
  if (type == PC_MESSAGE_WELCOME)
    {
      message->ice_servers = g_ptr_array_new_with_free_func ((GDestroyNotify)pc_ice_server_free);
      message->peers = g_ptr_array_new_with_free_func ((GDestroyNotify)pc_peer_info_free);
    }
  return message;
}

PcMessage *
pc_message_ref (PcMessage *message)
{
  PcMessagePrivate *priv = (PcMessagePrivate *)message;

  g_return_val_if_fail (message != NULL, NULL);
  g_atomic_int_inc (&priv->ref_count);
  return message;
}

void
pc_message_unref (PcMessage *message)
{
  PcMessagePrivate *priv = (PcMessagePrivate *)message;

  if (message == NULL)
    return;
  if (!g_atomic_int_dec_and_test (&priv->ref_count))
    return;

  g_free (message->to);
  g_free (message->from);
  g_free (message->call);
  g_free (message->user);
  g_free (message->name);
  g_free (message->token);
  g_free (message->reason);
  g_free (message->sdp_type);
  g_free (message->sdp);
  g_free (message->candidate);
  g_free (message->sdp_mid);
  g_clear_pointer (&message->ice_servers, g_ptr_array_unref);
  g_clear_pointer (&message->peers, g_ptr_array_unref);
  g_free (message->code);
  g_free (message->message);
  g_free (message->ref);
  g_free (priv);
}

/* Validation of a built message */

static gboolean bad (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
bad (GError **error, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (error == NULL)
    return FALSE;
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_BAD_MESSAGE, text);
  return FALSE;
}

static gboolean
in_list (const char *value, const char *const *list)
{
  return value != NULL && g_strv_contains (list, value);
}

static gboolean
check_user (const char *type, const char *member, const char *value, GError **error)
{
  if (value == NULL)
    return bad (error, "%s: missing member '%s'", type, member);
  if (!pc_protocol_is_valid_user (value))
    return bad (error, "%s: '%s' is not a valid user name", type, member);
  return TRUE;
}

static gboolean
check_name (const char *type, const char *member, const char *value, GError **error)
{
  if (value == NULL)
    return bad (error, "%s: missing member '%s'", type, member);
  if (!pc_protocol_is_valid_name (value))
    return bad (error, "%s: '%s' must be 1 to %d printable characters", type, member,
                MAX_NAME_CHARS);
  return TRUE;
}

static gboolean
check_call (const char *type, const char *value, GError **error)
{
  if (value == NULL)
    return bad (error, "%s: missing member 'call'", type);
  if (!pc_protocol_is_valid_call_id (value))
    return bad (error, "%s: 'call' is not a valid call id", type);
  return TRUE;
}

static gboolean
is_relayed_type (PcMessageType type)
{
  return type >= PC_MESSAGE_INVITE && type <= PC_MESSAGE_ICE;
}

/* welcome: the protocol version, the user, ICE servers each with URLs, the peers. */
static gboolean
validate_welcome (const PcMessage *message, GError **error)
{
  const char *type = "welcome";

  if (message->version != PC_PROTOCOL_VERSION)
    {
      g_set_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_UNSUPPORTED_VERSION,
                   "server speaks protocol version %" G_GINT64_FORMAT ", this is %d",
                   message->version, PC_PROTOCOL_VERSION);
      return FALSE;
    }
  if (!check_user (type, "user", message->user, error))
    return FALSE;
  if (message->ice_servers == NULL)
    return bad (error, "welcome: missing member 'ice_servers'");
  if (message->peers == NULL)
    return bad (error, "welcome: missing member 'peers'");
  for (guint i = 0; i < message->ice_servers->len; i++)
    {
      const PcIceServer *server = g_ptr_array_index (message->ice_servers, i);

      if (server->urls == NULL || server->urls[0] == NULL)
        return bad (error, "welcome: ICE server without 'urls'");
      for (guint j = 0; server->urls[j] != NULL; j++)
        if (server->urls[j][0] == '\0')
          return bad (error, "welcome: empty ICE server URL");
    }
  for (guint i = 0; i < message->peers->len; i++)
    {
      const PcPeerInfo *peer = g_ptr_array_index (message->peers, i);

      if (!check_user ("welcome peer", "user", peer->user, error)
          || !check_name ("welcome peer", "name", peer->name, error))
        return FALSE;
      if (pc_presence_to_string (peer->status) == NULL)
        return bad (error, "welcome: bad peer status");
    }
  return TRUE;
}

gboolean
pc_message_validate (const PcMessage *message, PcMessageOrigin origin, GError **error)
{
  const char *type;

  g_return_val_if_fail (message != NULL, FALSE);

  type = pc_message_type_to_string (message->type);
  if (type == NULL)
    return bad (error, "unknown message type");

  if (origin == PC_MESSAGE_FROM_CLIENT)
    {
      if (message->type > PC_MESSAGE_ICE)
        return bad (error, "%s: not a client message", type);
      if (is_relayed_type (message->type) && !check_user (type, "to", message->to, error))
        return FALSE;
    }
  else
    {
      if (message->type == PC_MESSAGE_HELLO)
        return bad (error, "hello: not a server message");
      if (is_relayed_type (message->type) && !check_user (type, "from", message->from, error))
        return FALSE;
    }

  if (is_relayed_type (message->type) && !check_call (type, message->call, error))
    return FALSE;

  switch (message->type)
    {
    case PC_MESSAGE_HELLO:
      if (message->version != PC_PROTOCOL_VERSION)
        {
          g_set_error (error, PC_PROTOCOL_ERROR, PC_PROTOCOL_ERROR_UNSUPPORTED_VERSION,
                       "protocol version %" G_GINT64_FORMAT " is not supported (this is %d)",
                       message->version, PC_PROTOCOL_VERSION);
          return FALSE;
        }
      return check_user (type, "user", message->user, error)
             && check_name (type, "name", message->name, error);

    case PC_MESSAGE_INVITE:
      /* The server adds the caller's display name when it relays an invite. */
      if (origin == PC_MESSAGE_FROM_SERVER)
        return check_name (type, "name", message->name, error);
      return TRUE;

    case PC_MESSAGE_RINGING:
    case PC_MESSAGE_ACCEPT:
      return TRUE;

    case PC_MESSAGE_DECLINE:
      if (message->reason == NULL)
        return bad (error, "decline: missing member 'reason'");
      if (!in_list (message->reason, decline_reasons))
        return bad (error, "decline: unknown reason");
      return TRUE;

    case PC_MESSAGE_HANGUP:
      if (message->reason == NULL)
        return bad (error, "hangup: missing member 'reason'");
      if (!in_list (message->reason, origin == PC_MESSAGE_FROM_SERVER ? server_hangup_reasons
                                                                      : client_hangup_reasons))
        return bad (error, "hangup: unknown reason");
      return TRUE;

    case PC_MESSAGE_SDP:
      if (message->sdp_type == NULL)
        return bad (error, "sdp: missing member 'description.type'");
      if (!g_str_equal (message->sdp_type, "offer") && !g_str_equal (message->sdp_type, "answer"))
        return bad (error, "sdp: description type must be 'offer' or 'answer'");
      if (message->sdp == NULL || message->sdp[0] == '\0')
        return bad (error, "sdp: missing member 'description.sdp'");
      return TRUE;

    case PC_MESSAGE_ICE:
      if (message->candidate == NULL)
        return TRUE; /* end of candidates */
      if (message->sdp_mid == NULL && message->sdp_mline_index < 0)
        return bad (error, "ice: candidate needs 'sdpMid' or 'sdpMLineIndex'");
      if (message->sdp_mline_index > G_MAXUINT16)
        return bad (error, "ice: 'sdpMLineIndex' out of range");
      return TRUE;

    case PC_MESSAGE_WELCOME:
      return validate_welcome (message, error);

    case PC_MESSAGE_PRESENCE:
      if (pc_presence_to_string (message->status) == NULL)
        return bad (error, "presence: bad status");
      return check_user (type, "user", message->user, error)
             && check_name (type, "name", message->name, error);

    case PC_MESSAGE_ERROR:
      if (message->code == NULL || message->code[0] == '\0')
        return bad (error, "error: missing member 'code'");
      if (message->message == NULL)
        return bad (error, "error: missing member 'message'");
      return TRUE;

    case PC_MESSAGE_UNKNOWN:
    default:
      return bad (error, "unknown message type");
    }
}

/* Parsing */

/* Cheap pre-scan of the raw text: nesting depth outside strings, and no "\u0000" escapes
 * (they would silently truncate C strings). Runs before json-glib sees the input. */
static gboolean
prescan (const char *data, gsize length, GError **error)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            {
              if (i + 5 < length && data[i + 1] == 'u' && memcmp (data + i + 2, "0000", 4) == 0)
                return bad (error, "NUL characters are not allowed");
              i++; /* skip the escaped character */
            }
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '{':
        case '[':
          if (++depth > MAX_NESTING_DEPTH)
            return bad (error, "message nested too deeply");
          break;
        case '}':
        case ']':
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }
  return TRUE;
}

/* A member lookup that tells absent from present-but-null. */
static JsonNode *
member (JsonObject *object, const char *name)
{
  return json_object_get_member (object, name);
}

static gboolean
node_is_string (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

/* Reads a string member into *out (left NULL when an optional one is absent). */
static gboolean
get_string (JsonObject *object,
            const char *type,
            const char *name,
            gboolean required,
            char **out,
            GError **error)
{
  JsonNode *node = member (object, name);

  /* null stands for "absent" in an optional member (JavaScript clients send it). */
  if (node == NULL || (!required && JSON_NODE_HOLDS_NULL (node)))
    {
      if (required)
        return bad (error, "%s: missing member '%s'", type, name);
      return TRUE;
    }
  if (!node_is_string (node))
    return bad (error, "%s: member '%s' must be a string", type, name);
  g_free (*out);
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

/* Integers only; an integral double (1.0) is accepted since JSON does not distinguish them. */
static gboolean
node_get_int (JsonNode *node, gint64 *out)
{
  GType value_type;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  value_type = json_node_get_value_type (node);
  if (value_type == G_TYPE_INT64)
    {
      *out = json_node_get_int (node);
      return TRUE;
    }
  if (value_type == G_TYPE_DOUBLE)
    {
      double d = json_node_get_double (node);

      if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == (double)(gint64)d)
        {
          *out = (gint64)d;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
get_int (JsonObject *object, const char *type, const char *name, gint64 *out, GError **error)
{
  JsonNode *node = member (object, name);

  if (node == NULL)
    return bad (error, "%s: missing member '%s'", type, name);
  if (!node_get_int (node, out))
    return bad (error, "%s: member '%s' must be an integer", type, name);
  return TRUE;
}

static gboolean
get_bool (JsonObject *object, const char *type, const char *name, gboolean *out, GError **error)
{
  JsonNode *node = member (object, name);

  if (node == NULL)
    return bad (error, "%s: missing member '%s'", type, name);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return bad (error, "%s: member '%s' must be a boolean", type, name);
  *out = json_node_get_boolean (node);
  return TRUE;
}

static JsonObject *
get_object (JsonObject *object, const char *type, const char *name, GError **error)
{
  JsonNode *node = member (object, name);

  if (node == NULL)
    {
      bad (error, "%s: missing member '%s'", type, name);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      bad (error, "%s: member '%s' must be an object", type, name);
      return NULL;
    }
  return json_node_get_object (node);
}

static JsonArray *
get_array (JsonObject *object, const char *type, const char *name, GError **error)
{
  JsonNode *node = member (object, name);

  if (node == NULL)
    {
      bad (error, "%s: missing member '%s'", type, name);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      bad (error, "%s: member '%s' must be an array", type, name);
      return NULL;
    }
  return json_node_get_array (node);
}

static gboolean
get_status (JsonObject *object, const char *type, PcPresence *out, GError **error)
{
  g_autofree char *status = NULL;

  if (!get_string (object, type, "status", TRUE, &status, error))
    return FALSE;
  if (!pc_presence_from_string (status, out))
    return bad (error, "%s: unknown status", type);
  return TRUE;
}

static gboolean
parse_ice_candidate (JsonObject *root, PcMessage *message, GError **error)
{
  JsonNode *node = member (root, "candidate");
  JsonObject *object;
  JsonNode *mid, *index;

  if (node == NULL)
    return bad (error, "ice: missing member 'candidate'");
  if (JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return bad (error, "ice: member 'candidate' must be an object or null");

  object = json_node_get_object (node);
  if (!get_string (object, "ice", "candidate", TRUE, &message->candidate, error))
    return FALSE;

  mid = member (object, "sdpMid");
  if (mid != NULL && !JSON_NODE_HOLDS_NULL (mid))
    {
      if (!node_is_string (mid))
        return bad (error, "ice: member 'sdpMid' must be a string or null");
      message->sdp_mid = g_strdup (json_node_get_string (mid));
    }

  index = member (object, "sdpMLineIndex");
  if (index != NULL && !JSON_NODE_HOLDS_NULL (index))
    {
      gint64 value;

      if (!node_get_int (index, &value) || value < 0 || value > G_MAXUINT16)
        return bad (error, "ice: member 'sdpMLineIndex' must be an integer from 0 to 65535");
      message->sdp_mline_index = (gint)value;
    }

  /* Browsers signal end of candidates with an empty candidate string as well as with null;
   * fold both into one representation. */
  if (message->candidate[0] == '\0')
    {
      g_clear_pointer (&message->candidate, g_free);
      g_clear_pointer (&message->sdp_mid, g_free);
      message->sdp_mline_index = -1;
    }
  return TRUE;
}

static gboolean
parse_welcome (JsonObject *root, PcMessage *message, GError **error)
{
  JsonArray *servers, *peers;

  if (!get_int (root, "welcome", "version", &message->version, error)
      || !get_string (root, "welcome", "user", TRUE, &message->user, error))
    return FALSE;

  servers = get_array (root, "welcome", "ice_servers", error);
  if (servers == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (servers); i++)
    {
      JsonNode *node = json_array_get_element (servers, i);
      JsonObject *object;
      JsonNode *urls;
      g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
      g_auto (GStrv) strv = NULL;
      g_autofree char *username = NULL;
      g_autofree char *credential = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return bad (error, "welcome: each ICE server must be an object");
      object = json_node_get_object (node);

      /* RTCIceServer allows `urls` to be a single string too. */
      urls = member (object, "urls");
      if (urls == NULL)
        return bad (error, "welcome: ICE server missing member 'urls'");
      if (node_is_string (urls))
        g_strv_builder_add (builder, json_node_get_string (urls));
      else if (JSON_NODE_HOLDS_ARRAY (urls))
        {
          JsonArray *array = json_node_get_array (urls);

          for (guint j = 0; j < json_array_get_length (array); j++)
            {
              JsonNode *url = json_array_get_element (array, j);

              if (!node_is_string (url))
                return bad (error, "welcome: ICE server URLs must be strings");
              g_strv_builder_add (builder, json_node_get_string (url));
            }
        }
      else
        return bad (error, "welcome: ICE server member 'urls' must be an array of strings");

      if (!get_string (object, "welcome", "username", FALSE, &username, error)
          || !get_string (object, "welcome", "credential", FALSE, &credential, error))
        return FALSE;

      strv = g_strv_builder_end (builder);
      g_ptr_array_add (message->ice_servers,
                       pc_ice_server_new ((const char *const *)strv, username, credential));
    }

  peers = get_array (root, "welcome", "peers", error);
  if (peers == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (peers); i++)
    {
      JsonNode *node = json_array_get_element (peers, i);
      JsonObject *object;
      g_autofree char *user = NULL;
      g_autofree char *name = NULL;
      PcPresence status;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return bad (error, "welcome: each peer must be an object");
      object = json_node_get_object (node);
      if (!get_string (object, "welcome peer", "user", TRUE, &user, error)
          || !get_string (object, "welcome peer", "name", TRUE, &name, error)
          || !get_status (object, "welcome peer", &status, error))
        return FALSE;
      g_ptr_array_add (message->peers, pc_peer_info_new (user, name, status));
    }
  return TRUE;
}

/* Reads the members of `message->type` from `root`; type errors fail here, value constraints
 * are left to pc_message_validate(). */
static gboolean
parse_members (JsonObject *root, PcMessage *message, PcMessageOrigin origin, GError **error)
{
  const char *type = pc_message_type_to_string (message->type);

  if (is_relayed_type (message->type))
    {
      /* A client never chooses `from`, and the server never sends `to`: the other member is
       * ignored like any unknown member. */
      if (origin == PC_MESSAGE_FROM_CLIENT)
        {
          if (!get_string (root, type, "to", TRUE, &message->to, error))
            return FALSE;
        }
      else if (!get_string (root, type, "from", TRUE, &message->from, error))
        return FALSE;
      if (!get_string (root, type, "call", TRUE, &message->call, error))
        return FALSE;
    }

  switch (message->type)
    {
    case PC_MESSAGE_HELLO:
      if (!get_int (root, type, "version", &message->version, error))
        return FALSE;
      /* Check the version before anything else: a future client's hello may look different. */
      if (message->version != PC_PROTOCOL_VERSION)
        return pc_message_validate (message, origin, error);
      return get_string (root, type, "user", TRUE, &message->user, error)
             && get_string (root, type, "name", TRUE, &message->name, error)
             && get_string (root, type, "token", FALSE, &message->token, error);

    case PC_MESSAGE_INVITE:
      if (!get_bool (root, type, "video", &message->video, error))
        return FALSE;
      if (origin == PC_MESSAGE_FROM_SERVER)
        return get_string (root, type, "name", TRUE, &message->name, error);
      return TRUE;

    case PC_MESSAGE_RINGING:
    case PC_MESSAGE_ACCEPT:
      return TRUE;

    case PC_MESSAGE_DECLINE:
    case PC_MESSAGE_HANGUP:
      return get_string (root, type, "reason", TRUE, &message->reason, error);

    case PC_MESSAGE_SDP:
      {
        JsonObject *description = get_object (root, type, "description", error);

        if (description == NULL)
          return FALSE;
        return get_string (description, "sdp description", "type", TRUE, &message->sdp_type, error)
               && get_string (description, "sdp description", "sdp", TRUE, &message->sdp, error);
      }

    case PC_MESSAGE_ICE:
      return parse_ice_candidate (root, message, error);

    case PC_MESSAGE_WELCOME:
      return parse_welcome (root, message, error);

    case PC_MESSAGE_PRESENCE:
      return get_string (root, type, "user", TRUE, &message->user, error)
             && get_string (root, type, "name", TRUE, &message->name, error)
             && get_status (root, type, &message->status, error);

    case PC_MESSAGE_ERROR:
      return get_string (root, type, "code", TRUE, &message->code, error)
             && get_string (root, type, "message", TRUE, &message->message, error)
             && get_string (root, type, "ref", FALSE, &message->ref, error)
             && get_string (root, type, "call", FALSE, &message->call, error);

    case PC_MESSAGE_UNKNOWN:
    default:
      return bad (error, "unknown message type");
    }
}

PcMessage *
pc_message_parse (
    const char *data, gsize length, PcMessageOrigin origin, char **out_ref, GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (PcMessage) message = NULL;
  g_autofree char *type_name = NULL;
  JsonNode *root;
  JsonObject *object;
  JsonNode *type_node;
  PcMessageType type;

  if (out_ref != NULL)
    *out_ref = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length > PC_PROTOCOL_MAX_MESSAGE_SIZE)
    {
      bad (error, "message larger than %d bytes", PC_PROTOCOL_MAX_MESSAGE_SIZE);
      return NULL;
    }
  if (length == 0)
    {
      bad (error, "empty message");
      return NULL;
    }
  if (!g_utf8_validate_len (data, length, NULL))
    {
      bad (error, "message is not valid UTF-8");
      return NULL;
    }
  if (!prescan (data, length, error))
    return NULL;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize)length, &local_error))
    {
      bad (error, "invalid JSON: %s", local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      bad (error, "message is not a JSON object");
      return NULL;
    }
  object = json_node_get_object (root);

  type_node = json_object_get_member (object, "type");
  if (type_node == NULL)
    {
      bad (error, "missing member 'type'");
      return NULL;
    }
  if (!node_is_string (type_node))
    {
      bad (error, "member 'type' must be a string");
      return NULL;
    }
  type_name = g_strdup (json_node_get_string (type_node));
  type = pc_message_type_from_string (type_name);

  if (type == PC_MESSAGE_UNKNOWN || (origin == PC_MESSAGE_FROM_CLIENT && type > PC_MESSAGE_ICE)
      || (origin == PC_MESSAGE_FROM_SERVER && type == PC_MESSAGE_HELLO))
    {
      bad (error, "unknown message type '%s'", type_name);
      goto fail;
    }

  message = pc_message_new (type);
  if (!parse_members (object, message, origin, error))
    goto fail;
  if (!pc_message_validate (message, origin, error))
    goto fail;

  return g_steal_pointer (&message);

fail:
  if (out_ref != NULL)
    *out_ref = g_steal_pointer (&type_name);
  return NULL;
}

/* Serialization */

static void
add_string (JsonBuilder *builder, const char *name, const char *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

/* welcome's members: version, user, ice_servers, peers. */
static void
build_welcome (JsonBuilder *builder, const PcMessage *message)
{
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, message->version);
  add_string (builder, "user", message->user);
  json_builder_set_member_name (builder, "ice_servers");
  json_builder_begin_array (builder);
  for (guint i = 0; message->ice_servers != NULL && i < message->ice_servers->len; i++)
    {
      const PcIceServer *server = g_ptr_array_index (message->ice_servers, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "urls");
      json_builder_begin_array (builder);
      for (guint j = 0; server->urls != NULL && server->urls[j] != NULL; j++)
        json_builder_add_string_value (builder, server->urls[j]);
      json_builder_end_array (builder);
      add_string (builder, "username", server->username);
      add_string (builder, "credential", server->credential);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "peers");
  json_builder_begin_array (builder);
  for (guint i = 0; message->peers != NULL && i < message->peers->len; i++)
    {
      const PcPeerInfo *peer = g_ptr_array_index (message->peers, i);

      json_builder_begin_object (builder);
      add_string (builder, "user", peer->user);
      add_string (builder, "name", peer->name);
      add_string (builder, "status", pc_presence_to_string (peer->status));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

JsonNode *
pc_message_to_json (const PcMessage *message)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (message != NULL, NULL);

  json_builder_begin_object (builder);
  add_string (builder, "type", pc_message_type_to_string (message->type));

  if (is_relayed_type (message->type))
    {
      add_string (builder, "to", message->to);
      add_string (builder, "from", message->from);
      add_string (builder, "call", message->call);
    }

  switch (message->type)
    {
    case PC_MESSAGE_HELLO:
      json_builder_set_member_name (builder, "version");
      json_builder_add_int_value (builder, message->version);
      add_string (builder, "user", message->user);
      add_string (builder, "name", message->name);
      add_string (builder, "token", message->token);
      break;

    case PC_MESSAGE_INVITE:
      json_builder_set_member_name (builder, "video");
      json_builder_add_boolean_value (builder, message->video);
      add_string (builder, "name", message->name);
      break;

    case PC_MESSAGE_RINGING:
    case PC_MESSAGE_ACCEPT:
      break;

    case PC_MESSAGE_DECLINE:
    case PC_MESSAGE_HANGUP:
      add_string (builder, "reason", message->reason);
      break;

    case PC_MESSAGE_SDP:
      json_builder_set_member_name (builder, "description");
      json_builder_begin_object (builder);
      add_string (builder, "type", message->sdp_type);
      add_string (builder, "sdp", message->sdp);
      json_builder_end_object (builder);
      break;

    case PC_MESSAGE_ICE:
      json_builder_set_member_name (builder, "candidate");
      if (message->candidate == NULL)
        json_builder_add_null_value (builder);
      else
        {
          json_builder_begin_object (builder);
          add_string (builder, "candidate", message->candidate);
          if (message->sdp_mid != NULL)
            add_string (builder, "sdpMid", message->sdp_mid);
          if (message->sdp_mline_index >= 0)
            {
              json_builder_set_member_name (builder, "sdpMLineIndex");
              json_builder_add_int_value (builder, message->sdp_mline_index);
            }
          json_builder_end_object (builder);
        }
      break;

    case PC_MESSAGE_WELCOME:
      build_welcome (builder, message);
      break;

    case PC_MESSAGE_PRESENCE:
      add_string (builder, "user", message->user);
      add_string (builder, "name", message->name);
      add_string (builder, "status", pc_presence_to_string (message->status));
      break;

    case PC_MESSAGE_ERROR:
      add_string (builder, "code", message->code);
      add_string (builder, "message", message->message);
      add_string (builder, "ref", message->ref);
      add_string (builder, "call", message->call);
      break;

    case PC_MESSAGE_UNKNOWN:
    default:
      break;
    }

  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

char *
pc_message_serialize (const PcMessage *message)
{
  g_autoptr (JsonNode) node = NULL;

  g_return_val_if_fail (message != NULL, NULL);

  node = pc_message_to_json (message);
  return json_to_string (node, FALSE);
}
