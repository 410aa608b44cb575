/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-signal"

#include "config.h"

#include "pc-connection-limits.h"

#include <string.h>

#define RETRY_AFTER_SECONDS "10"

struct _PcConnectionLimits
{
  guint max_total;
  guint max_per_ip;
  guint n_total;
  guint n_refused;
  GHashTable *per_ip; /* client key -> GUINT_TO_POINTER (open connections) */
};

/* One tracked connection: released once, on "closed" or when the WebSocket goes away. */
typedef struct
{
  PcConnectionLimits *limits;
  char *key;
  gboolean released;
} Tracked;

PcConnectionLimits *
pc_connection_limits_new (void)
{
  PcConnectionLimits *limits = g_rc_box_new0 (PcConnectionLimits);

  limits->max_total = PC_CONNECTION_LIMITS_DEFAULT_MAX;
  limits->max_per_ip = PC_CONNECTION_LIMITS_DEFAULT_MAX_PER_IP;
  limits->per_ip = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return limits;
}

PcConnectionLimits *
pc_connection_limits_ref (PcConnectionLimits *limits)
{
  return g_rc_box_acquire (limits);
}

static void
limits_clear (PcConnectionLimits *limits)
{
  g_hash_table_unref (limits->per_ip);
}

void
pc_connection_limits_unref (PcConnectionLimits *limits)
{
  g_rc_box_release_full (limits, (GDestroyNotify)limits_clear);
}

void
pc_connection_limits_set_caps (PcConnectionLimits *limits, guint max_total, guint max_per_ip)
{
  limits->max_total = max_total;
  limits->max_per_ip = max_per_ip;
}

guint
pc_connection_limits_get_n_refused (PcConnectionLimits *limits)
{
  return limits->n_refused;
}

/* The address the per-IP cap counts: the IPv4 address, or the IPv6 /64. */
static char *
client_key (SoupServerMessage *msg)
{
  const char *host = soup_server_message_get_remote_host (msg);
  g_autoptr (GInetAddress) address = NULL;
  g_autoptr (GInetAddress) prefix = NULL;
  g_autofree char *text = NULL;
  guint8 bytes[16];

  if (host == NULL)
    return g_strdup ("");
  address = g_inet_address_new_from_string (host);
  if (address == NULL || g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6)
    return g_strdup (host);
  memcpy (bytes, g_inet_address_to_bytes (address), sizeof bytes);
  memset (bytes + 8, 0, 8);
  prefix = g_inet_address_new_from_bytes (bytes, G_SOCKET_FAMILY_IPV6);
  text = g_inet_address_to_string (prefix);
  return g_strconcat (text, "/64", NULL);
}

static guint
count_for (PcConnectionLimits *limits, const char *key)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (limits->per_ip, key));
}

gboolean
pc_connection_limits_refuse (PcConnectionLimits *limits, SoupServerMessage *msg)
{
  g_autofree char *key = client_key (msg);
  const char *which;

  if (limits->max_total > 0 && limits->n_total >= limits->max_total)
    which = "--max-connections";
  else if (limits->max_per_ip > 0 && count_for (limits, key) >= limits->max_per_ip)
    which = "--max-connections-per-ip";
  else
    return FALSE;

  /* Logged once per 100 so that a flood does not flood the log too. */
  if (limits->n_refused++ % 100 == 0)
    g_info ("refused a connection from %s: over %s (%u refused so far)", key, which,
            limits->n_refused);
  soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                RETRY_AFTER_SECONDS);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "too many connections\n",
                                    21);
  return TRUE;
}

static void
tracked_release (Tracked *tracked)
{
  PcConnectionLimits *limits = tracked->limits;
  guint n = count_for (limits, tracked->key);

  if (tracked->released)
    return;
  tracked->released = TRUE;
  limits->n_total--;
  if (n <= 1)
    g_hash_table_remove (limits->per_ip, tracked->key);
  else
    g_hash_table_insert (limits->per_ip, g_strdup (tracked->key), GUINT_TO_POINTER (n - 1));
}

static void
tracked_free (gpointer data)
{
  Tracked *tracked = data;

  tracked_release (tracked);
  pc_connection_limits_unref (tracked->limits);
  g_free (tracked->key);
  g_free (tracked);
}

static void
on_closed (SoupWebsocketConnection *ws, Tracked *tracked)
{
  tracked_release (tracked);
}

void
pc_connection_limits_track (PcConnectionLimits *limits,
                            SoupServerMessage *msg,
                            SoupWebsocketConnection *ws)
{
  Tracked *tracked = g_new0 (Tracked, 1);

  tracked->limits = pc_connection_limits_ref (limits);
  tracked->key = client_key (msg);
  limits->n_total++;
  g_hash_table_insert (limits->per_ip, g_strdup (tracked->key),
                       GUINT_TO_POINTER (count_for (limits, tracked->key) + 1));
  g_object_set_data_full (G_OBJECT (ws), "pc-connection-limits", tracked, tracked_free);
  g_signal_connect (ws, "closed", G_CALLBACK (on_closed), tracked);
}
