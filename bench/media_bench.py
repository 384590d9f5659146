#!/usr/bin/env python3
"""media_bench.py: fixtures and analysis for run-media-bench.sh (Python 3 standard library).

  media_bench.py fixtures DIR SOURCE_SECONDS
      DIR/clicks.wav: 48 kHz mono, silence with short clicks at irregular times (CLICKS, in
      seconds from the file's start): each click a Hann-windowed 1500 Hz burst of 4 ms (six
      cycles, 0.6 of full scale), inside the telephone band, so that G.711 and the 48/8 kHz
      resamplers on the way pass it with its shape intact (an impulse or a full-band click
      would be cut down by the 8 kHz resampler's low-pass and smeared in time);
      DIR/source.wav: 8 kHz mono, SOURCE_SECONDS of a 440 Hz tone at 0.3 of full scale, what
      every phone sends in the CPU runs (G.711's cost does not depend on the content).
      DIR/tone.wav: 48 kHz mono, TONE_SECONDS of a 700 Hz tone at 0.3 of full scale, for the
      dropout count.
      Prints the length of clicks.wav in seconds.

  media_bench.py delay ROOM.raw
      ROOM.raw: what parec recorded of the room sink's monitor, s16le, 48 kHz, 2 channels:
      left = the mouth (the clicks as played), right = the ear (what the phone played back).
      Finds each click's onset on the mouth channel, then where that click comes out on the
      ear channel within MATCH_WINDOW after it; prints one line:
          CLICKS FOUND MEDIAN_MS MIN_MS MAX_MS
      (the delays of the clicks found; "-" for the figures when none was found).

  media_bench.py gaps ROOM.raw
      ROOM.raw as above, recorded while tone.wav played into the mouth. On the ear channel,
      the stretch where the tone came back (from the first to the last 5 ms window above a
      quarter of the loudest one), less 100 ms at each end, is cut into 5 ms windows; a
      window whose RMS is under half the median window's is a dropout (a glitch a listener
      hears as a click or a hole). Prints one line:
          SECONDS_OF_TONE DROPOUT_WINDOWS DROPOUT_MS

Onset of a click on the mouth channel (clean: what paplay played): the first sample whose
magnitude passes a quarter of the channel's peak (at least 1000) starts a candidate; the
onset is the first sample from 2 ms before to 6 ms after it that reaches half of that click's
own peak. Where it comes out: the mouth's 7 ms from 1 ms before the onset, as a template, is
slid along the ear channel over the window (every 6th sample first, then every sample around
the best place) and the lag with the highest normalised cross-correlation is the click's
delay, to the sample (0.02 ms); it counts as found when that correlation is at least
MATCH_MIN (a clean path, G.711 and the resamplers included, gives 0.99 and more; a stretch of
silence, noise or a fragment of a click cut short by a playback glitch stays well below).
Using the whole burst, not a threshold on the ear side, makes the figure independent of the
level the phone plays at (an echo canceller or gain control may change it).
"""

import array
import math
import sys
import wave

RATE = 48000
CLICKS = (1.00, 1.83, 2.91, 3.76, 4.88, 5.79, 6.95)   # s; gaps 0.83-1.16 s, all different
CLICK_MS = 4.0
CLICK_HZ = 1500.0
TAIL = 1.0                                            # silence after the last click, s
MATCH_WINDOW = 0.78                                   # s: below the smallest gap
MATCH_MIN = 0.8                                       # normalised correlation for a match
TONE_SECONDS = 4.0
GAP_WINDOW = 0.005                                    # s


def write_wav(path, rate, samples):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(array.array("h", samples).tobytes())


def fixtures(outdir, source_seconds):
    n = int((CLICKS[-1] + TAIL) * RATE)
    s = [0] * n
    width = int(CLICK_MS / 1000 * RATE)
    for t in CLICKS:
        start = int(round(t * RATE))
        for k in range(width):
            win = 0.5 - 0.5 * math.cos(2 * math.pi * k / (width - 1))
            s[start + k] = int(0.6 * 32767 * win * math.sin(2 * math.pi * CLICK_HZ * k / RATE))
    write_wav(outdir + "/clicks.wav", RATE, s)
    rate = 8000
    tone = [int(0.3 * 32767 * math.sin(2 * math.pi * 440 * i / rate))
            for i in range(int(source_seconds * rate))]
    write_wav(outdir + "/source.wav", rate, tone)
    write_wav(outdir + "/tone.wav", RATE,
              [int(0.3 * 32767 * math.sin(2 * math.pi * 700 * i / RATE))
               for i in range(int(TONE_SECONDS * RATE))])
    print("%.2f" % (n / RATE))


def onsets(x):
    """Onsets (s) of the clicks in x (the mouth channel)."""
    peak = max((abs(v) for v in x), default=0)
    thr = max(peak // 4, 1000)
    out = []
    i, n = 0, len(x)
    before, after = int(0.002 * RATE), int(0.006 * RATE)
    while i < n:
        if abs(x[i]) < thr:
            i += 1
            continue
        lo, hi = max(0, i - before), min(n, i + after)
        local = max(abs(v) for v in x[lo:hi])
        j = next(k for k in range(lo, hi) if 2 * abs(x[k]) >= local)
        out.append(j / RATE)
        i = j + int(0.3 * RATE)    # one onset per click (a click and its ringing: < 20 ms)
    return out


def best_match(t, x, lo, hi, step):
    """The lag in [lo, hi) (indices into x, every step-th sample of both) where x matches
    the template t best: (normalised cross-correlation, lag)."""
    tt = t[::step]
    n = len(tt)
    tnorm = math.sqrt(sum(v * v for v in tt)) or 1.0
    best = (-2.0, lo)
    for lag in range(max(lo, 0), min(hi, len(x) - n * step), step):
        seg = x[lag:lag + n * step:step]
        e = math.sqrt(sum(v * v for v in seg))
        if e == 0:
            continue
        c = sum(a * b for a, b in zip(tt, seg)) / (tnorm * e)
        if c > best[0]:
            best = (c, lag)
    return best


def read_room(path):
    a = array.array("h")
    with open(path, "rb") as f:
        data = f.read()
    a.frombytes(data[: len(data) // 4 * 4])
    if sys.byteorder != "little":
        a.byteswap()
    return a[0::2], a[1::2]


def gaps(path):
    _, ear = read_room(path)
    w = int(GAP_WINDOW * RATE)
    rms = [math.sqrt(sum(v * v for v in ear[i:i + w]) / w) for i in range(0, len(ear) - w, w)]
    loud = max(rms, default=0)
    on = [k for k, r in enumerate(rms) if r > loud / 4] if loud > 0 else []
    if not on:
        print("0 - -")
        return
    edge = int(0.1 / GAP_WINDOW)
    steady = rms[on[0] + edge: on[-1] - edge]
    if not steady:
        print("0 - -")
        return
    mid = sorted(steady)[len(steady) // 2]
    low = sum(1 for r in steady if r < mid / 2)
    print("%.2f %d %.0f" % (len(steady) * GAP_WINDOW, low, low * GAP_WINDOW * 1000))


def delay(path):
    mouth, ear = read_room(path)
    found = []
    clicks = onsets(mouth)
    for m in clicks:
        i = int(round(m * RATE))
        t = mouth[max(0, i - RATE // 1000): i + int(0.006 * RATE)]
        # Coarse (every 6th sample, 8 kHz) over the whole window, then every sample around it.
        _, lag = best_match(t, ear, i, i + int(MATCH_WINDOW * RATE), 6)
        c, lag = best_match(t, ear, lag - 12, lag + 13, 1)
        if c >= MATCH_MIN:
            found.append((lag - max(0, i - RATE // 1000)) * 1000 / RATE)
    if not found:
        print("%d 0 - - -" % len(clicks))
        return
    found.sort()
    k = len(found)
    median = found[k // 2] if k % 2 else (found[k // 2 - 1] + found[k // 2]) / 2
    print("%d %d %.1f %.1f %.1f" % (len(clicks), k, median, found[0], found[-1]))


def main(argv):
    if len(argv) == 4 and argv[1] == "fixtures":
        fixtures(argv[2], float(argv[3]))
    elif len(argv) == 3 and argv[1] == "delay":
        delay(argv[2])
    elif len(argv) == 3 and argv[1] == "gaps":
        gaps(argv[2])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
