/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-media"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <unistd.h>

#include "pc-call-session.h"
#include "pc-dtls-identity.h"
#include "pc-dtls-verifier.h"

/* Long enough to be the device's identity for its life (peers pin its fingerprint); WebRTC
 * stacks do not check a DTLS certificate's validity dates, only its fingerprint. */
#define VALIDITY_SECONDS ((time_t)20 * 365 * 24 * 3600)

struct _PcDtlsIdentity
{
  GObject parent_instance;

  char *path;
  char *pem;
  char *certificate_pem;
  char *fingerprint;
};

G_DEFINE_TYPE (PcDtlsIdentity, pc_dtls_identity, G_TYPE_OBJECT)

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_privkey_t, gnutls_x509_privkey_deinit, NULL)

static gboolean
gnutls_failed (int ret, const char *what, GError **error)
{
  if (ret >= 0)
    return FALSE;
  g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE, "DTLS identity: %s: %s", what,
               gnutls_strerror (ret));
  return TRUE;
}

static char *
datum_to_string (gnutls_datum_t *datum)
{
  char *str = g_strndup ((const char *)datum->data, datum->size);

  gnutls_free (datum->data);
  datum->data = NULL;
  return str;
}

/* A new self-signed ECDSA P-256 certificate and its key, PEM, certificate first. */
static char *
generate_pem (GError **error)
{
  g_auto (gnutls_x509_privkey_t) key = NULL;
  g_auto (gnutls_x509_crt_t) crt = NULL;
  gnutls_datum_t crt_pem = { NULL, 0 }, key_pem = { NULL, 0 };
  g_autofree char *crt_str = NULL, *key_str = NULL;
  guint8 serial[16];
  time_t now = time (NULL);
  static const char cn[] = "peercall";

  if (gnutls_failed (gnutls_x509_privkey_init (&key), "key", error)
      || gnutls_failed (
          gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                        GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0),
          "generating the key", error)
      || gnutls_failed (gnutls_x509_crt_init (&crt), "certificate", error)
      || gnutls_failed (gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial), "serial", error))
    return NULL;
  serial[0] &= 0x7f; /* a positive INTEGER */
  if (gnutls_failed (gnutls_x509_crt_set_version (crt, 3), "version", error)
      || gnutls_failed (gnutls_x509_crt_set_serial (crt, serial, sizeof serial), "serial", error)
      || gnutls_failed (gnutls_x509_crt_set_activation_time (crt, now - 24 * 3600), "dates", error)
      || gnutls_failed (gnutls_x509_crt_set_expiration_time (crt, now + VALIDITY_SECONDS), "dates",
                        error)
      || gnutls_failed (
          gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, sizeof cn - 1),
          "subject", error)
      || gnutls_failed (gnutls_x509_crt_set_issuer_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                                              cn, sizeof cn - 1),
                        "issuer", error)
      || gnutls_failed (gnutls_x509_crt_set_key (crt, key), "public key", error)
      || gnutls_failed (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0), "signing",
                        error)
      || gnutls_failed (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &crt_pem), "export",
                        error))
    return NULL;
  crt_str = datum_to_string (&crt_pem);
  if (gnutls_failed (gnutls_x509_privkey_export2 (key, GNUTLS_X509_FMT_PEM, &key_pem), "export",
                     error))
    return NULL;
  key_str = datum_to_string (&key_pem);
  return g_strconcat (crt_str, key_str, NULL);
}

/* Checks that @pem holds a certificate and the key that belongs to it; fills @self. */
static gboolean
identity_parse (PcDtlsIdentity *self, const char *pem, GError **error)
{
  gnutls_datum_t datum = { (unsigned char *)pem, strlen (pem) };
  g_auto (gnutls_x509_crt_t) crt = NULL;
  g_auto (gnutls_x509_privkey_t) key = NULL;
  gnutls_datum_t crt_pem = { NULL, 0 };
  guint8 crt_id[64], key_id[64];
  size_t crt_id_len = sizeof crt_id, key_id_len = sizeof key_id;

  if (gnutls_failed (gnutls_x509_crt_init (&crt), "certificate", error)
      || gnutls_failed (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM),
                        "reading the certificate", error)
      || gnutls_failed (gnutls_x509_privkey_init (&key), "key", error)
      || gnutls_failed (gnutls_x509_privkey_import (key, &datum, GNUTLS_X509_FMT_PEM),
                        "reading the key", error)
      || gnutls_failed (
          gnutls_x509_crt_get_key_id (crt, GNUTLS_KEYID_USE_SHA256, crt_id, &crt_id_len),
          "certificate key id", error)
      || gnutls_failed (
          gnutls_x509_privkey_get_key_id (key, GNUTLS_KEYID_USE_SHA256, key_id, &key_id_len),
          "key id", error))
    return FALSE;
  if (crt_id_len != key_id_len || memcmp (crt_id, key_id, crt_id_len) != 0)
    {
      g_set_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_PIPELINE,
                   "DTLS identity: the key does not belong to the certificate");
      return FALSE;
    }
  if (gnutls_failed (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &crt_pem), "export", error))
    return FALSE;
  self->certificate_pem = datum_to_string (&crt_pem);
  self->fingerprint = pc_dtls_fingerprint_from_pem (self->certificate_pem, "sha-256", error);
  if (self->fingerprint == NULL)
    return FALSE;
  self->pem = g_strdup (pem);
  return TRUE;
}

/* Writes @contents to a private temporary file next to @path and links it into place unless
 * @path exists already (then the caller reads that one). */
static gboolean
store_new (const char *path, const char *contents, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *tmp = g_strdup_printf ("%s.%d.tmp", path, (int)getpid ());
  int saved_errno;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot create %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }
  if (!g_file_set_contents_full (tmp, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;
  if (link (tmp, path) != 0 && errno != EEXIST)
    {
      saved_errno = errno;
      g_unlink (tmp);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot store %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  g_unlink (tmp);
  return TRUE;
}

static void
pc_dtls_identity_finalize (GObject *object)
{
  PcDtlsIdentity *self = PC_DTLS_IDENTITY (object);

  g_free (self->path);
  if (self->pem)
    memset (self->pem, 0, strlen (self->pem)); /* the private key */
  g_free (self->pem);
  g_free (self->certificate_pem);
  g_free (self->fingerprint);

  G_OBJECT_CLASS (pc_dtls_identity_parent_class)->finalize (object);
}

static void
pc_dtls_identity_class_init (PcDtlsIdentityClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pc_dtls_identity_finalize;
}

static void
pc_dtls_identity_init (PcDtlsIdentity *self)
{
}

PcDtlsIdentity *
pc_dtls_identity_load_or_create (const char *path, GError **error)
{
  g_autoptr (PcDtlsIdentity) self = g_object_new (PC_TYPE_DTLS_IDENTITY, NULL);
  g_autoptr (GError) local_error = NULL;
  g_autofree char *contents = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  self->path = g_strdup (path);
  if (!g_file_get_contents (path, &contents, NULL, &local_error))
    {
      g_autofree char *pem = NULL;

      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      pem = generate_pem (error);
      if (pem == NULL || !store_new (path, pem, error))
        return NULL;
      if (!g_file_get_contents (path, &contents, NULL, error))
        return NULL;
    }
  if (!identity_parse (self, contents, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  return g_steal_pointer (&self);
}

PcDtlsIdentity *
pc_dtls_identity_get_default (GError **error)
{
  static GMutex lock;
  static PcDtlsIdentity *identity;
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&lock);

  if (identity == NULL)
    {
      g_autofree char *path
          = g_build_filename (g_get_user_data_dir (), "peercall", "dtls-identity.pem", NULL);

      identity = pc_dtls_identity_load_or_create (path, error);
    }
  return identity ? g_object_ref (identity) : NULL;
}

const char *
pc_dtls_identity_get_pem (PcDtlsIdentity *self)
{
  g_return_val_if_fail (PC_IS_DTLS_IDENTITY (self), NULL);
  return self->pem;
}

const char *
pc_dtls_identity_get_certificate_pem (PcDtlsIdentity *self)
{
  g_return_val_if_fail (PC_IS_DTLS_IDENTITY (self), NULL);
  return self->certificate_pem;
}

const char *
pc_dtls_identity_get_fingerprint (PcDtlsIdentity *self)
{
  g_return_val_if_fail (PC_IS_DTLS_IDENTITY (self), NULL);
  return self->fingerprint;
}

const char *
pc_dtls_identity_get_path (PcDtlsIdentity *self)
{
  g_return_val_if_fail (PC_IS_DTLS_IDENTITY (self), NULL);
  return self->path;
}
