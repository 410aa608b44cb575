/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-ice"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <gio/gio.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "pc-ice-config.h"

enum
{
  PROP_0,
  PROP_TRANSPORT_POLICY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _PcIceConfig
{
  GObject parent_instance;

  GPtrArray *stun_uris;       /* of char*, stun://host:port */
  GPtrArray *turn_uris;       /* of char*, turn(s)://user:pass@host:port[?transport=] */
  GPtrArray *local_addresses; /* of char* */
  PcIceTransportPolicy policy;
};

G_DEFINE_TYPE (PcIceConfig, pc_ice_config, G_TYPE_OBJECT)

static GType
pc_ice_transport_policy_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { PC_ICE_TRANSPORT_POLICY_ALL, "PC_ICE_TRANSPORT_POLICY_ALL", "all" },
    { PC_ICE_TRANSPORT_POLICY_RELAY, "PC_ICE_TRANSPORT_POLICY_RELAY", "relay" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("PcIceTransportPolicy", values));
  return (GType)type;
}

static void
pc_ice_config_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  PcIceConfig *self = PC_ICE_CONFIG (object);

  switch (prop_id)
    {
    case PROP_TRANSPORT_POLICY:
      g_value_set_enum (value, self->policy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_ice_config_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  PcIceConfig *self = PC_ICE_CONFIG (object);

  switch (prop_id)
    {
    case PROP_TRANSPORT_POLICY:
      pc_ice_config_set_transport_policy (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_ice_config_finalize (GObject *object)
{
  PcIceConfig *self = PC_ICE_CONFIG (object);

  g_ptr_array_unref (self->stun_uris);
  g_ptr_array_unref (self->turn_uris);
  g_ptr_array_unref (self->local_addresses);

  G_OBJECT_CLASS (pc_ice_config_parent_class)->finalize (object);
}

static void
pc_ice_config_class_init (PcIceConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = pc_ice_config_get_property;
  object_class->set_property = pc_ice_config_set_property;
  object_class->finalize = pc_ice_config_finalize;

  properties[PROP_TRANSPORT_POLICY]
      = g_param_spec_enum ("transport-policy", NULL, NULL, pc_ice_transport_policy_get_type (),
                           PC_ICE_TRANSPORT_POLICY_ALL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pc_ice_config_init (PcIceConfig *self)
{
  self->stun_uris = g_ptr_array_new_with_free_func (g_free);
  self->turn_uris = g_ptr_array_new_with_free_func (g_free);
  self->local_addresses = g_ptr_array_new_with_free_func (g_free);
}

PcIceConfig *
pc_ice_config_new (void)
{
  return g_object_new (PC_TYPE_ICE_CONFIG, NULL);
}

static void
copy_strings (GPtrArray *dst, GPtrArray *src)
{
  for (guint i = 0; i < src->len; i++)
    g_ptr_array_add (dst, g_strdup (g_ptr_array_index (src, i)));
}

PcIceConfig *
pc_ice_config_copy (PcIceConfig *self)
{
  PcIceConfig *copy;

  g_return_val_if_fail (PC_IS_ICE_CONFIG (self), NULL);

  copy = pc_ice_config_new ();
  copy_strings (copy->stun_uris, self->stun_uris);
  copy_strings (copy->turn_uris, self->turn_uris);
  copy_strings (copy->local_addresses, self->local_addresses);
  copy->policy = self->policy;
  return copy;
}

static gboolean
contains_string (GPtrArray *array, const char *str)
{
  for (guint i = 0; i < array->len; i++)
    if (g_strcmp0 (g_ptr_array_index (array, i), str) == 0)
      return TRUE;
  return FALSE;
}

/* "user:pass@host..." (percent-escaped): splits @rest in place; *@hostport points after the '@'
 * (or at @rest without one). FALSE when the user info has no ':' or bad escapes. */
static gboolean
split_user_info (char *rest, char **hostport, char **user, char **pass)
{
  char *at = strrchr (rest, '@');
  char *sep;

  *hostport = rest;
  if (at == NULL)
    return TRUE;
  *at = '\0';
  *hostport = at + 1;
  sep = strchr (rest, ':');
  if (sep == NULL)
    return FALSE;
  *user = g_uri_unescape_segment (rest, sep, NULL);
  *pass = g_uri_unescape_string (sep + 1, NULL);
  return *user != NULL && *pass != NULL;
}

/* "host", "host:port", "[v6]" or "[v6]:port"; *@port keeps its default without one. */
static gboolean
split_host_port (const char *hostport, char **host, guint64 *port)
{
  if (hostport[0] == '[')
    {
      const char *end = strchr (hostport, ']');

      if (end == NULL)
        return FALSE;
      *host = g_strndup (hostport, end - hostport + 1);
      if (end[1] == ':')
        return g_ascii_string_to_unsigned (end + 2, 10, 1, 65535, port, NULL);
      return end[1] == '\0';
    }
  else
    {
      const char *sep = strrchr (hostport, ':');

      if (sep == NULL)
        {
          *host = g_strdup (hostport);
          return TRUE;
        }
      if (!g_ascii_string_to_unsigned (sep + 1, 10, 1, 65535, port, NULL))
        return FALSE;
      *host = g_strndup (hostport, sep - hostport);
      return TRUE;
    }
}

/* Parses an RTCIceServer URL (RFC 7064/7065: "stun:host[:port]", "turn:host[:port][?transport=
 * udp|tcp]", "turns:..."), optionally with "user:pass@" before the host as preferences allow.
 * Fills the GStreamer URI for it. */
static gboolean
parse_server_url (const char *url,
                  const char *username,
                  const char *credential,
                  char **out_uri,
                  gboolean *out_is_turn,
                  GError **error)
{
  g_autofree char *scheme = NULL;
  g_autofree char *rest = NULL;
  g_autofree char *host = NULL;
  g_autofree char *user = NULL;
  g_autofree char *pass = NULL;
  const char *transport = NULL;
  char *query, *hostport;
  gboolean is_turn, is_tls;
  guint64 port;
  const char *colon;

  if (url == NULL || *url == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Empty ICE server URL");
      return FALSE;
    }

  colon = strchr (url, ':');
  if (colon == NULL)
    goto bad;
  scheme = g_ascii_strdown (url, colon - url);
  rest = g_strdup (colon + 1);
  /* Tolerate the "//" some users type (stun://host) */
  if (g_str_has_prefix (rest, "//"))
    memmove (rest, rest + 2, strlen (rest + 2) + 1);

  if (g_str_equal (scheme, "stun"))
    is_turn = FALSE, is_tls = FALSE;
  else if (g_str_equal (scheme, "turn"))
    is_turn = TRUE, is_tls = FALSE;
  else if (g_str_equal (scheme, "turns"))
    is_turn = TRUE, is_tls = TRUE;
  else
    goto bad;

  query = strchr (rest, '?');
  if (query)
    {
      *query++ = '\0';
      if (g_ascii_strcasecmp (query, "transport=udp") == 0)
        transport = "udp";
      else if (g_ascii_strcasecmp (query, "transport=tcp") == 0)
        transport = "tcp";
      else
        goto bad;
      if (!is_turn)
        goto bad;
    }

  if (!split_user_info (rest, &hostport, &user, &pass))
    goto bad;
  if (username)
    {
      g_free (user);
      user = g_strdup (username);
    }
  if (credential)
    {
      g_free (pass);
      pass = g_strdup (credential);
    }

  port = is_tls ? 5349 : 3478;
  if (!split_host_port (hostport, &host, &port))
    goto bad;
  if (*host == '\0' || strpbrk (host, "/ \t@"))
    goto bad;

  if (is_turn)
    {
      g_autofree char *euser = NULL;
      g_autofree char *epass = NULL;

      if (user == NULL || pass == NULL || *user == '\0')
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "TURN server “%s” needs a username and a credential", url);
          return FALSE;
        }
      /* coturn REST usernames are "EXPIRY:user": escape everything reserved so the
       * user:pass split in webrtcbin sees exactly one ':'. */
      euser = g_uri_escape_string (user, NULL, FALSE);
      epass = g_uri_escape_string (pass, NULL, FALSE);
      *out_uri = g_strdup_printf ("%s://%s:%s@%s:%u%s%s", is_tls ? "turns" : "turn", euser, epass,
                                  host, (guint)port, transport ? "?transport=" : "",
                                  transport ? transport : "");
    }
  else
    {
      *out_uri = g_strdup_printf ("stun://%s:%u", host, (guint)port);
    }
  *out_is_turn = is_turn;
  return TRUE;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Invalid ICE server URL “%s”", url);
  return FALSE;
}

static gboolean
add_url (PcIceConfig *self,
         const char *url,
         const char *username,
         const char *credential,
         GError **error)
{
  g_autofree char *uri = NULL;
  gboolean is_turn = FALSE;
  GPtrArray *target;

  if (!parse_server_url (url, username, credential, &uri, &is_turn, error))
    return FALSE;
  target = is_turn ? self->turn_uris : self->stun_uris;
  if (!contains_string (target, uri))
    g_ptr_array_add (target, g_steal_pointer (&uri));
  return TRUE;
}

gboolean
pc_ice_config_add_server (PcIceConfig *self, const PcIceServer *server, GError **error)
{
  gboolean any = FALSE;

  g_return_val_if_fail (PC_IS_ICE_CONFIG (self), FALSE);
  g_return_val_if_fail (server != NULL, FALSE);

  for (guint i = 0; server->urls && server->urls[i]; i++)
    {
      g_autoptr (GError) local_error = NULL;

      if (add_url (self, server->urls[i], server->username, server->credential, &local_error))
        any = TRUE;
      else
        g_warning ("Skipping ICE server: %s", local_error->message);
    }
  if (!any)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "ICE server entry has no usable URL");
      return FALSE;
    }
  return TRUE;
}

void
pc_ice_config_add_servers (PcIceConfig *self, GPtrArray *servers)
{
  g_return_if_fail (PC_IS_ICE_CONFIG (self));

  for (guint i = 0; servers && i < servers->len; i++)
    {
      g_autoptr (GError) error = NULL;

      if (!pc_ice_config_add_server (self, g_ptr_array_index (servers, i), &error))
        g_warning ("%s", error->message);
    }
}

gboolean
pc_ice_config_add_server_uri (PcIceConfig *self, const char *uri, GError **error)
{
  g_return_val_if_fail (PC_IS_ICE_CONFIG (self), FALSE);

  return add_url (self, uri, NULL, NULL, error);
}

void
pc_ice_config_add_local_address (PcIceConfig *self, const char *address)
{
  g_return_if_fail (PC_IS_ICE_CONFIG (self));
  g_return_if_fail (address != NULL);

  if (!g_hostname_is_ip_address (address))
    {
      g_warning ("Ignoring local address “%s”: not an IP address", address);
      return;
    }
  if (!contains_string (self->local_addresses, address))
    g_ptr_array_add (self->local_addresses, g_strdup (address));
}

void
pc_ice_config_set_transport_policy (PcIceConfig *self, PcIceTransportPolicy policy)
{
  g_return_if_fail (PC_IS_ICE_CONFIG (self));

  if (self->policy == policy)
    return;
  self->policy = policy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRANSPORT_POLICY]);
}

PcIceTransportPolicy
pc_ice_config_get_transport_policy (PcIceConfig *self)
{
  g_return_val_if_fail (PC_IS_ICE_CONFIG (self), PC_ICE_TRANSPORT_POLICY_ALL);

  return self->policy;
}

static GPtrArray *
copy_array (GPtrArray *src)
{
  GPtrArray *dst = g_ptr_array_new_with_free_func (g_free);
  copy_strings (dst, src);
  return dst;
}

GPtrArray *
pc_ice_config_get_stun_uris (PcIceConfig *self)
{
  g_return_val_if_fail (PC_IS_ICE_CONFIG (self), NULL);
  return copy_array (self->stun_uris);
}

GPtrArray *
pc_ice_config_get_turn_uris (PcIceConfig *self)
{
  g_return_val_if_fail (PC_IS_ICE_CONFIG (self), NULL);
  return copy_array (self->turn_uris);
}

GPtrArray *
pc_ice_config_get_local_addresses (PcIceConfig *self)
{
  g_return_val_if_fail (PC_IS_ICE_CONFIG (self), NULL);
  return copy_array (self->local_addresses);
}

gboolean
pc_ice_config_apply (PcIceConfig *self, GstElement *webrtcbin, GError **error)
{
  g_autoptr (GstWebRTCICE) ice = NULL;
  g_autoptr (GObject) agent = NULL;

  g_return_val_if_fail (PC_IS_ICE_CONFIG (self), FALSE);
  g_return_val_if_fail (GST_IS_ELEMENT (webrtcbin), FALSE);

  g_object_get (webrtcbin, "ice-agent", &ice, NULL);
  if (ice == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "webrtcbin has no ICE agent");
      return FALSE;
    }

  /* UPnP would multicast SSDP on every interface, and costs ~200 ms of gathering. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &agent, NULL);
  if (agent && g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "upnp"))
    g_object_set (agent, "upnp", FALSE, NULL);
  /* A one-to-one call checks a handful of pairs: pace them at RFC 8445's 5 ms floor rather
   * than libnice's 20 ms, so the pair is found and nominated in a few round trips. */
  if (agent && g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "stun-pacing-timer"))
    g_object_set (agent, "stun-pacing-timer", 5u, NULL);

  /* Only the first STUN server is used by libnice; webrtcbin has one stun-server slot. */
  if (self->stun_uris->len > 0)
    g_object_set (webrtcbin, "stun-server", g_ptr_array_index (self->stun_uris, 0), NULL);

  for (guint i = 0; i < self->turn_uris->len; i++)
    {
      gboolean ok = FALSE;

      g_signal_emit_by_name (webrtcbin, "add-turn-server", g_ptr_array_index (self->turn_uris, i),
                             &ok);
      if (!ok)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "webrtcbin refused TURN server #%u", i + 1);
          return FALSE;
        }
    }

  g_object_set (webrtcbin, "ice-transport-policy",
                self->policy == PC_ICE_TRANSPORT_POLICY_RELAY
                    ? GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY
                    : GST_WEBRTC_ICE_TRANSPORT_POLICY_ALL,
                NULL);

  /* Must happen before negotiation: once an address is added libnice gathers only on the
   * added addresses (and loopback is otherwise ignored). */
  for (guint i = 0; i < self->local_addresses->len; i++)
    {
      gboolean ok = FALSE;

      g_signal_emit_by_name (ice, "add-local-ip-address",
                             g_ptr_array_index (self->local_addresses, i), &ok);
      if (!ok)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "Cannot use local address %s",
                       (const char *)g_ptr_array_index (self->local_addresses, i));
          return FALSE;
        }
    }
  return TRUE;
}
