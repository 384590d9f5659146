#!/usr/bin/env python3
"""Count the real test cases of a `meson test` run; print `N passed, N failed[, N skipped]`.

Usage: tests/summarize.py BUILDDIR | BUILDDIR/meson-logs/testlog.json

meson writes one JSON object per test to meson-logs/testlog.json; which tests speak TAP is in
meson-info/intro-tests.json. A TAP test (our GTest binaries run with --tap) counts each of its
`ok` / `not ok` lines (`# SKIP` counts as skipped, `# TODO` as meson reads it); any other test
counts once, by its result. A test that meson saw fail although none of its TAP lines did
(crash, timeout, bad exit status, missing plan lines, "Bail out!") counts one failure more,
so a crash is never hidden behind the cases that passed before it.

Exit status: 0 when nothing failed and at least one case ran, 1 otherwise, 2 when the log
cannot be read.
"""

import json
import os
import re
import sys

PASS_RESULTS = {'OK', 'EXPECTEDFAIL'}
SKIP_RESULTS = {'SKIP'}
# Everything else (FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS, INTERRUPT, ...) is a failure.

TAP_TEST = re.compile(r'(not ok|ok)(?=\s|$)(.*)')
TAP_DIRECTIVE = re.compile(r'#\s*(skip\S*|todo)\b', re.IGNORECASE)


def tap_counts(stdout):
    """Return (passed, failed, skipped) from the top-level TAP lines of one test's stdout."""
    passed = failed = skipped = 0
    for line in (stdout or '').splitlines():
        m = TAP_TEST.match(line)   # indented lines are subtests or YAML: not counted
        if not m:
            continue
        ok = m.group(1) == 'ok'
        d = TAP_DIRECTIVE.search(m.group(2))
        directive = d.group(1).lower() if d else ''
        if directive.startswith('skip') and ok:
            skipped += 1
        elif directive == 'todo':
            # meson: "not ok # TODO" is an expected failure, "ok # TODO" an unexpected pass.
            if ok:
                failed += 1
            else:
                passed += 1
        elif ok:
            passed += 1
        else:
            failed += 1
    return passed, failed, skipped


def load_protocols(builddir):
    """Map test name -> list of (command, protocol) from meson's introspection file."""
    protocols = {}
    path = os.path.join(builddir, 'meson-info', 'intro-tests.json')
    try:
        with open(path, encoding='utf-8') as f:
            for t in json.load(f):
                protocols.setdefault(t['name'], []).append((t.get('cmd'), t.get('protocol')))
    except (OSError, ValueError):
        pass
    return protocols


def protocol_of(entry, protocols):
    """The protocol of one testlog entry; its name is 'test' or 'project:suite / test'."""
    name = entry.get('name', '')
    candidates = protocols.get(name)
    if candidates is None and ' / ' in name:
        candidates = protocols.get(name.split(' / ', 1)[1])
    if not candidates:
        return None
    for cmd, proto in candidates:
        if cmd == entry.get('command'):
            return proto
    return candidates[0][1]


def looks_like_tap(stdout):
    return any(TAP_TEST.match(l) or re.match(r'1\.\.\d+', l) for l in (stdout or '').splitlines())


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    arg = argv[1]
    if os.path.isdir(arg):
        builddir = arg
        log = os.path.join(arg, 'meson-logs', 'testlog.json')
    else:
        log = arg
        builddir = os.path.dirname(os.path.dirname(os.path.abspath(arg)))

    try:
        with open(log, encoding='utf-8', errors='replace') as f:
            entries = [json.loads(l) for l in f if l.strip()]
    except (OSError, ValueError) as e:
        print(f'summarize: cannot read the test log: {e}', file=sys.stderr)
        return 2

    protocols = load_protocols(builddir)
    passed = failed = skipped = 0
    failed_tests = []
    for entry in entries:
        result = entry.get('result', 'ERROR')
        stdout = entry.get('stdout', '')
        proto = protocol_of(entry, protocols)
        if proto is None:  # not in the introspection: judge by the output itself
            proto = 'tap' if looks_like_tap(stdout) else 'exitcode'
        if proto == 'tap':
            p, f, s = tap_counts(stdout)
            if p + f + s == 0:   # no case lines: count the test itself
                if result in PASS_RESULTS:
                    p = 1
                elif result in SKIP_RESULTS:
                    s = 1
            if f == 0 and result not in PASS_RESULTS | SKIP_RESULTS:
                f = 1
        else:
            p = int(result in PASS_RESULTS)
            s = int(result in SKIP_RESULTS)
            f = 1 - p - s
        if f:
            failed_tests.append(f"{entry.get('name', '?')} ({result})")
        passed += p
        failed += f
        skipped += s

    if failed_tests:
        print('failed: ' + '; '.join(failed_tests))
    if passed + failed + skipped == 0:
        print('summarize: no test case ran', file=sys.stderr)
    line = f'{passed} passed, {failed} failed'
    if skipped:
        line += f', {skipped} skipped'
    print(line, flush=True)
    return 0 if failed == 0 and passed + failed + skipped > 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
