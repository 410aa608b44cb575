#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Structural checks of the Flatpak manifest that flatpak-builder itself does not make.

Every module that downloads something is pinned (archive/file sources by sha256, git sources by
commit), the sandbox holds only the permissions Peercall needs, and the app module builds this
tree with meson.

Usage: check-manifest.py MANIFEST APP_ID
       check-manifest.py --flatpak-builder FLATPAK_BUILDER MANIFEST
The second form has flatpak-builder itself parse the manifest (--show-manifest), with GLib
warnings fatal so that an unknown or ill-typed property fails too.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

SHA256 = re.compile(r'^[0-9a-f]{64}$')
COMMIT = re.compile(r'^[0-9a-f]{40}$')

# What Peercall's sandbox may hold; anything else needs a reason written here first.
ALLOWED_FINISH_ARGS = {
    '--share=network',
    '--share=ipc',
    '--socket=wayland',
    '--socket=fallback-x11',
    '--socket=pulseaudio',
    '--device=all',  # cameras, until the camera portal path is used
}

errors = []


def error(msg):
    errors.append(msg)


def strip_comments(text):
    """Drops /* */ comments outside strings (json-glib accepts them, Python's json does not)."""
    out = []
    i = 0
    in_string = False
    while i < len(text):
        c = text[i]
        if in_string:
            out.append(c)
            if c == '\\':
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith('/*', i):
            end = text.find('*/', i + 2)
            if end < 0:
                raise ValueError('unterminated comment')
            comment = text[i + 2:end]
            # json-glib (flatpak-builder) misparses a comment that contains a slash
            if '/' in comment:
                line = text.count('\n', 0, i) + 1
                error(f'line {line}: comment contains "/", which flatpak-builder cannot parse')
            i = end + 2
            continue
        else:
            out.append(c)
        i += 1
    return ''.join(out)


def load(path):
    with open(path, encoding='utf-8') as f:
        return json.loads(strip_comments(f.read()))


def check_source(where, src, base_dir):
    if isinstance(src, str):  # a file holding one or more sources
        path = os.path.join(base_dir, src)
        data = load(path)
        for i, s in enumerate(data if isinstance(data, list) else [data]):
            check_source(f'{where} ({src}[{i}])', s, os.path.dirname(path))
        return
    kind = src.get('type')
    if kind in ('archive', 'file'):
        if 'url' in src or 'mirror-urls' in src:
            if not SHA256.match(src.get('sha256', '')):
                error(f'{where}: {kind} source {src.get("url")} is not pinned by sha256')
            if not src.get('url', '').startswith('https://'):
                error(f'{where}: {kind} source {src.get("url")} is not fetched over https')
        elif 'path' not in src:
            error(f'{where}: {kind} source has neither url nor path')
    elif kind == 'git':
        if not COMMIT.match(src.get('commit', '')):
            error(f'{where}: git source {src.get("url")} is not pinned by commit')
    elif kind in ('dir', 'patch', 'script', 'shell', 'inline', 'extra-data'):
        if kind == 'extra-data' and not SHA256.match(src.get('sha256', '')):
            error(f'{where}: extra-data is not pinned by sha256')
    else:
        error(f'{where}: unexpected source type {kind!r}')


def walk_modules(modules, base_dir, found):
    for mod in modules:
        if isinstance(mod, str):  # a module kept in its own file
            path = os.path.join(base_dir, mod)
            walk_modules([load(path)], os.path.dirname(path), found)
            continue
        name = mod.get('name', '?')
        found.append(mod)
        if not mod.get('sources'):
            error(f'module {name}: no sources')
        for src in mod.get('sources', []):
            check_source(f'module {name}', src, base_dir)
        walk_modules(mod.get('modules', []), base_dir, found)


def run_flatpak_builder(flatpak_builder, manifest_path):
    env = dict(os.environ, G_DEBUG='fatal-warnings')
    # a scratch cwd: flatpak-builder makes its .flatpak-builder state directory there
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([flatpak_builder, '--show-manifest', os.path.abspath(manifest_path)],
                              cwd=tmp, env=env, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0 or proc.stderr.strip():
        print(proc.stderr, file=sys.stderr)
        print(f'flatpak-builder --show-manifest failed (exit {proc.returncode})', file=sys.stderr)
        return 1
    parsed = json.loads(proc.stdout)
    print(f'flatpak-builder parsed {parsed["id"]}: runtime {parsed["runtime"]}//'
          f'{parsed["runtime-version"]}, {len(parsed["modules"])} top-level modules')
    return 0


def main():
    if sys.argv[1] == '--flatpak-builder':
        return run_flatpak_builder(sys.argv[2], sys.argv[3])
    manifest_path, app_id = sys.argv[1], sys.argv[2]
    manifest = load(manifest_path)
    base_dir = os.path.dirname(os.path.abspath(manifest_path))

    if manifest.get('id', manifest.get('app-id')) != app_id:
        error(f'id is {manifest.get("id")!r}, expected {app_id!r}')
    if os.path.basename(manifest_path) != app_id + '.json':
        error('the manifest file is not named after the application id')
    if manifest.get('runtime') != 'org.gnome.Platform' or manifest.get('sdk') != 'org.gnome.Sdk':
        error('runtime/sdk must be org.gnome.Platform/org.gnome.Sdk')
    if not re.match(r'^\d+$', str(manifest.get('runtime-version', ''))):
        error('runtime-version must be a stable GNOME release number, not master/nightly')
    if manifest.get('command') != 'peercall':
        error('command must be peercall')

    finish_args = manifest.get('finish-args', [])
    for arg in finish_args:
        if arg not in ALLOWED_FINISH_ARGS:
            error(f'finish-arg {arg} is not needed by Peercall (no filesystem access, no bus names)')
    for needed in ('--share=network', '--socket=wayland', '--socket=fallback-x11',
                   '--socket=pulseaudio'):
        if needed not in finish_args:
            error(f'finish-arg {needed} is missing')

    modules = []
    walk_modules(manifest.get('modules', []), base_dir, modules)
    if not modules:
        error('no modules')
    else:
        app = modules[-1]
        if app.get('name') != 'peercall' or app.get('buildsystem') != 'meson':
            error('the last module must build peercall with meson')
        dirs = [s for s in app.get('sources', []) if isinstance(s, dict) and s.get('type') == 'dir']
        if not dirs or os.path.realpath(os.path.join(base_dir, dirs[0].get('path', ''))) != \
                os.path.realpath(os.path.join(os.path.dirname(__file__), '..', '..')):
            error('the peercall module must build this source tree (type dir, path ..)')
        for mod in modules[:-1]:
            if any(isinstance(s, dict) and s.get('type') == 'dir' for s in mod.get('sources', [])):
                error(f'module {mod.get("name")}: dependencies must come from pinned archives')

    pinned = sum(1 for m in modules for s in m.get('sources', [])
                 if isinstance(s, dict) and ('sha256' in s or 'commit' in s))
    print(f'{len(modules)} modules, {pinned} pinned downloads, finish-args: {" ".join(finish_args)}')
    for e in errors:
        print('error:', e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
