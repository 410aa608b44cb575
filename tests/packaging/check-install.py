#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Installs the build with `meson install --destdir` into a scratch directory and checks the result.

  check-install.py install   every file a distribution or Flatpak needs is installed and valid,
                             and the installed `peercall --version` runs
  check-install.py i18n      the installed app speaks each language of po/LINGUAS: `peercall
                             --help` prints the translated option descriptions
  check-install.py dbus-activation  the desktop launches Peercall through D-Bus
                             (DBusActivatable=true): pinging its bus name on a private session
                             bus starts the installed service file's Exec line and the app
                             takes the name
  check-install.py screenshot  the installed app's window under Xvfb, in Chinese and in English:
                             both are saved (tests/packaging/screenshot-*.png in the build
                             directory) and must differ, since every visible label is translated

The i18n and screenshot checks run the installed binary as if it were installed: inside a private mount
namespace the destdir is overlaid on the real prefix (read-only overlayfs, nothing on the
machine changes), so the compiled-in LOCALEDIR holds our .mo files. That needs root and
unshare(1); without them the check is skipped (exit 77).

Environment: PEERCALL_BUILD_ROOT, PEERCALL_SOURCE_ROOT (set by tests/meson.build).
"""
import json
import os
import re
import shutil
import subprocess
import sys

APP_ID = 'io.github.peercall.Peercall'
BUILD = os.environ['PEERCALL_BUILD_ROOT']
SOURCE = os.environ['PEERCALL_SOURCE_ROOT']
errors = []


def error(msg):
    errors.append(msg)
    print('error:', msg, file=sys.stderr)


def run(cmd, timeout=60, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def install_dirs():
    proc = run(['meson', 'introspect', BUILD, '--buildoptions'])
    opts = {o['name']: o['value'] for o in json.loads(proc.stdout)}
    prefix = opts['prefix']
    d = {k: os.path.join(prefix, opts[k]) for k in
         ('bindir', 'datadir', 'localedir', 'sysconfdir', 'libdir')}
    d['prefix'] = prefix
    return d


def linguas():
    with open(os.path.join(SOURCE, 'po', 'LINGUAS'), encoding='utf-8') as f:
        return [w for l in f if not l.startswith('#') for w in l.split()]


def do_install(name):
    destdir = os.path.join(BUILD, 'tests', 'packaging', name)
    shutil.rmtree(destdir, ignore_errors=True)
    proc = run(['meson', 'install', '-C', BUILD, '--no-rebuild', '--destdir', destdir], timeout=300)
    with open(destdir + '.log', 'w', encoding='utf-8') as log:
        log.write(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f'meson install failed (exit {proc.returncode}), see {destdir}.log')
    return destdir


def under(destdir, path):
    return destdir + path


def check_install():
    dirs = install_dirs()
    destdir = do_install('destdir')
    datadir, bindir = dirs['datadir'], dirs['bindir']
    expected = [
        f'{bindir}/peercall',
        f'{bindir}/peercall-signal',
        f'{datadir}/applications/{APP_ID}.desktop',
        f'{datadir}/metainfo/{APP_ID}.metainfo.xml',
        f'{datadir}/icons/hicolor/scalable/apps/{APP_ID}.svg',
        f'{datadir}/icons/hicolor/symbolic/apps/{APP_ID}-symbolic.svg',
        f'{datadir}/glib-2.0/schemas/{APP_ID}.gschema.xml',
        f'{datadir}/dbus-1/services/{APP_ID}.service',
        f'{datadir}/peercall/web/index.html',
        f'{dirs["prefix"]}/lib/systemd/system/peercall-signal.service',
        f'{dirs["sysconfdir"]}/peercall/peercall-signal.conf',
    ] + [f'{dirs["localedir"]}/{lang}/LC_MESSAGES/peercall.mo' for lang in linguas()]
    for path in expected:
        if not os.path.isfile(under(destdir, path)):
            error(f'not installed: {path}')
    for exe in (f'{bindir}/peercall', f'{bindir}/peercall-signal'):
        if os.path.isfile(under(destdir, exe)) and not os.access(under(destdir, exe), os.X_OK):
            error(f'not executable: {exe}')
    if errors:
        return

    # the installed metadata is valid
    desktop = under(destdir, f'{datadir}/applications/{APP_ID}.desktop')
    proc = run(['desktop-file-validate', desktop])
    if proc.returncode != 0 or proc.stdout.strip():
        error(f'installed desktop file: {proc.stdout}{proc.stderr}')
    proc = run(['appstreamcli', 'validate', '--no-net', under(destdir, f'{datadir}/metainfo/{APP_ID}.metainfo.xml')])
    if proc.returncode != 0:
        error(f'installed metainfo: {proc.stdout}{proc.stderr}')
    schemas = under(destdir, f'{datadir}/glib-2.0/schemas')
    proc = run(['glib-compile-schemas', '--strict', schemas])
    if proc.returncode != 0:
        error(f'installed schema does not compile: {proc.stderr}')

    # the desktop file, D-Bus service and systemd unit point at the installed binaries
    with open(desktop, encoding='utf-8') as f:
        entry = f.read()
    if 'DBusActivatable=true' not in entry or f'Icon={APP_ID}' not in entry:
        error('desktop file lacks DBusActivatable=true or the application icon')
    with open(under(destdir, f'{datadir}/dbus-1/services/{APP_ID}.service'), encoding='utf-8') as f:
        service = f.read()
    if f'Name={APP_ID}\n' not in service or f'Exec={bindir}/peercall --gapplication-service' not in service:
        error(f'D-Bus service file is wrong:\n{service}')
    unit_path = under(destdir, f'{dirs["prefix"]}/lib/systemd/system/peercall-signal.service')
    with open(unit_path, encoding='utf-8') as f:
        unit = f.read()
    if f'ExecStart={bindir}/peercall-signal ' not in unit or re.search(r'@[a-z_]+@', unit):
        error('systemd unit: ExecStart does not name the installed peercall-signal, or a '
              '@variable@ was left unsubstituted')
    if f'EnvironmentFile=-{dirs["sysconfdir"]}/peercall/peercall-signal.conf' not in unit:
        error('systemd unit does not read the installed peercall-signal.conf')
    check_systemd_unit(unit, destdir, dirs)

    # the mo files hold real translations
    for lang in linguas():
        mo = under(destdir, f'{dirs["localedir"]}/{lang}/LC_MESSAGES/peercall.mo')
        proc = run(['msgunfmt', mo])
        n = proc.stdout.count('\nmsgid ') - 1
        if proc.returncode != 0 or n < 10:
            error(f'{lang}: peercall.mo holds {n} messages')

    # the installed program runs
    proc = run([under(destdir, f'{bindir}/peercall'), '--version'], timeout=30)
    out = (proc.stdout + proc.stderr).strip()
    print(f'installed peercall --version: exit {proc.returncode}: {out[:200]}')
    if proc.returncode != 0 or not re.search(r'\b0\.1\.0\b', proc.stdout):
        error('the installed `peercall --version` must exit 0 and print the version 0.1.0')

    print(f'{len(expected)} expected files installed under {destdir}')


def check_systemd_unit(unit, destdir, dirs):
    analyze = shutil.which('systemd-analyze')
    if not analyze:
        print('systemd-analyze not found: unit syntax not verified')
        return
    # systemd-analyze checks that ExecStart exists: point it at the destdir's copy
    scratch = os.path.join(BUILD, 'tests', 'packaging', 'unit')
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    copy = os.path.join(scratch, 'peercall-signal.service')
    with open(copy, 'w', encoding='utf-8') as f:
        f.write(unit.replace(f'ExecStart={dirs["bindir"]}', f'ExecStart={destdir}{dirs["bindir"]}'))
    proc = run([analyze, 'verify', copy])
    if proc.returncode != 0 or proc.stderr.strip():
        error(f'systemd-analyze verify: {proc.stdout}{proc.stderr}')
    # exposure 0 (locked down) .. 10 (unsafe); a hardened network daemon stays under 2
    proc = run([analyze, 'security', '--offline=yes', '--no-pager', '--threshold=20', copy])
    summary = [l for l in proc.stdout.splitlines() if 'Overall exposure' in l]
    print('systemd-analyze security:', summary[0] if summary else proc.stdout[-300:])
    if proc.returncode != 0:
        error('systemd unit exposure is above 2.0: check its sandboxing\n' + proc.stdout)


def in_installed_prefix(destdir, prefix, cmd, env, timeout=60):
    """Runs cmd with destdir overlaid on the prefix in a private mount namespace."""
    mount_point = prefix
    while not os.path.isdir(mount_point):
        mount_point = os.path.dirname(mount_point)
    script = ('mount -t overlay peercall-test -o "lowerdir=$1:$2" "$2" || exit 77; '
              'shift 2; exec "$@"')
    return run(['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh',
                destdir + mount_point, mount_point] + cmd, env=env, timeout=timeout)


def po_unescape(s):
    return re.sub(r'\\(.)', lambda m: {'n': '\n', 't': '\t'}.get(m.group(1), m.group(1)), s)


def po_messages(lang):
    """msgid -> msgstr of the translated, non-fuzzy messages of po/LANG.po."""
    proc = run(['msgattrib', '--translated', '--no-fuzzy', '--no-obsolete', '--no-wrap',
                os.path.join(SOURCE, 'po', lang + '.po')])
    return {po_unescape(m.group(1)): po_unescape(m.group(2))
            for m in re.finditer(r'^msgid "(.+)"\nmsgstr "(.*)"$', proc.stdout, re.M)}


def check_i18n():
    if os.geteuid() != 0 or not shutil.which('unshare'):
        print('needs root and unshare(1) for a private mount namespace: skipped')
        return 77
    dirs = install_dirs()
    destdir = do_install('destdir-i18n')
    peercall = f'{dirs["bindir"]}/peercall'
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(('LC_', 'LANG'))}
    base_env['LANG'] = 'C.UTF-8'

    english = in_installed_prefix(destdir, dirs['prefix'], [peercall, '--help'],
                                  dict(base_env, LANGUAGE='C'))
    if english.returncode == 77:
        print('overlayfs is not available here: skipped')
        return 77
    if english.returncode != 0:
        error(f'peercall --help failed: {english.stderr[-2000:]}')
        return 1
    for lang in linguas():
        translated = in_installed_prefix(destdir, dirs['prefix'], [peercall, '--help'],
                                         dict(base_env, LANGUAGE=lang))
        messages = po_messages(lang)
        # the option descriptions and the summary: every po message that the English --help
        # prints as a whole, at the end of a line
        lines = [l.strip() for l in english.stdout.splitlines()]
        shown = {k: v for k, v in messages.items()
                 if any(l == k or l.endswith('  ' + k) for l in lines)}
        missing = [f'{k!r} -> {v!r}' for k, v in shown.items() if v not in translated.stdout]
        print(f'{lang}: {len(shown) - len(missing)} of {len(shown)} --help strings translated')
        if len(shown) < 5:
            error(f'{lang}: only {len(shown)} --help strings found in po/{lang}.po; '
                  'are the option descriptions marked with N_()?')
        if missing:
            error(f'{lang}: --help did not show these translations: ' + '; '.join(missing[:5]))
        if lang == 'zh_CN' and not re.search('[\u4e00-\u9fff]', translated.stdout):
            error('LANGUAGE=zh_CN peercall --help printed no Chinese')
        if lang == 'zh_CN':
            print('\n'.join(translated.stdout.splitlines()[:12]))
    return 1 if errors else 0


SCREEN_W, SCREEN_H = 1280, 720
WIN_W, WIN_H = 960, 640  # the window-width/window-height defaults of the GSettings schema


def capture(path, fmt):
    """One frame of the window's area of the X screen: raw RGB or PNG."""
    caps = 'video/x-raw,format=RGB ! filesink' if fmt == 'rgb' else 'pngenc ! filesink'
    pipeline = (f'ximagesrc num-buffers=1 use-damage=false show-pointer=false startx=0 starty=0 '
                f'endx={WIN_W - 1} endy={WIN_H - 1} ! videoconvert ! {caps} location={path}')
    proc = run(['gst-launch-1.0', '-q'] + pipeline.split(), timeout=30)
    if proc.returncode != 0:
        raise SystemExit(f'screen capture failed: {proc.stderr}')


def screenshot_inner(outdir, lang, peercall):
    """Runs inside xvfb-run and the mount namespace: starts the app, waits until its window is
    drawn and stable (two identical captures, not the black root window), saves it."""
    import time
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(('LC_', 'LANG', 'DBUS_SESSION'))}
    env.update(LANG='C.UTF-8', LANGUAGE=lang, GSETTINGS_BACKEND='memory', NO_AT_BRIDGE='1',
               GTK_A11Y='none',
               # GL through llvmpipe in an ASan build takes tens of seconds to realize
               GSK_RENDERER='cairo',
               # full unwinding on every malloc (for LSan suppressions) triples GTK's start-up;
               # this check looks at pixels, leaks are the ui and calls suites' business
               ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '').replace(
                   'fast_unwind_on_malloc=0', 'fast_unwind_on_malloc=1'))
    raw = os.path.join(outdir, f'screenshot-{lang}.rgb')
    start = time.monotonic()
    app = subprocess.Popen([peercall], env=env, stdout=subprocess.DEVNULL,
                           stderr=open(os.path.join(outdir, f'screenshot-{lang}.log'), 'w'))
    try:
        previous = None
        while True:
            if app.poll() is not None:
                raise SystemExit(f'peercall exited with {app.returncode} before its window was '
                                 f'drawn, see screenshot-{lang}.log')
            if time.monotonic() - start > 240:
                raise SystemExit('the window was not drawn within 240 s')
            capture(raw, 'rgb')
            with open(raw, 'rb') as f:
                frame = f.read()
            bright = sum(frame[::97]) / len(frame[::97])
            if bright > 100 and frame == previous:
                break
            previous = frame
        elapsed = time.monotonic() - start
        capture(os.path.join(outdir, f'screenshot-{lang}.png'), 'png')
    finally:
        app.terminate()
        app.wait(timeout=30)
    print(f'{lang}: window drawn and stable {elapsed:.1f} s after start')
    return 0


def check_screenshot():
    for tool in ('unshare', 'xvfb-run', 'gst-launch-1.0'):
        if not shutil.which(tool):
            print(f'{tool} not found: skipped')
            return 77
    if os.geteuid() != 0:
        print('needs root for a private mount namespace: skipped')
        return 77
    dirs = install_dirs()
    destdir = do_install('destdir-screenshot')
    outdir = os.path.join(BUILD, 'tests', 'packaging')
    frames = {}
    for lang in ('zh_CN', 'C'):
        proc = in_installed_prefix(
            destdir, dirs['prefix'],
            ['xvfb-run', '-a', '-s', f'-screen 0 {SCREEN_W}x{SCREEN_H}x24 -nolisten tcp',
             sys.executable, os.path.abspath(__file__), 'screenshot-inner', outdir, lang,
             f'{dirs["bindir"]}/peercall'],
            dict(os.environ), timeout=300)
        print(proc.stdout, end='')
        if proc.returncode == 77:
            print('overlayfs is not available here: skipped')
            return 77
        if proc.returncode != 0:
            error(f'{lang} screenshot failed: {proc.stderr[-2000:]}')
            return 1
        with open(os.path.join(outdir, f'screenshot-{lang}.rgb'), 'rb') as f:
            frames[lang] = f.read()
    differing = sum(1 for i in range(0, len(frames['C']), 3)
                    if frames['C'][i:i + 3] != frames['zh_CN'][i:i + 3])
    share = differing / (WIN_W * WIN_H)
    print(f'{differing} pixels ({share:.1%}) differ between the English and the Chinese window; '
          f'saved {outdir}/screenshot-zh_CN.png and screenshot-C.png')
    if share < 0.005:
        error('the Chinese window looks like the English one: are the labels translated?')
    return 1 if errors else 0


def check_dbus_activation():
    for tool in ('unshare', 'xvfb-run', 'dbus-run-session', 'gdbus'):
        if not shutil.which(tool):
            print(f'{tool} not found: skipped')
            return 77
    if os.geteuid() != 0:
        print('needs root for a private mount namespace: skipped')
        return 77
    dirs = install_dirs()
    destdir = do_install('destdir-dbus')
    env = {k: v for k, v in os.environ.items() if not k.startswith('DBUS_SESSION')}
    # the bus finds services in $XDG_DATA_DIRS/dbus-1/services: only ours and the system's
    env.update(XDG_DATA_DIRS=f'{dirs["datadir"]}:/usr/share', GSETTINGS_BACKEND='memory',
               GSK_RENDERER='cairo', NO_AT_BRIDGE='1', GTK_A11Y='none',
               ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '').replace(
                   'fast_unwind_on_malloc=0', 'fast_unwind_on_malloc=1'))
    object_path = '/' + APP_ID.replace('.', '/')
    proc = in_installed_prefix(
        destdir, dirs['prefix'],
        ['xvfb-run', '-a', '-s', '-nolisten tcp', 'dbus-run-session', '--',
         'gdbus', 'call', '--session', '--timeout', '90', '--dest', APP_ID,
         '--object-path', object_path, '--method', 'org.freedesktop.DBus.Peer.Ping'],
        env, timeout=150)
    if proc.returncode == 77:
        print('overlayfs is not available here: skipped')
        return 77
    log = '\n'.join(l for l in (proc.stdout + proc.stderr).splitlines() if 'dbus-daemon' not in l)
    if proc.returncode != 0:
        error(f'D-Bus activation of {APP_ID} failed (the service runs '
              f'`{dirs["bindir"]}/peercall --gapplication-service`):\n{log[-2000:]}')
        return 1
    print(f'{APP_ID} was started by D-Bus activation and answered on the bus')
    return 0


def main():
    mode = sys.argv[1]
    if mode == 'dbus-activation':
        return check_dbus_activation()
    if mode == 'screenshot':
        return check_screenshot()
    if mode == 'screenshot-inner':
        return screenshot_inner(*sys.argv[2:5])
    if mode == 'install':
        check_install()
        return 1 if errors else 0
    if mode == 'i18n':
        return check_i18n()
    raise SystemExit(f'unknown mode {mode}')


if __name__ == '__main__':
    sys.exit(main())
