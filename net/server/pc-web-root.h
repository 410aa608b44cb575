/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pc-web-root.h: maps request paths to files under the web client's directory, safely. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Resolves a URL path ("/", "/app.js", percent-encoded) to a regular file inside @root.
 * "/" and directories map to their index.html. Returns NULL (and sets @error,
 * G_IO_ERROR_NOT_FOUND or G_IO_ERROR_PERMISSION_DENIED) for anything outside the root: "..",
 * hidden files, encoded slashes, NUL bytes, symlinks leading out. */
char *pc_web_root_resolve (const char *root, const char *url_path, GError **error);

/* Content type for a file name, by extension ("text/html; charset=utf-8", ...). */
const char *pc_web_root_content_type (const char *filename);

/* The default web root: @installed_dir when it exists, else @source_dir when it exists, else
 * NULL. */
char *pc_web_root_find_default (const char *installed_dir, const char *source_dir);

G_END_DECLS
