/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The DTLS certificate check, the verification code and the device identity. Known answers come
 * from `openssl x509 -fingerprint` on test-tls-cert.pem and from Python's hashlib. */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "pc-call-session.h"
#include "pc-dtls-identity.h"
#include "pc-dtls-verifier.h"

#define CERT_SHA1 "01:30:7B:39:BE:50:03:F8:7A:04:6C:F9:CB:AC:08:8B:7F:B8:D8:25"
#define CERT_SHA224                                                                                \
  "0E:15:49:41:D5:69:96:91:FA:EF:5B:41:7A:A7:6A:F9:CC:C3:5A:53:C2:74:ED:8D:3B:AF:39:ED"
#define CERT_SHA256                                                                                \
  "92:53:EE:63:91:8D:C1:A2:0B:BA:79:D5:9E:FD:91:1E:EE:B6:00:3A:CC:21:03:DF:37:DF:71:1B:D6:48:37:"  \
  "48"
#define CERT_SHA384                                                                                \
  "44:F9:7A:DC:44:EC:41:C2:46:E3:89:FE:00:09:E8:B5:5E:B3:5A:C3:14:31:2B:04:61:1B:A8:FD:19:A6:2B:"  \
  "F6:E8:3E:54:9E:D2:F1:AD:3D:21:4A:C5:B6:D7:03:69:0D"
#define CERT_SHA512                                                                                \
  "45:02:3E:EF:6F:0E:17:7F:17:95:3E:AD:95:D2:09:BE:C1:71:62:49:07:D0:18:28:1B:F3:F5:43:00:F7:35:"  \
  "55:22:6A:B5:BF:E9:35:6D:B0:B0:38:A7:7D:FF:56:30:BE:7B:F7:12:7F:E8:A4:3C:7F:2D:3B:95:46:3A:66:"  \
  "68:78"
#define OTHER_SHA256                                                                               \
  "01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:01:"  \
  "01"

static char *
test_cert_pem (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("PEERCALL_SOURCE_ROOT"), "tests", "unit",
                                            "test-tls-cert.pem", NULL);
  g_autoptr (GError) error = NULL;
  char *pem = NULL;

  g_file_get_contents (path, &pem, NULL, &error);
  g_assert_no_error (error);
  return pem;
}

/* An offer with two m-lines; @session and @media are a=fingerprint values or NULL. */
static char *
make_sdp (const char *session, const char *media0, const char *media1)
{
  GString *sdp = g_string_new ("v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n");

  if (session)
    g_string_append_printf (sdp, "a=fingerprint:%s\r\n", session);
  g_string_append (sdp, "m=audio 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
                        "a=mid:audio0\r\na=rtpmap:96 OPUS/48000/2\r\n");
  if (media0)
    g_string_append_printf (sdp, "a=fingerprint:%s\r\n", media0);
  g_string_append (sdp, "m=video 9 UDP/TLS/RTP/SAVPF 97\r\nc=IN IP4 0.0.0.0\r\n"
                        "a=mid:video1\r\na=rtpmap:97 VP8/90000\r\n");
  if (media1)
    g_string_append_printf (sdp, "a=fingerprint:%s\r\n", media1);
  return g_string_free (sdp, FALSE);
}

static void
test_parse (void)
{
  g_autofree char *alg = NULL, *hex = NULL;

  g_assert_true (pc_dtls_fingerprint_parse ("  SHA-256   " CERT_SHA256 "\r\n", &alg, &hex));
  g_assert_cmpstr (alg, ==, "sha-256");
  g_assert_cmpstr (hex, ==, CERT_SHA256);
  g_clear_pointer (&alg, g_free);
  g_clear_pointer (&hex, g_free);

  /* lower-case hex is the same fingerprint */
  {
    g_autofree char *lower = g_ascii_strdown ("sha-1 " CERT_SHA1, -1);

    g_assert_true (pc_dtls_fingerprint_parse (lower, &alg, &hex));
    g_assert_cmpstr (hex, ==, CERT_SHA1);
    g_clear_pointer (&alg, g_free);
    g_clear_pointer (&hex, g_free);
  }

  g_assert_false (pc_dtls_fingerprint_parse (NULL, &alg, &hex));
  g_assert_false (pc_dtls_fingerprint_parse ("", &alg, &hex));
  g_assert_false (pc_dtls_fingerprint_parse ("md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
                                             &alg, &hex));
  g_assert_false (pc_dtls_fingerprint_parse ("sha-256 " CERT_SHA1, &alg, &hex)); /* length */
  g_assert_false (pc_dtls_fingerprint_parse ("sha-256", &alg, &hex));
  g_assert_false (pc_dtls_fingerprint_parse ("sha-1 01-30-7B-39-BE-50-03-F8-7A-04-6C-F9-CB-AC-08-8B"
                                             "-7F-B8-D8-25",
                                             &alg, &hex));
  g_assert_false (
      pc_dtls_fingerprint_parse ("sha-1 0G:30:7B:39:BE:50:03:F8:7A:04:6C:F9:CB:AC:08:8B:"
                                 "7F:B8:D8:25",
                                 &alg, &hex));
  g_assert_false (pc_dtls_fingerprint_parse ("sha-1 " CERT_SHA1 " extra", &alg, &hex));
  g_assert_null (alg);
  g_assert_null (hex);
}

static void
test_hash_known_certificate (void)
{
  g_autofree char *pem = test_cert_pem ();
  static const char *const expected[][2] = {
    { "sha-1", CERT_SHA1 },     { "SHA-224", CERT_SHA224 }, { "sha-256", CERT_SHA256 },
    { "sha-384", CERT_SHA384 }, { "sha-512", CERT_SHA512 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *hex = pc_dtls_fingerprint_from_pem (pem, expected[i][0], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (hex, ==, expected[i][1]);
    }

  {
    g_autoptr (GError) error = NULL;
    g_autofree char *hex = pc_dtls_fingerprint_from_pem (pem, "md5", &error);

    g_assert_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_DTLS_FINGERPRINT);
    g_assert_null (hex);
  }
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *hex = pc_dtls_fingerprint_from_pem ("not a certificate", "sha-256", &error);

    g_assert_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_DTLS_FINGERPRINT);
    g_assert_null (hex);
  }
}

static void
assert_verifies (const char *sdp, gboolean expect_ok)
{
  g_autofree char *pem = test_cert_pem ();
  g_autoptr (PcDtlsVerifier) verifier = pc_dtls_verifier_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *fingerprint = NULL;

  g_assert_true (pc_dtls_verifier_set_remote_description (verifier, sdp, &error));
  g_assert_no_error (error);
  g_assert_false (pc_dtls_verifier_is_verified (verifier));
  if (expect_ok)
    {
      g_assert_true (pc_dtls_verifier_verify (verifier, pem, &fingerprint, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (fingerprint, ==, CERT_SHA256);
      g_assert_true (pc_dtls_verifier_is_verified (verifier));
    }
  else
    {
      g_assert_false (pc_dtls_verifier_verify (verifier, pem, &fingerprint, &error));
      g_assert_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_DTLS_FINGERPRINT);
      g_assert_null (fingerprint);
      g_assert_false (pc_dtls_verifier_is_verified (verifier));
    }
}

static void
test_verify_match (void)
{
  g_autofree char *session_level = make_sdp ("sha-256 " CERT_SHA256, NULL, NULL);
  g_autofree char *media_level = make_sdp (NULL, "sha-1 " CERT_SHA1, "sha-512 " CERT_SHA512);
  g_autofree char *lower = g_ascii_strdown (media_level, -1);
  /* media-level fingerprints take precedence over a (wrong) session-level one */
  g_autofree char *override
      = make_sdp ("sha-256 " OTHER_SHA256, "sha-384 " CERT_SHA384, "sha-224 " CERT_SHA224);

  assert_verifies (session_level, TRUE);
  assert_verifies (media_level, TRUE);
  assert_verifies (lower, TRUE);
  assert_verifies (override, TRUE);
}

static void
test_verify_mismatch (void)
{
  g_autofree char *session_level = make_sdp ("sha-256 " OTHER_SHA256, NULL, NULL);
  /* one m-line right, the other (media-level) wrong */
  g_autofree char *one_wrong = make_sdp ("sha-256 " CERT_SHA256, NULL, "sha-256 " OTHER_SHA256);
  g_autofree char *media_wrong = make_sdp ("sha-256 " CERT_SHA256, "sha-256 " OTHER_SHA256, NULL);

  assert_verifies (session_level, FALSE);
  assert_verifies (one_wrong, FALSE);
  assert_verifies (media_wrong, FALSE);

  /* no certificate at all */
  {
    g_autoptr (PcDtlsVerifier) verifier = pc_dtls_verifier_new ();
    g_autoptr (GError) error = NULL;
    g_autofree char *sdp = make_sdp ("sha-256 " CERT_SHA256, NULL, NULL);

    g_assert_true (pc_dtls_verifier_set_remote_description (verifier, sdp, NULL));
    g_assert_false (pc_dtls_verifier_verify (verifier, NULL, NULL, &error));
    g_assert_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_DTLS_FINGERPRINT);
  }
  /* connected before any description */
  {
    g_autoptr (PcDtlsVerifier) verifier = pc_dtls_verifier_new ();
    g_autoptr (GError) error = NULL;
    g_autofree char *pem = test_cert_pem ();

    g_assert_false (pc_dtls_verifier_verify (verifier, pem, NULL, &error));
    g_assert_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_DTLS_FINGERPRINT);
  }
}

static void
test_verify_missing (void)
{
  g_autoptr (PcDtlsVerifier) verifier = pc_dtls_verifier_new ();
  g_autofree char *none = make_sdp (NULL, NULL, NULL);
  g_autofree char *one_missing = make_sdp (NULL, "sha-256 " CERT_SHA256, NULL);
  g_autofree char *unsupported
      = make_sdp ("md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF", NULL, NULL);
  g_autofree char *good = make_sdp ("sha-256 " CERT_SHA256, NULL, NULL);
  g_autofree char *pem = test_cert_pem ();
  const char *bad[] = { none, one_missing, unsupported, "not sdp" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (pc_dtls_verifier_set_remote_description (verifier, bad[i], &error));
      g_assert_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_DTLS_FINGERPRINT);
    }
  /* a rejected m-line (port 0) needs no fingerprint */
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *rejected = make_sdp (NULL, "sha-256 " CERT_SHA256, NULL);
    char *port = strstr (rejected, "m=video 9");

    port[8] = '0';
    g_assert_true (pc_dtls_verifier_set_remote_description (verifier, rejected, &error));
    g_assert_no_error (error);
    g_assert_true (pc_dtls_verifier_verify (verifier, pem, NULL, &error));
    g_assert_no_error (error);
  }
  /* once verified, a renegotiation cannot announce another certificate */
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *other = make_sdp ("sha-256 " OTHER_SHA256, NULL, NULL);

    g_assert_false (pc_dtls_verifier_set_remote_description (verifier, other, &error));
    g_assert_error (error, PC_MEDIA_ERROR, PC_MEDIA_ERROR_DTLS_FINGERPRINT);
    g_clear_error (&error);
    g_assert_true (pc_dtls_verifier_set_remote_description (verifier, good, &error));
    g_assert_no_error (error);
  }
}

static void
test_sas (void)
{
  g_autofree char *ab = pc_dtls_sas_from_fingerprints (CERT_SHA256, OTHER_SHA256);
  g_autofree char *ba = pc_dtls_sas_from_fingerprints (OTHER_SHA256, CERT_SHA256);
  g_autofree char *prefixed = pc_dtls_sas_from_fingerprints ("sha-256 " OTHER_SHA256, CERT_SHA256);
  g_autofree char *lower_a = g_ascii_strdown (CERT_SHA256, -1);
  g_autofree char *lower = pc_dtls_sas_from_fingerprints (lower_a, OTHER_SHA256);
  g_autofree char *same = pc_dtls_sas_from_fingerprints (CERT_SHA256, CERT_SHA256);
  g_autofree char *sha1 = pc_dtls_sas_from_fingerprints (CERT_SHA1, CERT_SHA256);

  /* Python: hashlib.sha256(("\n".join(sorted([a, b]))).encode()), 5-byte chunks mod 100000 */
  g_assert_cmpstr (ab, ==, "71577 53871 26509 36176");
  g_assert_cmpstr (ba, ==, ab);
  g_assert_cmpstr (prefixed, ==, ab);
  g_assert_cmpstr (lower, ==, ab);
  g_assert_nonnull (same);
  g_assert_cmpstr (same, !=, ab);
  g_assert_null (sha1);
  g_assert_null (pc_dtls_sas_from_fingerprints (NULL, CERT_SHA256));
}

static void
test_identity (void)
{
  g_autofree char *dir = g_dir_make_tmp ("peercall-identity-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "sub", "dtls-identity.pem", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PcDtlsIdentity) first = pc_dtls_identity_load_or_create (path, &error);
  g_autoptr (PcDtlsIdentity) second = NULL;
  g_autofree char *hex = NULL;
  g_autofree char *sub = g_path_get_dirname (path);
  GStatBuf st;

  g_assert_no_error (error);
  g_assert_nonnull (first);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (sub, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_nonnull (strstr (pc_dtls_identity_get_pem (first), "PRIVATE KEY-----"));

  /* the fingerprint is the certificate's, and reading it back gives the same identity */
  hex = pc_dtls_fingerprint_from_pem (pc_dtls_identity_get_pem (first), "sha-256", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hex, ==, pc_dtls_identity_get_fingerprint (first));
  second = pc_dtls_identity_load_or_create (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pc_dtls_identity_get_fingerprint (second), ==,
                   pc_dtls_identity_get_fingerprint (first));
  g_assert_cmpstr (pc_dtls_identity_get_pem (second), ==, pc_dtls_identity_get_pem (first));

  /* a corrupt file is an error, never silently replaced (peers pinned the old identity) */
  g_clear_object (&second);
  g_assert_true (g_file_set_contents (path, "garbage", -1, NULL));
  second = pc_dtls_identity_load_or_create (path, &error);
  g_assert_null (second);
  g_assert_nonnull (error);
  g_clear_error (&error);

  g_unlink (path);
  g_rmdir (sub);
  g_rmdir (dir);
}

/* The default identity lives in XDG_DATA_HOME (main () points it at a temporary directory). */
static void
test_identity_default (void)
{
  const char *dir = g_get_user_data_dir ();
  g_autofree char *path = g_build_filename (dir, "peercall", "dtls-identity.pem", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (PcDtlsIdentity) identity = NULL;
  g_autoptr (PcDtlsIdentity) again = NULL;

  g_assert_nonnull (strstr (dir, "peercall-xdg-"));
  identity = pc_dtls_identity_get_default (&error);
  g_assert_no_error (error);
  g_assert_cmpstr (pc_dtls_identity_get_path (identity), ==, path);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  again = pc_dtls_identity_get_default (&error);
  g_assert_true (again == identity);

  g_unlink (path);
  {
    g_autofree char *sub = g_path_get_dirname (path);

    g_rmdir (sub);
  }
}

int
main (int argc, char **argv)
{
  /* before GLib caches the user data dir */
  g_autofree char *xdg = g_dir_make_tmp ("peercall-xdg-XXXXXX", NULL);
  int ret;

  g_setenv ("XDG_DATA_HOME", xdg, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dtls/fingerprint/parse", test_parse);
  g_test_add_func ("/dtls/fingerprint/hash-known-certificate", test_hash_known_certificate);
  g_test_add_func ("/dtls/verify/match", test_verify_match);
  g_test_add_func ("/dtls/verify/mismatch", test_verify_mismatch);
  g_test_add_func ("/dtls/verify/missing", test_verify_missing);
  g_test_add_func ("/dtls/sas", test_sas);
  g_test_add_func ("/dtls/identity/load-or-create", test_identity);
  g_test_add_func ("/dtls/identity/default", test_identity_default);
  ret = g_test_run ();
  g_rmdir (xdg);
  return ret;
}
