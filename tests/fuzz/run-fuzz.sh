#!/usr/bin/env bash
# run-fuzz.sh: build the libFuzzer harnesses (clang, ASan+UBSan) and run one of them.
#
#   tests/fuzz/run-fuzz.sh msg|uri|frame|sdp [libFuzzer options...] fuzz (default 60 s)
#   tests/fuzz/run-fuzz.sh msg -runs=200000                        a number of runs
#   tests/fuzz/run-fuzz.sh msg -max_total_time=600 -jobs=2         longer, two processes
#   tests/fuzz/run-fuzz.sh msg tests/fuzz/crashes/msg-crash-...    reproduce one input
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
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
}

[ $# -ge 1 ] || usage
harness=$1
shift
case $harness in
  msg|uri|frame) target=fuzz-sip-$harness ;;
  sdp) target=fuzz-sdp ;;
  -h|--help) usage ;;
  *) echo "run-fuzz.sh: unknown harness '$harness' (msg, uri, frame, sdp)" >&2; exit 2 ;;
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
  sdp)
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
esac
shopt -u nullglob
for f in "$here"/corpus/"$harness"/*; do
  if [ -f "$f" ]; then cp "$f" "$seeds/local-$(basename "$f")"; fi
done

dict=$work/$harness.dict
if [ "$harness" = sdp ]; then
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
