#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when a source file with translatable strings is missing from po/POTFILES.in, or when
POTFILES.in names a file that no longer exists (either would break or silently shrink the
translation template). Usage: check-potfiles.py SOURCE_ROOT
"""
import os
import re
import sys

SCANNED_DIRS = ['app', 'ui', 'net', 'media', 'data']
SKIPPED_DIRS = {'data/web', 'data/screenshots'}  # the browser client is not gettext-translated

# gettext calls in C: _( N_( C_( NC_( Q_( g_dgettext( g_dngettext( g_dpgettext2( ngettext( ...
C_CALL = re.compile(r'(?<![A-Za-z0-9_])(?:N?C?_|Q_|g_d[cnp]?gettext2?|d?c?n?gettext)\s*\(')
UI_TRANSLATABLE = re.compile(r'translatable\s*=\s*"(?:yes|true|1)"')


def has_translatable(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        text = f.read()
    name = os.path.basename(path)
    if name.endswith(('.c', '.h')):
        # comments and preprocessor lines do not count
        code = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
        code = re.sub(r'//[^\n]*', '', code)
        code = '\n'.join(l for l in code.splitlines() if not l.lstrip().startswith('#'))
        return bool(C_CALL.search(code))
    if name.endswith(('.ui', '.blp')):
        return bool(UI_TRANSLATABLE.search(text)) or '_("' in text
    if name.endswith(('.desktop.in', '.metainfo.xml.in', '.appdata.xml.in')):
        return True
    if name.endswith('.gschema.xml'):
        return '<summary>' in text or '<description>' in text
    return False


def main():
    root = sys.argv[1]
    with open(os.path.join(root, 'po', 'POTFILES.in'), encoding='utf-8') as f:
        listed = [l.strip() for l in f if l.strip() and not l.lstrip().startswith('#')]

    problems = []
    for entry in listed:
        if not os.path.isfile(os.path.join(root, entry)):
            problems.append(f'po/POTFILES.in lists {entry}, which does not exist')
    if len(set(listed)) != len(listed):
        problems.append('po/POTFILES.in lists a file twice')

    found = []
    for top in SCANNED_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            rel_dir = os.path.relpath(dirpath, root)
            dirnames[:] = [d for d in dirnames
                           if os.path.join(rel_dir, d) not in SKIPPED_DIRS and not d.startswith('.')]
            for name in sorted(filenames):
                rel = os.path.join(rel_dir, name)
                if has_translatable(os.path.join(root, rel)):
                    found.append(rel)
                    if rel not in listed:
                        problems.append(f'{rel} has translatable strings but is not in po/POTFILES.in')

    print(f'{len(found)} files with translatable strings, {len(listed)} listed in po/POTFILES.in')
    for p in problems:
        print('error:', p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
