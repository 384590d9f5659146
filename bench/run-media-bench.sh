#!/usr/bin/env bash
# run-media-bench.sh: a call's one-way mouth-to-ear delay (a click in, the time to the click
# out) and CPU per call-second with media, bellbird-cli beside baresip in the same run, on
# loopback only (127.0.0.1, UDP, G.711 PCMU over RTP), one measurement at a time.
#
#   bench/run-media-bench.sh
#
#   environment: BELL_BENCH_BUILDDIR (default _build-bench), MEDIA_PARTS ("delay cpu": either
#                or both), MEDIA_CALLS (10: calls at once in the CPU runs, at most 16, baresip's
#                limit of -e commands), MEDIA_SECONDS (10: the CPU window), MEDIA_ROUNDS (3: CPU
#                runs per peer, alternating), MEDIA_PATHS ("floor bellbird baresip": which
#                delay paths to measure; bellbird is measured with and without webrtcdsp),
#                MEDIA_KEEP (set: keep the files), MEDIA_CLI (a
#                bellbird-cli to use instead of building one)
#   needs: baresip (baresip-core), python3, ss; for the delay also pulseaudio, pulseaudio-utils
#          (parec, pacat, paplay, pactl), libasound2-plugins (ALSA's pulse plugin, for
#          baresip), gstreamer1.0-tools (gst-inspect-1.0) and GStreamer's pulse elements
#          (gstreamer1.0-pulseaudio); for a network namespace of its own (see the media
#          check below; without it the run goes on) unshare (util-linux) and ip (iproute2).
#
# Builds bellbird-cli in a release build of its own (-Dbench=true, --buildtype=release, the same
# build directory as the other benchmarks), then:
#
# 1. DELAY: mouth to ear, through a private PulseAudio server.
#
#   Why not WAV files: bellbird-cli's --audio-out FILE.wav writes the decoded stream as it
#   comes out of the jitter buffer (sync=false), starting at the first packet, so a sample's
#   place in the recording is its place in the stream, not the time it arrived: a click sent
#   at 1.73 s into the source is at 1.73 s into the recording whatever the delay (checked: an
#   echo call's recording holds every click at its source time to the sample). Nor does
#   --audio-in FILE.wav model a microphone: the file is read ahead and each 20 ms packet leaves
#   when its FIRST sample is due, so packetisation costs nothing. The same holds for baresip's
#   aufile source and sndfile dumps. A delay needs a clock on both ends, so this part plays and
#   records sound in real time instead:
#
#   the room: a PulseAudio server of our own (pulseaudio -n, a config in the temporary
#     directory, its socket there, nothing else loaded), with one null sink "room" (48 kHz,
#     stereo; a null sink renders on a timer, in real time). Its left channel is the mouth,
#     its right channel the ear: remap sinks "mouth" (-> left) and "ear" (-> right) and a remap
#     source "mic" (<- the left channel of room.monitor).
#   the phone under test calls an echo reflector and talks into "mic", listens on "ear":
#     bellbird: `bellbird-cli call sip:echo@127.0.0.1:R --audio-in pulse:mic --audio-out
#       pulse:ear` (GStreamer's pulsesrc/pulsesink with their default buffering, as Bellbird
#       builds them). With both ends real devices Bellbird puts webrtcdsp (echo cancelling,
#       noise suppression, gain control) in when it is installed (gstreamer1.0-plugins-bad):
#       it is measured so ("bellbird+webrtcdsp") and again without it ("bellbird": the same
#       binary with GStreamer's plugin path limited to the system plugins less
#       libgstwebrtcdsp.so, GST_PLUGIN_SYSTEM_PATH_1_0 and a registry of its own), since
#       baresip runs no echo canceller here;
#     baresip 1.0 (Debian has no pulse module for it): `audio_source alsa,bbmic` and
#       `audio_player alsa,bbear`, ALSA PCMs of type pulse (libasound2-plugins) on "mic" and
#       "ear" in the .asoundrc of a HOME of its own; its own defaults otherwise (adaptive
#       jitter buffer of 5-10 frames); `-e "/dial sip:echo@127.0.0.1:R"`.
#     The reflector, for both: `bellbird-cli listen --echo-service` on 127.0.0.1:R. It answers
#     sip:echo@ and sends every RTP packet back where it came from the moment it arrives: no
#     jitter buffer, no decoding, no audio. So the click goes mic -> the phone's capture,
#     encoder and packetiser -> loopback -> reflector -> loopback -> the phone's jitter
#     buffer, decoder and playback -> ear: exactly one mouth-to-ear path of a call between two
#     such phones (the sending half of one and the receiving half of the other), plus one extra
#     loopback hop and the reflector's turn-around (well under 1 ms). It is NOT halved: a
#     round trip would only count twice if the far end played the click out and picked it up
#     again. And the far end is the same for both phones, so the two figures compare the
#     phones' own media paths, devices included, each with the buffering it picks for them.
#   measured: parec records room.monitor (both channels of the same render of the same sink:
#     one timeline, to the sample); once the call is connected and a second has passed (for
#     adaptive jitter buffers to settle), paplay plays bench/media_bench.py's clicks.wav into
#     "mouth": 7 clicks (4 ms, 1500 Hz Hann-windowed bursts, inside the telephone band) at
#     irregular gaps of 0.83-1.16 s. media_bench.py finds each click's onset on the mouth
#     channel, then slides that click (7 ms of the mouth channel) along the ear channel over
#     the 0.78 s after it: the lag of the best normalised cross-correlation is the delay, and
#     the click counts as found when that correlation is >= 0.8 (a clean path gives >= 0.99;
#     silence, noise or a click cut short by a playback glitch stays below). A delay above
#     0.78 s would read as "not found". Shown: clicks played, found, median, min and max
#     delay (ms). Fewer than 4 of 7 found (seen with baresip: its playback through the ALSA
#     plugin can stall for seconds on a busy machine): a second try, both shown, the second
#     one's median used.
#   rig floor: the same recording with no phone, `parec -d mic | pacat -d ear` (8 kHz mono,
#     5 ms latency each): what the room, the null sink's render quantum and PulseAudio's
#     8/48 kHz resampling add by themselves (a few ms); it is included in every figure above
#     and not subtracted.
#   error bounds: the two channels share one clock, so no offset between clocks; the lag is
#     found to the sample (0.02 ms at 48 kHz) from the whole burst, so the ear's level (an
#     echo canceller or gain control may change it) does not move it; the mouth onset only
#     picks which 7 ms are the template, an error there shifts nothing; the reflector and the
#     extra hop add under 1 ms over a true one-way path; an adaptive jitter buffer
#     (baresip's) changes between clicks and between runs, hence min and max. The floor
#     bounds what the rig itself adds.
#     The device buffering is each phone's own (GStreamer's pulse elements for Bellbird,
#     ALSA's pulse plugin as baresip's alsa module drives it), so a figure is a phone's
#     mouth-to-ear on PulseAudio as it ships, not its RTP path alone: with a clean loopback
#     the network adds ~0, and what is left is packetisation, the jitter buffer and the
#     device buffers.
#
# 2. CPU per call-second with media: MEDIA_CALLS calls at once between an answering process and
#   its callers, media both ways for MEDIA_SECONDS, one peer at a time, MEDIA_ROUNDS rounds
#   alternating bellbird and baresip (the machine may be busy with other work for a moment).
#   Every end sends source.wav (8 kHz, a 440 Hz tone: G.711 costs the same whatever the
#   content) and receives, runs its jitter buffer, decodes and discards:
#     bellbird: `bellbird-cli listen --auto-answer --max-concurrent N --audio-in source.wav
#       --audio-out none` (one process, N calls) and N x `bellbird-cli call sip:bench@...
#       --audio-in source.wav --audio-out none` (bellbird-cli places one call per process);
#       `none` is a fakesink after the decoder;
#     baresip: two processes, `audio_source aufile,source.wav` and no audio player (it still
#       decodes every packet, then has nowhere to put it; `alsa,null` as a player is no use
#       here: ALSA's null device takes samples as fast as they come and baresip's player
#       thread spins at a whole core), call_max_calls N + 4, the answerer
#       `answermode=auto`, the caller N x `-e "/dial sip:bench@..."`.
#   measured: once all N calls are connected on both sides and a second has passed, the CPU of
#     the answering process, and of all the calling processes together, over the window: the
#     sum over their threads of /proc/PID/task/*/schedstat (ns on a CPU; utime+stime ticks
#     beside it as a cross-check); per call-second = CPU ms / (N x window s). The answering
#     side is the comparison: one process with N calls for both phones. The calling side is
#     shown too (N Bellbird processes against one baresip). "rtp" counts the calls that
#     received media at the answerer (Bellbird: quality events with packets received, every
#     ~5 s; baresip: "incoming rtp ... established").
#   media check: the whole script runs in a network namespace of its own with only lo
#     (`unshare -n`, re-executing itself; as root, or with user namespaces), so the UDP
#     counters of /proc/net/snmp count our datagrams only: over the window, datagrams sent
#     (out%) and received (in%) against N calls x 2 directions x 50 packets/s, and
#     receive-buffer drops. A round whose media stalled (a process starved of CPU by other
#     work on the machine: its sockets overflow, in% falls) spent less CPU for less media; a
#     round below 95 % in is left out of its peer's median when another round reached 95 %.
#     Without a namespace the counters are the machine's (shown so).
#
# Prints a table of each part, then as its last line:
#
#   media: bellbird one-way X ms, baresip Y ms; CPU per call-second bellbird A ms, baresip B
#   ms; ratio R
#
# with X and Y the median delays (X without webrtcdsp, like baresip; the figure with it is on
# the line before), A and B the answering side's CPU per call-second (median over the rounds)
# and R = A / B (below 1: Bellbird spends less CPU per call). About 2 minutes after the build
# (4 delay runs of ~10 s, 6 CPU runs of ~12 s); every process it starts is stopped by its pid.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/.." && pwd)
builddir=${BELL_BENCH_BUILDDIR:-$srcdir/_build-bench}
parts=${MEDIA_PARTS:-delay cpu}
calls=${MEDIA_CALLS:-10}
window=${MEDIA_SECONDS:-10}
rounds=${MEDIA_ROUNDS:-3}
settle=1

die () { echo "run-media-bench.sh: $*" >&2; exit 1; }
# shellcheck source=bench-lib.sh
. "$here/bench-lib.sh"
case $calls in ''|*[!0-9]*|0) die "MEDIA_CALLS must be a whole number above 0" ;; esac
[ "$calls" -le 16 ] || die "MEDIA_CALLS: at most 16 (baresip takes at most 16 -e commands)"
case $window in ''|*[!0-9]*|0) die "MEDIA_SECONDS must be a whole number above 0" ;; esac
case $rounds in ''|*[!0-9]*|0) die "MEDIA_ROUNDS must be a whole number above 0" ;; esac
do_delay=0 do_cpu=0
for p in $parts; do
  case $p in delay) do_delay=1 ;; cpu) do_cpu=1 ;; *) die "MEDIA_PARTS: unknown part $p" ;; esac
done
for tool in baresip python3 ss awk; do
  command -v "$tool" > /dev/null || die "$tool not found (packages baresip-core, python3, iproute2)"
done
modules=/usr/lib/baresip/modules
for m in account g711 aufile menu; do
  [ -f "$modules/$m.so" ] || die "no $modules/$m.so (package baresip-core)"
done
if [ "$do_delay" = 1 ]; then
  for tool in pulseaudio parec pacat paplay pactl gst-inspect-1.0; do
    command -v "$tool" > /dev/null ||
      die "$tool not found (packages pulseaudio pulseaudio-utils gstreamer1.0-tools; MEDIA_PARTS=cpu skips the delay)"
  done
  [ -f "$modules/alsa.so" ] || die "no $modules/alsa.so (package baresip-core)"
  compgen -G '/usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so' > /dev/null ||
    die "no ALSA pulse plugin (package libasound2-plugins; MEDIA_PARTS=cpu skips the delay)"
  gst-inspect-1.0 pulsesrc > /dev/null 2>&1 ||
    die "no GStreamer pulsesrc (package gstreamer1.0-pulseaudio; MEDIA_PARTS=cpu skips the delay)"
fi
case $here in *[[:space:]]*) die "run it from a path without spaces" ;; esac

# A network namespace of our own with only lo (needs root or user namespaces; unshare from
# util-linux), so that the UDP counters read below count our datagrams only and no other
# program's ports get in the way. Without one the counters are the machine's.
if [ -z "${MEDIA_NETNS:-}" ]; then
  if command -v unshare > /dev/null && command -v ip > /dev/null && unshare -n true 2> /dev/null; then
    exec unshare -n env MEDIA_NETNS=1 bash "$0" "$@"
  fi
  MEDIA_NETNS=0
fi
if [ "$MEDIA_NETNS" = 1 ]; then
  ip link set lo up || die "cannot bring lo up in the network namespace"
fi

tmp=$(mktemp -d)
cleanup () {
  kill_our_jobs   # phones, the reflector, parec/pacat/paplay, the PulseAudio server
  if [ -n "${MEDIA_KEEP:-}" ]; then
    echo "run-media-bench.sh: files kept in $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

# Build and fixtures ------------------------------------------------------------------------
if [ -n "${MEDIA_CLI:-}" ]; then
  [ -x "$MEDIA_CLI" ] || die "MEDIA_CLI: $MEDIA_CLI is not an executable"
  cli=$MEDIA_CLI
else
  bench_build "$builddir" "$srcdir" "$tmp" src/cli/bellbird-cli
  cli=$builddir/src/cli/bellbird-cli
fi
source_seconds=$((window + 60))
clicks_len=$(python3 "$here/media_bench.py" fixtures "$tmp" "$source_seconds")

# Helpers -----------------------------------------------------------------------------------
udp_listens () { [ -n "$(ss -Hnlu "sport = :$1" 2> /dev/null)" ]; }

count () {   # FILE PATTERN: lines matching (0 when none or no file)
  local n
  n=$(grep -c -- "$2" "$1" 2> /dev/null) || true
  echo "${n:-0}"
}

# Waits until FILE has at least N lines matching PATTERN and PID lives; 1 after SECONDS.
wait_lines () {   # FILE PATTERN N SECONDS PID
  local i
  for i in $(seq 1 $(($4 * 20))); do
    [ "$(count "$1" "$2")" -ge "$3" ] && return 0
    kill -0 "$5" 2> /dev/null || return 1
    sleep 0.05
  done
  return 1
}

# A bellbird-cli listening on 127.0.0.1:PORT, ready; sets bb_pid.
start_bellbird_listen () {   # OUTFILE PORT ARGS...
  local out=$1 port=$2
  shift 2
  # PCMU, as baresip is told (audio_codecs=PCMU): the same codec on both sides of the ratio.
  "$cli" --events --bind "127.0.0.1:$port" --codecs PCMU "$@" > "$out" 2> "$out.err" &
  bb_pid=$!
  wait_lines "$out" '"event":"listening","transport":"UDP"' 1 10 "$bb_pid" ||
    { tail -n 5 "$out" "$out.err" >&2; die "bellbird-cli does not listen on 127.0.0.1:$port"; }
  for _ in $(seq 1 100); do udp_listens "$port" && return 0; sleep 0.05; done
  die "bellbird-cli does not listen on 127.0.0.1:$port"
}

# A baresip config directory: DIR PORT SOURCE PLAYER (PLAYER "" for none) MAXCALLS.
baresip_config () {
  local d=$1 port=$2 src=$3 player=$4 max=$5
  mkdir -p "$d"
  {
    printf 'poll_method\t\tepoll\nsip_listen\t\t127.0.0.1:%s\nnet_interface\t\t127.0.0.1\n' "$port"
    printf 'sip_trans_def\t\tudp\ncall_max_calls\t\t%s\nmodule_path\t\t%s\n' "$max" "$modules"
    printf 'audio_source\t\t%s\n' "$src"
    if [ -n "$player" ]; then
      printf 'audio_player\t\t%s\naudio_alert\t\talsa,null\nmodule\t\t\talsa.so\n' "$player"
    fi
    printf 'module\t\t\tg711.so\nmodule\t\t\taufile.so\nmodule_app\t\taccount.so\nmodule_app\t\tmenu.so\n'
  } > "$d/config"
  : > "$d/contacts"
}

# The UDP counters: datagrams in, datagrams out, receive-buffer drops.
udp_counters () { awk '/^Udp:/ { x = $2 " " $5 " " $6 } END { print x }' /proc/net/snmp; }

ms_between () { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) / 1e6 }'; }

declare -A res

# 1. Delay ----------------------------------------------------------------------------------
delay_names=()
aec=0
if [ "$do_delay" = 1 ]; then
  pa=$tmp/pa
  mkdir -p "$pa"
  cat > "$pa/default.pa" <<EOF
load-module module-native-protocol-unix socket=$pa/native auth-anonymous=1
load-module module-null-sink sink_name=room channels=2 channel_map=front-left,front-right rate=48000
load-module module-remap-sink sink_name=mouth master=room channels=1 master_channel_map=front-left channel_map=mono remix=no
load-module module-remap-sink sink_name=ear master=room channels=1 master_channel_map=front-right channel_map=mono remix=no
load-module module-remap-source source_name=mic master=room.monitor channels=1 master_channel_map=front-left channel_map=mono remix=no
EOF
  HOME=$pa XDG_RUNTIME_DIR=$pa XDG_CONFIG_HOME=$pa \
    pulseaudio -n --daemonize=no --exit-idle-time=-1 --use-pid-file=no --system=no \
      --disable-shm=yes --realtime=no --high-priority=no -F "$pa/default.pa" \
      --log-target="file:$pa/pulseaudio.log" > "$pa/out" 2>&1 &
  pa_pid=$!
  export PULSE_SERVER=unix:$pa/native PULSE_COOKIE=$pa/cookie
  ok=0
  for _ in $(seq 1 100); do
    if pactl list short sources 2> /dev/null | grep -q '^[0-9]*[[:space:]]mic[[:space:]]'; then ok=1; break; fi
    kill -0 "$pa_pid" 2> /dev/null || break
    sleep 0.1
  done
  [ "$ok" = 1 ] || { tail -n 5 "$pa/out" "$pa/pulseaudio.log" >&2; die "the PulseAudio server did not start"; }

  # GStreamer without webrtcdsp: the system plugins less that one, a registry of our own.
  gst_noaec=()
  dsp=$(gst-inspect-1.0 webrtcdsp 2> /dev/null | sed -n 's/^ *Filename *//p')
  if [ -n "$dsp" ]; then
    aec=1
    mkdir -p "$tmp/gst-noaec"
    for f in "$(dirname "$dsp")"/*.so; do
      [ "$f" = "$dsp" ] || ln -s "$f" "$tmp/gst-noaec/"
    done
    gst_noaec=(env GST_PLUGIN_SYSTEM_PATH_1_0="$tmp/gst-noaec" GST_REGISTRY_1_0="$tmp/gst-noaec.bin")
    "${gst_noaec[@]}" gst-inspect-1.0 pulsesrc > /dev/null 2>&1 || die "GStreamer without webrtcdsp finds no pulsesrc"
  fi

  rport=$(free_port)
  start_bellbird_listen "$tmp/reflector.out" "$rport" --echo-service listen --max-concurrent 4 --duration 300
  refl_pid=$bb_pid

  bs=$tmp/baresip-delay
  baresip_config "$bs" "$(free_port)" alsa,bbmic alsa,bbear 4
  echo "<sip:bench@127.0.0.1>;regint=0;audio_codecs=PCMU" > "$bs/accounts"
  printf 'pcm.bbmic { type pulse device "mic" }\npcm.bbear { type pulse device "ear" }\n' > "$bs/.asoundrc"

  delay_run () {   # NAME TRY: sets res[NAME-TRY.*]
    local name=$1 key=$1-$2 rec phone parec_pid ready pat
    rec=$tmp/delay-$key.raw
    parec -d room.monitor --format=s16le --rate=48000 --channels=2 --raw --latency-msec=20 > "$rec" 2> "$rec.err" &
    rec_pid=$!
    sleep 0.3
    case $name in
      floor)
        rm -f "$tmp/floor.fifo"
        mkfifo "$tmp/floor.fifo"
        parec -d mic --format=s16le --rate=8000 --channels=1 --raw --latency-msec=5 > "$tmp/floor.fifo" 2> /dev/null &
        parec_pid=$!
        pacat -d ear --format=s16le --rate=8000 --channels=1 --raw --latency-msec=5 < "$tmp/floor.fifo" 2> /dev/null &
        phone=$!
        pat="" ;;
      bellbird|bellbird+webrtcdsp)
        local pre=()
        [ "$name" = bellbird+webrtcdsp ] || pre=("${gst_noaec[@]}")
        "${pre[@]}" "$cli" --events --bind 127.0.0.1:0 --codecs PCMU --audio-in pulse:mic --audio-out pulse:ear \
          --duration 60 call "sip:echo@127.0.0.1:$rport" > "$tmp/delay-$key.out" 2> "$tmp/delay-$key.err" &
        phone=$!
        pat='"state":"connected"' ;;
      baresip)
        HOME=$bs baresip -f "$bs" -e "/dial sip:echo@127.0.0.1:$rport" -t 60 \
          > "$tmp/delay-$key.out" 2> "$tmp/delay-$key.err" &
        phone=$!
        pat='Call established' ;;
    esac
    ready=1
    if [ -n "$pat" ]; then
      wait_lines "$tmp/delay-$key.out" "$pat" 1 10 "$phone" || ready=0
    fi
    if [ "$ready" = 1 ]; then
      sleep "$settle"
      paplay -d mouth "$tmp/clicks.wav"
      sleep 0.3
      stop_pid "$rec_pid" TERM
      # Then a steady tone, recorded apart, for the dropouts.
      parec -d room.monitor --format=s16le --rate=48000 --channels=2 --raw --latency-msec=20 \
        > "$rec.tone" 2> "$rec.err" &
      rec_pid=$!
      sleep 0.3
      paplay -d mouth "$tmp/tone.wav"
      sleep 0.3
    fi
    stop_pid "$phone" TERM
    [ "$name" != floor ] || stop_pid "$parec_pid" TERM
    stop_pid "$rec_pid" TERM
    if [ "$ready" = 1 ]; then
      read -r "res[$key.clicks]" "res[$key.found]" "res[$key.median]" "res[$key.min]" "res[$key.max]" \
        < <(python3 "$here/media_bench.py" delay "$rec")
      read -r "res[$key.tone]" "res[$key.gaps]" "res[$key.gap_ms]" \
        < <(python3 "$here/media_bench.py" gaps "$rec.tone")
      res[$key.why]=""
    else
      res[$key.clicks]=- res[$key.found]=0 res[$key.median]=- res[$key.min]=- res[$key.max]=-
      res[$key.tone]=- res[$key.gaps]=- res[$key.gap_ms]=-
      res[$key.why]="the call did not connect (see $tmp/delay-$key.err)"
    fi
    [ -n "${MEDIA_KEEP:-}" ] || rm -f "$rec" "$rec.tone"
    res[$key.path]=$name
    res[$key.try]=$2
    delay_names+=("$key")
  }

  delay_path () {   # NAME: a second try when fewer than 4 of the 7 clicks came out
    local try
    for try in 1 2; do
      delay_run "$1" "$try"
      if [ "${res[$1-$try.found]}" -ge 4 ]; then break; fi
    done
    res[$1.median]=${res[$1-$try.median]}
  }

  for p in ${MEDIA_PATHS:-floor bellbird baresip}; do
    case $p in
      floor|baresip) delay_path "$p" ;;
      bellbird) [ "$aec" = 0 ] || delay_path bellbird+webrtcdsp
                delay_path bellbird ;;
      *) die "MEDIA_PATHS: unknown path $p" ;;
    esac
  done
  stop_pid "$refl_pid" TERM
  stop_pid "$pa_pid" TERM
  unset PULSE_SERVER PULSE_COOKIE
fi

# 2. CPU per call-second --------------------------------------------------------------------
cpu_steps=()
cpu_run () {   # PEER ROUND
  local peer=$1 round=$2 name=$1-$2 d port i a0 a1 k0 k1 c0 c1 t0 t1 p rtp ok=1 pids=() bound
  d=$tmp/cpu-$name
  mkdir -p "$d"
  port=$(free_port)
  bound=$((window + 60))
  if [ "$peer" = bellbird ]; then
    start_bellbird_listen "$d/answer.out" "$port" listen --auto-answer --max-concurrent "$calls" \
      --audio-in "$tmp/source.wav" --audio-out none --duration "$bound"
    apid=$bb_pid
    for i in $(seq 1 "$calls"); do
      "$cli" --events --bind 127.0.0.1:0 --codecs PCMU --audio-in "$tmp/source.wav" --audio-out none \
        --duration "$bound" call "sip:bench@127.0.0.1:$port" > "$d/call$i.out" 2> "$d/call$i.err" &
      pids+=($!)
    done
    wait_lines "$d/answer.out" '"state":"connected"' "$calls" 15 "$apid" || ok=0
    for i in $(seq 1 "$calls"); do
      [ "$ok" = 1 ] || break
      wait_lines "$d/call$i.out" '"state":"connected"' 1 10 "${pids[$((i - 1))]}" || ok=0
    done
  else
    baresip_config "$d/answer" "$port" "aufile,$tmp/source.wav" "" $((calls + 4))
    echo "<sip:bench@127.0.0.1>;regint=0;answermode=auto;audio_codecs=PCMU" > "$d/answer/accounts"
    HOME=$d/answer baresip -f "$d/answer" -t "$bound" > "$d/answer.out" 2> "$d/answer.err" &
    apid=$!
    wait_lines "$d/answer.out" 'baresip is ready' 1 10 "$apid" || die "$name: baresip did not start"
    for _ in $(seq 1 100); do udp_listens "$port" && break; sleep 0.05; done
    baresip_config "$d/caller" "$(free_port)" "aufile,$tmp/source.wav" "" $((calls + 4))
    echo "<sip:bench@127.0.0.1>;regint=0;audio_codecs=PCMU" > "$d/caller/accounts"
    local dial=()
    for i in $(seq 1 "$calls"); do dial+=(-e "/dial sip:bench@127.0.0.1:$port"); done
    HOME=$d/caller baresip -f "$d/caller" "${dial[@]}" -t "$bound" > "$d/caller.out" 2> "$d/caller.err" &
    pids+=($!)
    wait_lines "$d/answer.out" 'Call established' "$calls" 15 "$apid" || ok=0
    [ "$ok" = 0 ] || wait_lines "$d/caller.out" 'Call established' "$calls" 10 "${pids[0]}" || ok=0
  fi
  [ "$ok" = 1 ] || { tail -n 5 "$d"/*.out >&2; die "$name: not all $calls calls connected"; }
  sleep "$settle"
  local in0 out0 drop0 in1 out1 drop1
  c0=0
  read -r in0 out0 drop0 < <(udp_counters)
  t0=$(date +%s%N); a0=$(cpu_ns "$apid"); k0=$(cpu_ticks "$apid")
  for p in "${pids[@]}"; do c0=$((c0 + $(cpu_ns "$p"))); done
  sleep "$window"
  c1=0
  t1=$(date +%s%N); a1=$(cpu_ns "$apid"); k1=$(cpu_ticks "$apid")
  read -r in1 out1 drop1 < <(udp_counters)
  for p in "${pids[@]}"; do
    kill -0 "$p" 2> /dev/null || die "$name: a calling process ended during the window (see $d)"
    c1=$((c1 + $(cpu_ns "$p")))
  done
  kill -0 "$apid" 2> /dev/null || die "$name: the answering process ended during the window (see $d)"
  for p in "${pids[@]}" "$apid"; do kill -TERM "$p" 2> /dev/null || true; done
  for p in "${pids[@]}" "$apid"; do stop_pid "$p" TERM; done
  if [ "$peer" = bellbird ]; then
    rtp=$(grep '"event":"quality"' "$d/answer.out" |
          sed -n 's/.*"id":\([0-9]*\),.*"received":\([0-9]*\).*/\1 \2/p' |
          awk '$2 > 0 { a[$1] = 1 } END { n = 0; for (k in a) n++; print n }')
  else
    rtp=$(count "$d/answer.out" "incoming rtp for 'audio' established")
  fi
  res[$name.peer]=$peer
  res[$name.round]=$round
  res[$name.rtp]=$rtp
  res[$name.wall]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
  # RTP both ways: 50 packets/s each way of each call (RTCP adds ~0.4 %).
  res[$name.in_pct]=$(awk -v d=$((in1 - in0)) -v n="$calls" -v w="${res[$name.wall]}" \
                       'BEGIN { printf "%.0f", d * 100 / (2 * n * 50 * w) }')
  res[$name.out_pct]=$(awk -v d=$((out1 - out0)) -v n="$calls" -v w="${res[$name.wall]}" \
                        'BEGIN { printf "%.0f", d * 100 / (2 * n * 50 * w) }')
  res[$name.drops]=$((drop1 - drop0))
  res[$name.ans_ms]=$(ms_between "$a0" "$a1")
  res[$name.ans_ticks]=$(( (k1 - k0) * 1000 / $(getconf CLK_TCK) ))
  res[$name.ans_per]=$(awk -v a="$a0" -v b="$a1" -v n="$calls" -v w="${res[$name.wall]}" \
                        'BEGIN { printf "%.2f", (b - a) / 1e6 / (n * w) }')
  res[$name.cal_ms]=$(ms_between "$c0" "$c1")
  res[$name.cal_procs]=${#pids[@]}
  res[$name.cal_per]=$(awk -v a="$c0" -v b="$c1" -v n="$calls" -v w="${res[$name.wall]}" \
                        'BEGIN { printf "%.2f", (b - a) / 1e6 / (n * w) }')
  cpu_steps+=("$name")
}

if [ "$do_cpu" = 1 ]; then
  for round in $(seq 1 "$rounds"); do
    cpu_run bellbird "$round"
    cpu_run baresip "$round"
  done
fi

# Report --------------------------------------------------------------------------------
median () { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "Media benchmark on loopback (127.0.0.1, UDP, PCMU, 20 ms packets), bellbird-cli beside"
echo "baresip $(dpkg-query -W -f '${Version}' baresip-core 2>/dev/null || echo '?'), $(nproc) CPUs, $(uname -m), load average at start $(cut -d' ' -f1 /proc/loadavg); one measurement at a time."
if [ "$do_delay" = 1 ]; then
  echo
  echo "Mouth-to-ear delay: clicks played into a PulseAudio null sink's left channel, the phone's"
  echo "microphone; the phone calls an echo reflector (bellbird-cli listen --echo-service, RTP sent"
  echo "back as it arrives) and plays what comes back into the right channel; both channels recorded"
  echo "together (48 kHz). $(printf '%.1f' "$clicks_len") s of clicks, 7 of them, after the call is up + ${settle} s."
  printf '%-20s %3s %6s %6s %10s %7s %7s %7s %8s  %s\n' path try clicks found 'median ms' 'min ms' 'max ms' \
    'tone s' dropouts note
  for key in "${delay_names[@]}"; do
    nm=${res[$key.path]}
    case $nm in
      floor) note="rig floor, no phone: parec -d mic | pacat -d ear (8 kHz, 5 ms latency)" ;;
      bellbird+webrtcdsp) note="as installed: webrtcdsp between microphone and speaker" ;;
      bellbird) note=$([ "$aec" = 1 ] && echo "GStreamer without webrtcdsp (no echo canceller, as baresip)" || echo "webrtcdsp not installed") ;;
      baresip) note="alsa module through ALSA's pulse plugin, its default jitter buffer" ;;
    esac
    [ -z "${res[$key.why]}" ] || note="${res[$key.why]}"
    printf '%-20s %3s %6s %6s %10s %7s %7s %7s %8s  %s\n' "$nm" "${res[$key.try]}" "${res[$key.clicks]}" \
      "${res[$key.found]}" "${res[$key.median]}" "${res[$key.min]}" "${res[$key.max]}" \
      "${res[$key.tone]}" "${res[$key.gaps]}" "$note"
  done
  echo "found: clicks that came out on the ear within 0.78 s with their shape (normalised cross-"
  echo "correlation >= 0.8 with the click as played); fewer than 4 of 7: a second try, both shown."
  echo "dropouts: then a steady 700 Hz tone through the same path; 5 ms windows of the tone that came"
  echo "back at under half the median level (holes or clicks a listener hears), out of 'tone s'."
fi
if [ "$do_cpu" = 1 ]; then
  echo
  echo "CPU per call-second: $calls calls at once, media both ways (source.wav in, decoded and"
  echo "discarded), a ${window} s window once all are up; schedstat of the processes' threads."
  printf '%-9s %5s %5s %4s %7s %5s %5s %5s %9s %8s %10s %10s %6s %10s\n' peer round calls rtp 'wall s' \
    out% in% drops 'answer ms' '(ticks)' 'ms/call-s' 'callers ms' procs 'ms/call-s'
  for nm in "${cpu_steps[@]}"; do
    printf '%-9s %5s %5s %4s %7s %5s %5s %5s %9s %8s %10s %10s %6s %10s\n' "${res[$nm.peer]}" "${res[$nm.round]}" \
      "$calls" "${res[$nm.rtp]}" "${res[$nm.wall]}" "${res[$nm.out_pct]}" "${res[$nm.in_pct]}" \
      "${res[$nm.drops]}" "${res[$nm.ans_ms]}" "${res[$nm.ans_ticks]}" \
      "${res[$nm.ans_per]}" "${res[$nm.cal_ms]}" "${res[$nm.cal_procs]}" "${res[$nm.cal_per]}"
  done
  echo "rtp: calls that received media at the answerer. out%/in%: UDP datagrams sent/received in the"
  echo "window against $calls x 2 x 50 packets/s ($([ "$MEDIA_NETNS" = 1 ] && echo "a network namespace of its own: ours only" || echo "the machine's counters: other programs' too")); drops: receive-buffer"
  echo "drops. A round below 95 % in means media stalled: its CPU is not a call's, and it is left out of"
  echo "the medians when a round of that peer reached 95 %. answer: the answering process (one, $calls"
  echo "calls, for both peers); callers: all calling processes (bellbird-cli: one a call; baresip: one)."
  echo "ms/call-s = CPU ms / (calls x wall s)."
fi

x=- y=- a=- b=- r=-
if [ "$do_delay" = 1 ]; then
  x=${res[bellbird.median]:--} y=${res[baresip.median]:--}
fi
if [ "$do_cpu" = 1 ]; then
  per_peer () {   # PEER: its answering side's ms/call-s of the rounds whose media flowed (all
                  # rounds when none did)
    local nm full=0
    for nm in "${cpu_steps[@]}"; do
      [ "${res[$nm.peer]}" != "$1" ] || [ "${res[$nm.in_pct]}" -lt 95 ] || full=1
    done
    for nm in "${cpu_steps[@]}"; do
      if [ "${res[$nm.peer]}" = "$1" ] && { [ "$full" = 0 ] || [ "${res[$nm.in_pct]}" -ge 95 ]; }; then
        printf '%s ' "${res[$nm.ans_per]}"
      fi
    done
  }
  a=$(per_peer bellbird | median)
  b=$(per_peer baresip | median)
  r=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "-" }')
fi
echo
if [ "$do_delay" = 1 ] && [ "$aec" = 1 ]; then
  echo "Bellbird as installed (webrtcdsp in the path): ${res[bellbird+webrtcdsp.median]:--} ms one-way; rig floor ${res[floor.median]:--} ms (in every figure)."
elif [ "$do_delay" = 1 ]; then
  echo "Rig floor ${res[floor.median]:--} ms (in every figure)."
fi
echo "media: bellbird one-way $x ms, baresip $y ms; CPU per call-second bellbird $a ms, baresip $b ms; ratio $r"
