#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the AppStream metainfo against the tree: its newest release is the project's version,
it launches the desktop file that is built, and every screenshot it links is committed under
data/screenshots/ (the URLs point at the repository's raw files).
Usage: check-metainfo.py SOURCE_ROOT METAINFO_IN PROJECT_VERSION APP_ID
"""
import os
import sys
import xml.etree.ElementTree as ET

RAW_PREFIX = 'https://raw.githubusercontent.com/peercall/peercall/main/'


def main():
    root_dir, metainfo, version, app_id = sys.argv[1:5]
    root = ET.parse(metainfo).getroot()
    problems = []

    releases = root.findall('./releases/release')
    if not releases or releases[0].get('version') != version:
        problems.append(f'the newest <release> is not {version} (meson project version)')
    launchable = root.findtext('./launchable[@type="desktop-id"]')
    if launchable != app_id + '.desktop' or root.findtext('id') != app_id:
        problems.append('<id> or <launchable> does not match the application id')

    images = [i.text.strip() for i in root.findall('./screenshots/screenshot/image')]
    if not images:
        problems.append('no screenshots')
    for url in images:
        if not url.startswith(RAW_PREFIX):
            problems.append(f'screenshot {url} is not a file of this repository')
            continue
        path = os.path.join(root_dir, url[len(RAW_PREFIX):])
        if not os.path.isfile(path):
            problems.append(f'screenshot {url} links {os.path.relpath(path, root_dir)}, '
                            'which is not in the tree')
            continue
        with open(path, 'rb') as f:
            head = f.read(24)
        if head[:8] != b'\x89PNG\r\n\x1a\n':
            problems.append(f'{path} is not a PNG')
        else:
            width = int.from_bytes(head[16:20], 'big')
            if width < 620:
                problems.append(f'{path} is {width} px wide; stores want at least 620')

    print(f'release {releases[0].get("version") if releases else None}, {len(images)} screenshots')
    for p in problems:
        print('error:', p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
