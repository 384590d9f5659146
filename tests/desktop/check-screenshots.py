#!/usr/bin/env python3
"""check-screenshots.py METAINFO SRCROOT: every screenshot the metainfo names is a PNG in this
tree (data/screenshots/, made by `meson compile -C BUILD screenshots`) with the width and
height the metainfo gives, so GNOME Software shows what the app really looks like."""
import re
import struct
import sys

PREFIX = 'https://raw.githubusercontent.com/bellbird/bellbird/main/'


def main():
    metainfo, root = sys.argv[1], sys.argv[2]
    with open(metainfo, encoding='utf-8') as f:
        text = f.read()
    images = re.findall(r'<image type="source" width="(\d+)" height="(\d+)"[^>]*>([^<]+)</image>',
                        text)
    failures = []
    if not images:
        failures.append('no screenshots')
    for width, height, url in images:
        if not url.startswith(PREFIX):
            failures.append('%s: not under %s' % (url, PREFIX))
            continue
        path = root + '/' + url[len(PREFIX):]
        try:
            with open(path, 'rb') as f:
                head = f.read(24)
        except OSError as e:
            failures.append('%s: %s' % (url, e.strerror))
            continue
        if head[:8] != b'\x89PNG\r\n\x1a\n':
            failures.append('%s: not a PNG' % path)
            continue
        size = struct.unpack('>II', head[16:24])
        if size != (int(width), int(height)):
            failures.append('%s is %dx%d, the metainfo says %sx%s' % (path, *size, width, height))
    for failure in failures:
        print('metainfo screenshots: ' + failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
