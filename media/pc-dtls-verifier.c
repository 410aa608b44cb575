/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gst/sdp/sdp.h>

#include "pc-call-session.h"
#include "pc-dtls-verifier.h"

/* One fingerprint an m-line commits to. */
typedef struct
{
  char *algorithm; /* "sha-256" */
  char *hex;       /* "AB:CD:..." */
} Fingerprint;

struct _PcDtlsVerifier
{
  GObject parent_instance;

  GMutex lock;
  GPtrArray *mlines;  /* of GPtrArray of Fingerprint: per active m-line; NULL: no description */
  char *verified_pem; /* the certificate that passed, re-checked against new descriptions */
  int verified;       /* atomic */
};

G_DEFINE_TYPE (PcDtlsVerifier, pc_dtls_verifier, G_TYPE_OBJECT)

static const struct
{
  const char *name;
  gnutls_digest_algorithm_t digest;
} algorithms[] = {
  { "sha-1", GNUTLS_DIG_SHA1 },     { "sha-224", GNUTLS_DIG_SHA224 },
  { "sha-256", GNUTLS_DIG_SHA256 }, { "sha-384", GNUTLS_DIG_SHA384 },
  { "sha-512", GNUTLS_DIG_SHA512 },
};

static gboolean
find_algorithm (const char *name, gnutls_digest_algorithm_t *digest)
{
  for (gsize i = 0; i < G_N_ELEMENTS (algorithms); i++)
    if (g_ascii_strcasecmp (name, algorithms[i].name) == 0)
      {
        *digest = algorithms[i].digest;
        return TRUE;
      }
  return FALSE;
}

static void
fingerprint_free (gpointer data)
{
  Fingerprint *fp = data;

  g_free (fp->algorithm);
  g_free (fp->hex);
  g_free (fp);
}

static GError *fingerprint_error (const char *format, ...) G_GNUC_PRINTF (1, 2);

static GError *
fingerprint_error (const char *format, ...)
{
  va_list args;
  GError *error;

  va_start (args, format);
  error = g_error_new_valist (PC_MEDIA_ERROR, PC_MEDIA_ERROR_DTLS_FINGERPRINT, format, args);
  va_end (args);
  return error;
}

gboolean
pc_dtls_fingerprint_parse (const char *value, char **algorithm, char **hex)
{
  g_autofree char *copy = NULL;
  g_autofree char *upper = NULL;
  g_autoptr (GPtrArray) words = g_ptr_array_new ();
  gnutls_digest_algorithm_t digest;
  char *saveptr = NULL;

  g_return_val_if_fail (algorithm != NULL && hex != NULL, FALSE);
  if (value == NULL)
    return FALSE;
  copy = g_strdup (value);
  for (char *word = strtok_r (copy, " \t\r\n", &saveptr); word;
       word = strtok_r (NULL, " \t\r\n", &saveptr))
    g_ptr_array_add (words, word);
  if (words->len != 2 || !find_algorithm (words->pdata[0], &digest))
    return FALSE;
  upper = g_ascii_strup (words->pdata[1], -1);
  if (strlen (upper) != gnutls_hash_get_len (digest) * 3 - 1)
    return FALSE;
  for (gsize i = 0; upper[i]; i++)
    {
      gboolean colon = i % 3 == 2;

      if (colon ? upper[i] != ':' : !g_ascii_isxdigit (upper[i]))
        return FALSE;
    }
  *algorithm = g_ascii_strdown (words->pdata[0], -1);
  *hex = g_steal_pointer (&upper);
  return TRUE;
}

static char *
hex_with_colons (const guint8 *data, gsize len)
{
  GString *out = g_string_sized_new (len * 3);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (out, i ? ":%02X" : "%02X", data[i]);
  return g_string_free (out, FALSE);
}

char *
pc_dtls_fingerprint_from_pem (const char *pem, const char *algorithm, GError **error)
{
  gnutls_digest_algorithm_t digest;
  gnutls_datum_t in, der = { NULL, 0 };
  guint8 hash[64];
  const char *begin;
  char *hex;
  int ret;

  if (algorithm == NULL || !find_algorithm (algorithm, &digest))
    {
      g_propagate_error (error, fingerprint_error ("Unsupported fingerprint algorithm %s",
                                                   algorithm ? algorithm : "(none)"));
      return NULL;
    }
  begin = pem ? strstr (pem, "-----BEGIN CERTIFICATE-----") : NULL;
  if (begin == NULL)
    {
      g_propagate_error (error, fingerprint_error ("No peer certificate"));
      return NULL;
    }
  in.data = (unsigned char *)begin;
  in.size = strlen (begin);
  ret = gnutls_pem_base64_decode2 ("CERTIFICATE", &in, &der);
  if (ret < 0)
    {
      g_propagate_error (
          error, fingerprint_error ("Unreadable peer certificate: %s", gnutls_strerror (ret)));
      return NULL;
    }
  ret = gnutls_hash_fast (digest, der.data, der.size, hash);
  gnutls_free (der.data);
  if (ret < 0)
    {
      g_propagate_error (
          error, fingerprint_error ("Cannot hash the peer certificate: %s", gnutls_strerror (ret)));
      return NULL;
    }
  hex = hex_with_colons (hash, gnutls_hash_get_len (digest));
  return hex;
}

/* The supported fingerprints of one m-line, else of the session. */
static GPtrArray *
collect_fingerprints (const GstSDPMessage *msg, const GstSDPMedia *media)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (fingerprint_free);

  for (guint level = 0; level < 2 && list->len == 0; level++)
    {
      guint n = level == 0 ? gst_sdp_media_attributes_len (media)
                           : gst_sdp_message_attributes_len (msg);

      for (guint i = 0; i < n; i++)
        {
          const GstSDPAttribute *attr = level == 0 ? gst_sdp_media_get_attribute (media, i)
                                                   : gst_sdp_message_get_attribute (msg, i);
          Fingerprint fp = { NULL, NULL };

          if (g_strcmp0 (attr->key, "fingerprint") != 0)
            continue;
          if (pc_dtls_fingerprint_parse (attr->value, &fp.algorithm, &fp.hex))
            g_ptr_array_add (list, g_memdup2 (&fp, sizeof fp));
          else
            g_debug ("Ignoring a=fingerprint:%s", attr->value ? attr->value : "");
        }
    }
  return list;
}

static GPtrArray *
parse_description (const char *sdp, GError **error)
{
  g_autoptr (GPtrArray) mlines = g_ptr_array_new_with_free_func ((GDestroyNotify)g_ptr_array_unref);
  GstSDPMessage *msg = NULL;

  if (sdp == NULL || gst_sdp_message_new_from_text (sdp, &msg) != GST_SDP_OK)
    {
      g_propagate_error (error, fingerprint_error ("Unreadable remote description"));
      return NULL;
    }
  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (msg, i);
      GPtrArray *list;

      if (gst_sdp_media_get_port (media) == 0)
        continue; /* rejected or stopped: no transport */
      list = collect_fingerprints (msg, media);
      if (list->len == 0)
        {
          g_ptr_array_unref (list);
          gst_sdp_message_free (msg);
          g_propagate_error (error, fingerprint_error ("The peer's description has no usable DTLS "
                                                       "fingerprint for m-line %u",
                                                       i));
          return NULL;
        }
      g_ptr_array_add (mlines, list);
    }
  gst_sdp_message_free (msg);
  if (mlines->len == 0)
    {
      g_propagate_error (error, fingerprint_error ("The peer's description has no active m-line"));
      return NULL;
    }
  return g_steal_pointer (&mlines);
}

/* Every fingerprint of every m-line must be the certificate's. Called with the lock held. */
static gboolean
check_locked (PcDtlsVerifier *self, const char *pem, GPtrArray *mlines, GError **error)
{
  g_autoptr (GHashTable) hashes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  if (mlines == NULL)
    {
      g_propagate_error (error, fingerprint_error ("DTLS connected before the peer's "
                                                   "description was known"));
      return FALSE;
    }
  for (guint m = 0; m < mlines->len; m++)
    {
      GPtrArray *list = mlines->pdata[m];

      for (guint i = 0; i < list->len; i++)
        {
          Fingerprint *fp = list->pdata[i];
          const char *actual = g_hash_table_lookup (hashes, fp->algorithm);

          if (actual == NULL)
            {
              char *hex = pc_dtls_fingerprint_from_pem (pem, fp->algorithm, error);

              if (hex == NULL)
                return FALSE;
              g_hash_table_insert (hashes, fp->algorithm, hex);
              actual = hex;
            }
          if (strcmp (actual, fp->hex) != 0)
            {
              g_propagate_error (error, fingerprint_error ("The peer's DTLS certificate (%s %s) is "
                                                           "not the one its description announced "
                                                           "(%s)",
                                                           fp->algorithm, actual, fp->hex));
              return FALSE;
            }
        }
    }
  return TRUE;
}

static void
pc_dtls_verifier_finalize (GObject *object)
{
  PcDtlsVerifier *self = PC_DTLS_VERIFIER (object);

  g_clear_pointer (&self->mlines, g_ptr_array_unref);
  g_free (self->verified_pem);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (pc_dtls_verifier_parent_class)->finalize (object);
}

static void
pc_dtls_verifier_class_init (PcDtlsVerifierClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pc_dtls_verifier_finalize;
}

static void
pc_dtls_verifier_init (PcDtlsVerifier *self)
{
  g_mutex_init (&self->lock);
}

PcDtlsVerifier *
pc_dtls_verifier_new (void)
{
  return g_object_new (PC_TYPE_DTLS_VERIFIER, NULL);
}

gboolean
pc_dtls_verifier_set_remote_description (PcDtlsVerifier *self, const char *sdp, GError **error)
{
  g_autoptr (GPtrArray) mlines = NULL;
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (PC_IS_DTLS_VERIFIER (self), FALSE);

  mlines = parse_description (sdp, error);
  if (mlines == NULL)
    return FALSE;
  locker = g_mutex_locker_new (&self->lock);
  if (self->verified_pem && !check_locked (self, self->verified_pem, mlines, error))
    return FALSE;
  g_clear_pointer (&self->mlines, g_ptr_array_unref);
  self->mlines = g_steal_pointer (&mlines);
  return TRUE;
}

gboolean
pc_dtls_verifier_verify (PcDtlsVerifier *self,
                         const char *remote_pem,
                         char **fingerprint_sha256,
                         GError **error)
{
  g_autoptr (GMutexLocker) locker = NULL;
  g_autofree char *sha256 = NULL;

  g_return_val_if_fail (PC_IS_DTLS_VERIFIER (self), FALSE);

  sha256 = pc_dtls_fingerprint_from_pem (remote_pem, "sha-256", error);
  if (sha256 == NULL)
    return FALSE;
  locker = g_mutex_locker_new (&self->lock);
  if (!check_locked (self, remote_pem, self->mlines, error))
    return FALSE;
  if (g_strcmp0 (self->verified_pem, remote_pem) != 0)
    {
      g_free (self->verified_pem);
      self->verified_pem = g_strdup (remote_pem);
    }
  g_atomic_int_set (&self->verified, 1);
  if (fingerprint_sha256)
    *fingerprint_sha256 = g_steal_pointer (&sha256);
  return TRUE;
}

gboolean
pc_dtls_verifier_is_verified (PcDtlsVerifier *self)
{
  g_return_val_if_fail (PC_IS_DTLS_VERIFIER (self), FALSE);
  return g_atomic_int_get (&self->verified) != 0;
}

/* "sha-256 AB:..." or "AB:...", any case -> "AB:..."; NULL unless 32 bytes of hex. */
static char *
normalise_sha256 (const char *value)
{
  g_autofree char *algorithm = NULL, *hex = NULL;
  g_autofree char *prefixed = NULL;

  if (value == NULL)
    return NULL;
  if (strchr (value, ' ') == NULL)
    value = prefixed = g_strconcat ("sha-256 ", value, NULL);
  if (!pc_dtls_fingerprint_parse (value, &algorithm, &hex) || strcmp (algorithm, "sha-256") != 0)
    return NULL;
  return g_steal_pointer (&hex);
}

char *
pc_dtls_sas_from_fingerprints (const char *fingerprint_a, const char *fingerprint_b)
{
  g_autofree char *a = normalise_sha256 (fingerprint_a);
  g_autofree char *b = normalise_sha256 (fingerprint_b);
  g_autofree char *input = NULL;
  guint8 hash[32];
  GString *code;

  if (a == NULL || b == NULL)
    return NULL;
  input = strcmp (a, b) <= 0 ? g_strconcat (a, "\n", b, NULL) : g_strconcat (b, "\n", a, NULL);
  if (gnutls_hash_fast (GNUTLS_DIG_SHA256, input, strlen (input), hash) < 0)
    return NULL;
  code = g_string_new (NULL);
  for (guint k = 0; k < 4; k++)
    {
      guint64 chunk = 0;

      for (guint i = 0; i < 5; i++)
        chunk = (chunk << 8) | hash[5 * k + i];
      g_string_append_printf (code, k ? " %05u" : "%05u", (guint)(chunk % 100000));
    }
  return g_string_free (code, FALSE);
}
