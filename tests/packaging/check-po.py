#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks every translation in po/LINGUAS.

  check-po.py format SOURCE_ROOT LANG     msgfmt --check (format strings, header, domain)
  check-po.py complete SOURCE_ROOT LANG   every message of the current sources is translated
  check-po.py extractable SOURCE_ROOT     xgettext extracts every translatable string whole

The second form extracts a fresh template from po/POTFILES.in the way i18n.gettext's glib preset
does and compares it with msgcmp: a string added to the code without a translation fails it.
Fix with `meson compile -C BUILDDIR peercall-update-po`, then translate the new entries.
"""
import os
import re
import subprocess
import sys
import tempfile

# the keywords and format flags of meson's glib preset
XGETTEXT_ARGS = [
    '--from-code=UTF-8', '--add-comments',
    '--keyword=_', '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
    '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3', '--keyword=g_dpgettext2:2c,3',
    '--flag=N_:1:pass-c-format', '--flag=C_:2:pass-c-format', '--flag=NC_:2:pass-c-format',
    '--flag=g_dngettext:2:pass-c-format', '--flag=g_strdup_printf:1:c-format',
    '--flag=g_string_printf:2:c-format', '--flag=g_string_append_printf:2:c-format',
    '--flag=g_error_new:3:c-format', '--flag=g_set_error:4:c-format',
    '--flag=g_markup_printf_escaped:1:c-format', '--flag=g_log:3:c-format',
    '--flag=g_print:1:c-format', '--flag=g_printerr:1:c-format', '--flag=g_printf:1:c-format',
    '--flag=g_fprintf:2:c-format', '--flag=g_sprintf:2:c-format', '--flag=g_snprintf:3:c-format',
]


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def check_format(root, lang):
    po = os.path.join(root, 'po', lang + '.po')
    proc = run(['msgfmt', '--check', '--check-accelerators=_', '--statistics', '-o', os.devnull, po])
    print(proc.stdout + proc.stderr, end='')
    if proc.returncode != 0:
        return 1
    if 'fuzzy' in proc.stderr or 'untranslated' in proc.stderr:
        print(f'error: {lang}.po has fuzzy or untranslated messages', file=sys.stderr)
        return 1
    return 0


def extract(root, pot):
    """The template of the current sources, as `meson compile peercall-pot` makes it."""
    proc = run(['xgettext', '--package-name=peercall', '-D', root,
                '--files-from=' + os.path.join(root, 'po', 'POTFILES.in'),
                '-o', pot] + XGETTEXT_ARGS)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return False
    return True


def check_complete(root, lang):
    po = os.path.join(root, 'po', lang + '.po')
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, 'peercall.pot')
        if not extract(root, pot):
            return 1
        proc = run(['msgcmp', po, pot])
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr, end='')
            print(f'error: po/{lang}.po lacks translations of current strings; run '
                  '`meson compile -C BUILDDIR peercall-update-po` and translate them',
                  file=sys.stderr)
            return 1
        count = run(['msgattrib', '--no-obsolete', pot]).stdout.count('\nmsgid ') - 1
    print(f'{lang}: all {count} messages of the current sources are translated')
    return 0


def check_extractable(root):
    """Every translatable string reaches the template whole."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, 'peercall.pot')
        if not extract(root, pot):
            return 1
        with open(pot, encoding='utf-8') as f:
            template = f.read()
    # a string glued to a macro ("%" G_GINT64_FORMAT " packets") is cut at the macro:
    # xgettext extracts "%" and the program never finds the translation of the whole string
    cut = re.findall(r'^#: (.*)\n(?:#.*\n)*msgid "(?:[^"]*[^%])?%"$', template, re.M)
    if cut:
        print(f'error: translatable strings cut at a format macro at {", ".join(cut)}: use '
              'PRId64 and friends from <inttypes.h> (xgettext understands them) or a cast',
              file=sys.stderr)
        return 1
    print(f'{template.count(chr(10) + "msgid ") - 1} messages extracted whole')
    return 0


def main():
    if sys.argv[1] == 'extractable':
        return check_extractable(sys.argv[2])
    mode, root, lang = sys.argv[1:4]
    return {'format': check_format, 'complete': check_complete}[mode](root, lang)


if __name__ == '__main__':
    sys.exit(main())
