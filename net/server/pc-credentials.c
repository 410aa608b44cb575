/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-signal"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "pc-credentials.h"

static char *
hmac_digest (GChecksumType type, GBytes *secret, const char *data, gsize *out_len)
{
  g_autoptr (GHmac) hmac = NULL;
  gsize len = (gsize)g_checksum_type_get_length (type);
  guint8 *digest = g_malloc (len);

  hmac = g_hmac_new (type, g_bytes_get_data (secret, NULL), g_bytes_get_size (secret));
  g_hmac_update (hmac, (const guchar *)data, -1);
  g_hmac_get_digest (hmac, digest, &len);
  *out_len = len;
  return (char *)digest;
}

/* RFC 4648 §5 alphabet, no '=' padding */
static char *
base64url_encode (const guint8 *data, gsize len)
{
  char *b64 = g_base64_encode (data, len);
  char *out = b64;

  for (char *p = b64; *p != '\0'; p++)
    {
      if (*p == '+')
        *out++ = '-';
      else if (*p == '/')
        *out++ = '_';
      else if (*p != '=')
        *out++ = *p;
    }
  *out = '\0';
  return b64;
}

static gboolean
constant_time_equal (const char *a, const char *b)
{
  gsize la = strlen (a);
  gsize lb = strlen (b);
  guint8 diff = la != lb;

  /* Walk the expected length whatever the input, so timing leaks nothing about the content. */
  for (gsize i = 0; i < lb; i++)
    diff |= (guint8)(b[i] ^ (i < la ? a[i] : 0));
  return diff == 0;
}

GBytes *
pc_credentials_read_secret_file (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  while (len > 0 && g_ascii_isspace (contents[len - 1]))
    len--;
  if (len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Secret file %s is empty", path);
      return NULL;
    }
  return g_bytes_new (contents, len);
}

static char *
token_signature (GBytes *secret, const char *user, const char *expiry)
{
  g_autofree char *data = g_strconcat (user, ":", expiry, NULL);
  g_autofree char *digest = NULL;
  gsize len;

  digest = hmac_digest (G_CHECKSUM_SHA256, secret, data, &len);
  return base64url_encode ((const guint8 *)digest, len);
}

char *
pc_credentials_issue_token (GBytes *secret, const char *user, gint64 expiry)
{
  g_autofree char *expiry_str = g_strdup_printf ("%" G_GINT64_FORMAT, expiry);
  g_autofree char *sig = token_signature (secret, user, expiry_str);

  return g_strconcat (expiry_str, ":", sig, NULL);
}

gboolean
pc_credentials_verify_token (
    GBytes *secret, const char *user, const char *token, gint64 now, GError **error)
{
  const char *colon;
  g_autofree char *expiry_str = NULL;
  g_autofree char *expected = NULL;
  guint64 expiry;

  if (token == NULL || *token == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "no token");
      return FALSE;
    }
  colon = strchr (token, ':');
  if (colon == NULL || colon == token || colon - token > 20)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "malformed token");
      return FALSE;
    }
  expiry_str = g_strndup (token, colon - token);
  if (!g_ascii_string_to_unsigned (expiry_str, 10, 0, G_MAXINT64, &expiry, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "malformed token expiry");
      return FALSE;
    }

  expected = token_signature (secret, user, expiry_str);
  if (!constant_time_equal (colon + 1, expected))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "bad token signature");
      return FALSE;
    }
  if ((gint64)expiry < now)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "token expired");
      return FALSE;
    }
  return TRUE;
}

void
pc_credentials_turn (
    GBytes *secret, const char *user, gint64 expiry, char **out_username, char **out_credential)
{
  g_autofree char *username = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", expiry, user);
  g_autofree char *digest = NULL;
  gsize len;

  digest = hmac_digest (G_CHECKSUM_SHA1, secret, username, &len);
  *out_credential = g_base64_encode ((const guint8 *)digest, len);
  *out_username = g_steal_pointer (&username);
}
