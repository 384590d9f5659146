#!/usr/bin/env python3
"""check-flatpak.py MANIFEST MESON_BUILD: the Flatpak manifest parses as JSON and can build
Bellbird: the GNOME runtime and SDK, libsrtp2 from its release tarball pinned by sha256, Bellbird
itself with meson from this tree, and finish-args no wider than a softphone needs. Every
dependency() in meson.build must come from the runtime or from a module of the manifest."""
import json
import re
import sys

# What org.gnome.Platform ships among our dependencies (GLib, GTK, libadwaita, GStreamer with
# its app, audio and RTP libraries, libsoup 3, SQLite, OpenSSL, libsecret).
RUNTIME = {'glib-2.0', 'gobject-2.0', 'gio-2.0', 'openssl', 'gstreamer-1.0', 'gstreamer-app-1.0',
           'gstreamer-audio-1.0', 'gstreamer-rtp-1.0', 'libsoup-3.0', 'sqlite3', 'gtk4', 'libadwaita-1', 'libsecret-1'}
# Modules that provide a pkg-config name the runtime lacks.
MODULE_PROVIDES = {'libsrtp2': 'libsrtp2'}
# Each permission and why (README.md, "Flatpak"): anything else fails the test.
ALLOWED_FINISH_ARGS = {
    '--share=network',                        # SIP and RTP
    '--share=ipc',                            # X11 shared memory (with fallback-x11)
    '--socket=pulseaudio',                    # microphone, speaker, ringtone (PipeWire too)
    '--socket=wayland',
    '--socket=fallback-x11',
    '--device=dri',                           # GTK 4 renders with OpenGL
    '--system-talk-name=org.freedesktop.login1',  # re-register after suspend (PrepareForSleep)
}
# Passwords go through the Secret portal and notifications through the Notification portal:
# both need no D-Bus name of their own.
FORBIDDEN = ('--filesystem=host', '--filesystem=home', '--socket=session-bus',
             '--socket=system-bus', '--device=all', '--talk-name=org.freedesktop.Notifications')

failures = []


def check(cond, message):
    if not cond:
        failures.append(message)


def main():
    with open(sys.argv[1], encoding='utf-8') as f:
        manifest = json.load(f)
    with open(sys.argv[2], encoding='utf-8') as f:
        meson_build = f.read()

    check(manifest.get('id') == 'io.github.bellbird.Bellbird', 'id is not the app id')
    check(manifest.get('runtime') == 'org.gnome.Platform', 'runtime is not org.gnome.Platform')
    check(manifest.get('sdk') == 'org.gnome.Sdk', 'sdk is not org.gnome.Sdk')
    version = str(manifest.get('runtime-version', ''))
    check(version.isdigit() and int(version) >= 45,
          'runtime-version %r: a GNOME release 45 or later' % version)
    check(manifest.get('command') == 'bellbird', 'command is not bellbird')

    args = manifest.get('finish-args', [])
    for arg in args:
        check(arg in ALLOWED_FINISH_ARGS, 'finish-arg %s is not one a softphone needs' % arg)
        check(not arg.startswith(FORBIDDEN), 'finish-arg %s is forbidden' % arg)
    for needed in ('--share=network', '--socket=pulseaudio', '--socket=wayland',
                   '--socket=fallback-x11'):
        check(needed in args, 'finish-args lack %s' % needed)

    modules = {m.get('name'): m for m in manifest.get('modules', []) if isinstance(m, dict)}
    names = [m.get('name') for m in manifest.get('modules', []) if isinstance(m, dict)]
    check(names and names[-1] == 'bellbird', 'bellbird is not the last module')

    srtp = modules.get('libsrtp2')
    check(srtp is not None, 'no libsrtp2 module')
    if srtp:
        sources = srtp.get('sources', [])
        check(len(sources) == 1 and sources[0].get('type') == 'archive',
              'libsrtp2: one archive source')
        if sources:
            src = sources[0]
            check(re.fullmatch(r'https://github\.com/cisco/libsrtp/archive/(refs/tags/)?v2\.5\.0'
                               r'\.tar\.gz', src.get('url', '')) is not None,
                  'libsrtp2: the 2.5.0 release tarball from github.com/cisco/libsrtp')
            check(re.fullmatch(r'[0-9a-f]{64}', src.get('sha256', '')) is not None,
                  'libsrtp2: a sha256')
        check(srtp.get('buildsystem') in ('meson', 'autotools', None),
              'libsrtp2: meson or autotools')
        check('-Dcrypto-library=openssl' in srtp.get('config-opts', []),
              'libsrtp2: -Dcrypto-library=openssl (AES-GCM suites)')

    app = modules.get('bellbird')
    check(app is not None, 'no bellbird module')
    if app:
        check(app.get('buildsystem') == 'meson', 'bellbird: buildsystem meson')
        check(any(s.get('type') == 'dir' and s.get('path') == '..'
                  for s in app.get('sources', [])), 'bellbird: source dir ".."')
        check('-Dgui=enabled' in app.get('config-opts', []), 'bellbird: -Dgui=enabled')

    # Every dependency('x') of the project: in the runtime, or built by a module.
    provided = set(RUNTIME)
    for module, pc in MODULE_PROVIDES.items():
        if module in modules:
            provided.add(pc)
    for dep in re.findall(r"dependency\('([^']+)'", meson_build):
        check(dep in provided, 'dependency %s: neither in the runtime nor a module' % dep)

    for message in failures:
        print('flatpak manifest: ' + message, file=sys.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
