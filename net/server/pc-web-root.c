/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "peercall-signal"

#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "pc-web-root.h"

static const struct
{
  const char *ext;
  const char *type;
} content_types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".htm", "text/html; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".mjs", "text/javascript; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".svg", "image/svg+xml" },
  { ".png", "image/png" },
  { ".ico", "image/x-icon" },
  { ".json", "application/json" },
  { ".webmanifest", "application/manifest+json" },
  { ".txt", "text/plain; charset=utf-8" },
  { ".woff2", "font/woff2" },
};

const char *
pc_web_root_content_type (const char *filename)
{
  for (guint i = 0; i < G_N_ELEMENTS (content_types); i++)
    if (g_str_has_suffix (filename, content_types[i].ext))
      return content_types[i].type;
  return "application/octet-stream";
}

static gboolean
is_dir (const char *path)
{
  return path != NULL && g_file_test (path, G_FILE_TEST_IS_DIR);
}

char *
pc_web_root_find_default (const char *installed_dir, const char *source_dir)
{
  if (is_dir (installed_dir))
    return g_strdup (installed_dir);
  if (is_dir (source_dir))
    return g_strdup (source_dir);
  return NULL;
}

static char *
not_found (GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "Not found");
  return NULL;
}

/* realpath() of @path must be @real_root itself or below it. */
static gboolean
is_inside (const char *real_root, const char *path)
{
  char resolved[PATH_MAX];
  gsize root_len = strlen (real_root);

  if (realpath (path, resolved) == NULL)
    return FALSE;
  return strncmp (resolved, real_root, root_len) == 0
         && (resolved[root_len] == '/' || resolved[root_len] == '\0');
}

char *
pc_web_root_resolve (const char *root, const char *url_path, GError **error)
{
  char real_root[PATH_MAX];
  g_autofree char *decoded = NULL;
  g_auto (GStrv) segments = NULL;
  g_autoptr (GString) path = NULL;

  if (root == NULL || realpath (root, real_root) == NULL)
    return not_found (error);
  if (url_path == NULL || url_path[0] != '/')
    return not_found (error);

  /* Refuses encoded '/' (and, since it can't decode to NUL, rejects "%00" too). */
  decoded = g_uri_unescape_string (url_path, "/");
  if (decoded == NULL || strchr (decoded, '\\') != NULL)
    return not_found (error);

  path = g_string_new (real_root);
  segments = g_strsplit (decoded, "/", -1);
  for (guint i = 0; segments[i] != NULL; i++)
    {
      const char *seg = segments[i];

      if (*seg == '\0')
        continue;
      /* No "..", ".", or hidden files (.git, .htaccess…) */
      if (seg[0] == '.')
        return not_found (error);
      g_string_append_c (path, '/');
      g_string_append (path, seg);
    }

  if (g_file_test (path->str, G_FILE_TEST_IS_DIR))
    g_string_append (path, "/index.html");
  if (!g_file_test (path->str, G_FILE_TEST_IS_REGULAR))
    return not_found (error);
  if (!is_inside (real_root, path->str))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "Forbidden");
      return NULL;
    }
  return g_string_free (g_steal_pointer (&path), FALSE);
}
