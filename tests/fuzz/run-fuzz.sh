#!/usr/bin/env bash
# run-fuzz.sh: build the libFuzzer harnesses (clang, ASan+UBSan) and run one of them.
#
#   tests/fuzz/run-fuzz.sh msg|uri|frame|sdp|negotiate|rtp|stun [libFuzzer options...]
#                                                                  fuzz (default 60 s)
#   tests/fuzz/run-fuzz.sh msg -runs=200000                        a number of runs
#   tests/fuzz/run-fuzz.sh msg -max_total_time=600 -jobs=2         longer, two processes
#   tests/fuzz/run-fuzz.sh msg tests/fuzz/crashes/msg-crash-...    reproduce one input
#   BELL_FUZZ_BUILD_ONLY=1 tests/fuzz/run-fuzz.sh msg                build it, run nothing
#
# Builds in its own directory (_build-fuzz, or $BELL_FUZZ_BUILDDIR). Seeds come from the
# third-party corpus ($BELL_CORPUS_DIR, default ../shared/corpus next to the source tree), from
# tests/data/*.sip and from tests/fuzz/corpus/<harness>/ if present; they are copied at run time
# into a working directory inside the build directory, never into the repository. What the
# fuzzer learns is kept there too (<builddir>/fuzz-work/<harness>/corpus) for the next run.
# Crashing inputs land in tests/fuzz/crashes/<harness>-crash-<sha1> (and leak-, timeout-,
# oom-): turn each into a regression file.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
builddir=${BELL_FUZZ_BUILDDIR:-$srcdir/_build-fuzz}
corpus=${BELL_CORPUS_DIR:-$srcdir/../shared/corpus}

usage() {
  sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

[ $# -ge 1 ] || usage
harness=$1
shift
case $harness in
  msg|uri|frame) target=fuzz-sip-$harness ;;
  sdp) target=fuzz-sdp ;;
  negotiate) target=fuzz-sdp-negotiate ;;
  rtp) target=fuzz-rtp ;;
  stun) target=fuzz-stun ;;
  -h|--help) usage ;;
  *) echo "run-fuzz.sh: unknown harness '$harness' (msg, uri, frame, sdp, negotiate, rtp, stun)" >&2; exit 2 ;;
esac
exe=$builddir/tests/fuzz/$target

command -v clang >/dev/null || { echo "run-fuzz.sh: clang is needed (apt-get install clang)" >&2; exit 1; }

# --- build ------------------------------------------------------------------------------------
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -f "$builddir/build.ninja" ]; then
  # A setup that failed half-way leaves a directory meson will not reuse.
  [ ! -d "$builddir/meson-private" ] || rm -rf "$builddir"
  if ! CC=clang meson setup "$builddir" "$srcdir" \
      -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
      -Dgui=disabled -Dcorpus_dir="$corpus" --buildtype=debugoptimized > "$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "run-fuzz.sh: meson setup failed" >&2
    exit 1
  fi
fi
if ! ninja -C "$builddir" "tests/fuzz/$target" > "$log" 2>&1; then
  grep -E -A5 'error|FAILED' "$log" | head -n 40 >&2
  echo "run-fuzz.sh: build failed" >&2
  exit 1
fi
# run-long.sh builds every harness first, so that two runs at once never share a ninja.
[ -z "${BELL_FUZZ_BUILD_ONLY:-}" ] || exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
export G_SLICE=always-malloc
export G_DEBUG=fatal-criticals

# --- reproduce mode: a file argument is replayed, not fuzzed ----------------------------------
for arg in "$@"; do
  if [ -f "$arg" ]; then
    rm -f "$log"
    exec "$exe" "$@"
  fi
done

# --- working directory with seeds and dictionary ----------------------------------------------
work=${BELL_FUZZ_WORKDIR:-$builddir/fuzz-work/$harness}
seeds=$work/seeds
rm -rf "$seeds"
mkdir -p "$seeds" "$work/corpus" "$here/crashes"

copy_seeds() {  # copy_seeds PREFIX FILE...
  local prefix=$1 f
  shift
  for f in "$@"; do
    if [ -f "$f" ]; then cp "$f" "$seeds/$prefix-$(basename "$f")"; fi
  done
}

# hexfile FILE HEX: writes the bytes HEX spells.
hexfile() {
  printf '%b' "$(printf '%s' "$2" | sed 's/../\\x&/g')" > "$1"
}

# frame CTL AUX HEX: one packet in fuzz-rtp.c's framing, as hex.
frame() {
  printf '%02x%02x%04x%s' "$1" "$2" $(( ${#3} / 2 )) "$3"
}

# pcap_payloads FILE: the UDP payloads of a little-endian Ethernet/IPv4 pcap, one hex line each.
pcap_payloads() {
  od -An -v -tx1 "$1" | awk '
    function hx(s,   i, v) {
      v = 0
      for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
      return v
    }
    { for (i = 1; i <= NF; i++) b[n++] = $i }
    END {
      if (b[0] b[1] b[2] b[3] != "d4c3b2a1" || hx(b[20]) != 1) exit
      off = 24
      while (off + 16 <= n) {
        incl = hx(b[off + 11] b[off + 10] b[off + 9] b[off + 8]); p = off + 16; off = p + incl
        if (b[p + 12] b[p + 13] != "0800" || b[p + 23] != "11") continue
        udp = p + 14 + hx(b[p + 14]) % 16 * 4; len = hx(b[udp + 4] b[udp + 5]) - 8; s = ""
        for (i = udp + 8; i < udp + 8 + len && i < off; i++) s = s b[i]
        print s
      }
    }'
}

pj=$corpus/fuzz-seeds/pjproject
if [ ! -d "$corpus" ]; then
  echo "run-fuzz.sh: no third-party corpus at $corpus; seeding from tests/ only" >&2
fi
shopt -s nullglob
msg_files=("$corpus"/rfc4475/*.dat "$corpus"/rfc4475/variants/*.dat "$corpus"/rfc5118/wire/*.dat
           "$pj"/sip/* "$pj"/sip-dialog/*.sip "$srcdir"/tests/data/*.sip)
case $harness in
  msg|frame)
    copy_seeds rfc4475 "$corpus"/rfc4475/*.dat "$corpus"/rfc4475/variants/*.dat
    copy_seeds rfc5118 "$corpus"/rfc5118/wire/*.dat
    copy_seeds pj-sip "$pj"/sip/*
    copy_seeds pj-dialog "$pj"/sip-dialog/*.sip
    copy_seeds data "$srcdir"/tests/data/*.sip
    if [ "$harness" = frame ]; then
      # Streams of several messages, with keep-alive CRLFs between them.
      i=0
      for f in "${msg_files[@]}"; do
        g=${msg_files[$(( (i * 7 + 3) % ${#msg_files[@]} ))]}
        { printf '\r\n\r\n'; cat "$f"; printf '\r\n'; cat "$g"; } > "$seeds/stream-$i"
        i=$((i + 1))
        [ $i -lt 24 ] || break
      done
    fi
    ;;
  uri)
    copy_seeds pj-uri "$pj"/uri/*
    i=0
    {
      if [ -f "$pj/sip-dialog/simple_uris.txt" ]; then
        tr -d '\r' < "$pj/sip-dialog/simple_uris.txt"
      fi
      # Request-URIs and <...> addresses of the message seeds.
      for f in "${msg_files[@]}"; do
        head -n 1 "$f" | tr -d '\r' | awk 'NF == 3 && $3 ~ /^SIP\// { print $2 }'
        grep -ao '<[^<>]*>' "$f" | tr -d '<>' | head -n 8 || true
      done
    } | sort -u | head -n 400 | while IFS= read -r line; do
      [ -n "$line" ] || continue
      printf '%s' "$line" > "$seeds/uri-$i"
      i=$((i + 1))
    done
    ;;
  sdp|negotiate)
    copy_seeds transform "$corpus"/sdp/sdp-transform/*.sdp
    copy_seeds janus "$corpus"/fuzz-seeds/janus-sdp_fuzzer/2webrtc/*
    copy_seeds pj-sdp "$pj"/sdp/*
    copy_seeds pj-sdes "$pj"/sdes/*
    i=0
    for f in "$corpus"/sdp-offer-answer/pjmedia-sdp_neg_test/*/*.sdp; do
      cp "$f" "$seeds/pjmedia-$i.sdp"
      i=$((i + 1))
    done
    # pjproject's SDES seeds have no c= line, which we refuse: a copy with one reaches a=crypto.
    for f in "$pj"/sdes/*; do
      sed 's/^t=0 0/c=IN IP4 127.0.0.1\r\nt=0 0/' "$f" > "$seeds/pj-sdes-c-$(basename "$f")"
    done
    ;;
  rtp)
    # RTP as sent on the wire: the RFC 4733 events and G.711 audio of SIPp's pcaps, each packet
    # alone (the harness takes the whole input as one packet too) and as calls in the harness's
    # framing (fuzz-rtp.c: call config, event payload type, then [ctl aux length] packets).
    pcaps=("$corpus"/rfc4733-dtmf/pcap/*.pcap)
    g711=()
    if [ -f "$corpus/sipp/builtin/pcap/g711a.pcap" ]; then
      g711=("$corpus/sipp/builtin/pcap/g711a.pcap")
    fi
    configs=(80 91 a2 b3 c4 d6 e8 f9 8a 9b ac 8e 9f 84)   # suites, keys, mux, clocks vary
    i=0
    for f in "${pcaps[@]}" "${g711[@]}"; do
      name=$(basename "$f" .pcap)
      stream=${configs[$((i % ${#configs[@]}))]}65
      n=0
      while read -r hex; do
        n=$((n + 1))
        if [ "$name" != g711a ] || [ $n -le 12 ] || [ $((n % 40)) -eq 0 ]; then
          hexfile "$seeds/pkt-$name-$n" "$hex"
        fi
        # 20 ms apart; a report of ours after the fourth.
        if [ $n -le 24 ]; then stream+=$(frame $(( n == 4 ? 0x58 : 0x50 )) 0 "$hex"); fi
      done < <(pcap_payloads "$f")
      hexfile "$seeds/call-$name" "$stream"
      i=$((i + 1))
    done

    # RTCP from the peer (SSRC 0e05384e, as in the pcaps) about our SSRC (5eed0001).
    peer=0e05384e
    sdes=81ca0003${peer}0104706565720000
    sr=81c8000c${peer}e8f1a2b300010000000006400000001400000c80
    sr+=5eed00010100000300001096000000100000000000000000
    hexfile "$seeds/rtcp-sr-sdes" "$sr$sdes"
    hexfile "$seeds/rtcp-rr-sdes-bye" \
      "81c90007${peer}5eed0001020000050000109a000000200000000000000000${sdes}81cb0001${peer}"
    hexfile "$seeds/rtcp-rr-app-padded" \
      "80c90001${peer}80cc0002${peer}6e616d65a0cc0003${peer}0000000000000004"
    # Calls: events, the peer's SR, our SR, the peer's RR echoing ours 20 ms later (LSR: the
    # middle 32 bits of our NTP time, 1700000000 s past 1970 plus the 80 ms the call has run;
    # DLSR 4 ms), so a round trip of 16 ms shows, then the peer's BYE. Under each suite and key
    # kind, muxed or not.
    dtmf=()
    if [ ${#pcaps[@]} -gt 0 ]; then
      while read -r hex; do dtmf+=("$hex"); done < <(pcap_payloads "${pcaps[0]}")
    fi
    if [ ${#dtmf[@]} -ge 4 ]; then
      ntp_sec=$(( (1700000000 + 2208988800) & 0xffff ))
      lsr=$(printf '%08x' $(( ntp_sec << 16 | ((80000 << 32) / 1000000) >> 16 )))
      rr=81c90007${peer}5eed0001000000000000109a00000010${lsr}00000106
      for cfg in 80 81 82 83 84 89 8e 8f 91 a2 c3 d0; do
        stream=${cfg}65
        for hex in "${dtmf[@]:0:3}"; do stream+=$(frame 0x50 0 "$hex"); done
        stream+=$(frame 0x01 0 "$sr$sdes")   # the peer's SR: our next report echoes it
        stream+=$(frame 0x48 0 "${dtmf[3]}")$(frame 0x51 0 "$rr$sdes")
        for hex in "${dtmf[@]:4}"; do stream+=$(frame 0x50 0 "$hex"); done
        stream+=$(frame 0x51 0 "80c90001${peer}${sdes}81cb0001${peer}")
        hexfile "$seeds/call-rtt-$cfg" "$stream"
      done
    fi
    # Audio whose sequence numbers wrap, with a report after the wrap.
    if [ ${#g711[@]} -gt 0 ]; then
      stream=8065
      k=0
      while read -r hex; do
        seq=$(printf '%04x' $(( (0xfffc + k) & 0xffff )))
        stream+=$(frame $(( k == 7 ? 0x58 : 0x50 )) 0 "${hex:0:4}$seq${hex:8}")
        k=$((k + 1))
        [ $k -lt 8 ] || break
      done < <(pcap_payloads "${g711[0]}")
      hexfile "$seeds/call-seq-wrap" "$stream"
    fi
    # RTP with CSRCs, a header extension (RFC 8285) and padding, carrying events.
    ext=92e52f3a000044e0${peer}1111111122222222bede0001102a0000050a00a0
    pad=a0e52f3b000044e0${peer}050a014000000004
    hexfile "$seeds/pkt-csrc-ext" "$ext"
    hexfile "$seeds/pkt-padding" "$pad"
    hexfile "$seeds/call-csrc-ext-pad" \
      "9065$(frame 0x50 0 "$ext")$(frame 0x50 0 "$pad")$(frame 0x5f 0x40 "$ext")"
    ;;
esac
shopt -u nullglob
for f in "$here"/corpus/"$harness"/*; do
  if [ -f "$f" ]; then cp "$f" "$seeds/local-$(basename "$f")"; fi
done

dict=$work/$harness.dict
if [ "$harness" = sdp ] || [ "$harness" = negotiate ]; then
  cat > "$dict" <<'EOF'
"\x0d\x0a"
"\x0a"
"v=0"
"o=- 1 1 IN IP4 192.0.2.1"
"s=-"
"c=IN IP4 "
"c=IN IP6 "
"IN IP4 "
"IN IP6 "
"t=0 0"
"r="
"z="
"k="
"b=AS:"
"i="
"u="
"e="
"p="
"m=audio "
"m=video "
"m=application "
" RTP/AVP "
" RTP/SAVP "
" UDP/TLS/RTP/SAVPF "
"a=rtpmap:"
"a=fmtp:"
"a=ptime:"
"a=maxptime:"
"a=sendrecv"
"a=sendonly"
"a=recvonly"
"a=inactive"
"a=rtcp:"
"a=rtcp-mux"
"a=rtcp-fb:"
"a=crypto:"
" AES_CM_128_HMAC_SHA1_80 "
"inline:"
"|2^20"
"|1:4"
";inline:"
"a=mid:"
"a=label:"
" PCMU/8000"
" opus/48000/2"
" telephone-event/8000"
"0.0.0.0"
"224.2.1.1/127/3"
"2001:db8::1"
"ff15::101/3"
"/"
":"
" "
"65535"
"65536"
"127"
"128"
"18446744073709551616"
EOF
elif [ "$harness" = stun ]; then
  # STUN (RFC 8489): the magic cookie, message types, attribute headers (type and length) of
  # those the parser knows, address families, an ERROR-CODE class/number, FINGERPRINT's XOR.
  # Seeds: RFC 5769's samples and built messages in tests/fuzz/corpus/stun.
  cat > "$dict" <<'EOF'
"\x21\x12\xa4\x42"
"\x00\x01"
"\x01\x01"
"\x01\x11"
"\x00\x11"
"\x00\x01\x00\x08"
"\x00\x20\x00\x08"
"\x00\x20\x00\x14"
"\x00\x01\x00\x14"
"\x00\x09\x00\x04"
"\x00\x08\x00\x14"
"\x00\x1c\x00\x20"
"\x80\x22\x00\x08"
"\x80\x28\x00\x04"
"\x00\x0a\x00\x02"
"\x00\x24\x00\x04"
"\x00\x01\xa1\x47"
"\x00\x02\xa1\x47"
"\x00\x00\x04\x14"
"\x53\x54\x55\x4e"
EOF
elif [ "$harness" = rtp ]; then
  # RTCP headers (SR, RR, SDES, BYE, APP, RTPFB, PSFB, XR), our SSRC and the seeds' peer's,
  # RTP first bytes (extension, padding, CSRCs; payload type 101 with and without marker),
  # extension profiles, telephone-event blocks, and packet frames of the harness.
  cat > "$dict" <<'EOF'
"\x80\xc8"
"\x81\xc8"
"\x81\xc9"
"\x81\xca"
"\x81\xcb"
"\x80\xcc"
"\xa0\xc9"
"\x81\xcd"
"\x81\xce"
"\x80\xcf"
"\x5e\xed\x00\x01"
"\x0e\x05\x38\x4e"
"\x80\x65"
"\x80\xe5"
"\x90\x65"
"\xa0\x65"
"\x8f\x65"
"\xbe\xde"
"\x10\x00"
"\x00\x00"
"\xff\xff"
"\x0a\x01\x40"
"\x8a\x08\xc0"
"\x50\x00\x00\x10"
"\x51\x00\x00\x20"
"\x58\x00\x00\x10"
"\x5e\x00\x00\x10"
EOF
else
  cat > "$dict" <<'EOF'
"\x0d\x0a"
"\x0d\x0a\x0d\x0a"
"\x0d\x0a "
"\x0d\x0a\x09"
" SIP/2.0\x0d\x0a"
"SIP/2.0 200 OK\x0d\x0a"
"SIP/2.0/UDP "
"SIP/2.0/TCP "
"SIP/2.0/TLS "
"INVITE"
"ACK"
"BYE"
"CANCEL"
"REGISTER"
"OPTIONS"
"PRACK"
"UPDATE"
"SUBSCRIBE"
"NOTIFY"
"REFER"
"MESSAGE"
"Via: "
"v: "
"From: "
"f: "
"To: "
"t: "
"Call-ID: "
"i: "
"CSeq: "
"Contact: "
"m: "
"Content-Length: "
"l: "
"Content-Type: "
"c: "
"Max-Forwards: "
"Route: "
"Record-Route: "
"Expires: "
"Authorization: "
"WWW-Authenticate: "
"Proxy-Authorization: "
"Require: "
"Supported: "
"k: "
"Allow: "
"Event: "
"o: "
"Subscription-State: "
"Session-Expires: "
"Min-SE: "
"RAck: "
"RSeq: "
"Warning: "
"Retry-After: "
"Reason: "
"Replaces: "
"Refer-To: "
"r: "
"Timestamp: "
"Accept: "
"Content-Disposition: "
"sip:"
"sips:"
"tel:"
"<sip:"
">"
"@"
":5060"
":65535"
":99999"
";branch=z9hG4bK"
";tag="
";rport"
";received="
";maddr="
";ttl="
";lr"
";transport=tcp"
";user=phone"
";expires="
";q=0.5"
";boundary="
"?"
"&"
"="
","
"%"
"%00"
"%41"
"\""
"\\"
"[2001:db8::1]"
"[::ffff:192.0.2.1]"
"192.0.2.1"
"Digest "
"username=\""
"realm=\""
"nonce=\""
"response=\""
"qop=auth"
"application/sdp"
"multipart/mixed"
"message/sipfrag"
"*"
"4294967296"
"-1"
EOF
fi

# --- run --------------------------------------------------------------------------------------
have_limit=
for arg in "$@"; do
  case $arg in -runs=*|-max_total_time=*) have_limit=1 ;; esac
done
limit=()
[ -n "$have_limit" ] || limit=(-max_total_time=60)

before=$(ls "$here/crashes" | wc -l)
echo "run-fuzz.sh: $harness, $(ls "$seeds" | wc -l) seeds, corpus $work/corpus" >&2
status=0
"$exe" -dict="$dict" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$here/crashes/$harness-" "${limit[@]}" "$@" \
  "$work/corpus" "$seeds" || status=$?

after=$(ls "$here/crashes" | wc -l)
if [ "$after" -gt "$before" ] || [ $status -ne 0 ]; then
  echo "run-fuzz.sh: fuzzer exited with $status; inputs in $here/crashes:" >&2
  ls -t "$here/crashes" | head -n $((after - before + 1)) | sed 's/^/  /' >&2
  echo "  reproduce: tests/fuzz/run-fuzz.sh $harness tests/fuzz/crashes/<file>" >&2
  exit 1
fi
echo "run-fuzz.sh: no crash" >&2
