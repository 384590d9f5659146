/* bell-rate-control.h: what our sender should do about the path, from the RTCP receiver
 * reports the far end sends about our stream.
 *
 * Two questions, answered from the same reports (fraction lost, round-trip time, jitter):
 * - How much protection: the loss the Opus encoder protects for with its in-band FEC
 *   (opusenc's packet-loss-percentage), or for G.711 / G.722 the RFC 2198 redundancy distance.
 *   A loss counts once two reports in a row show it (one bad report moves nothing) and is
 *   smoothed over about 6 s; the protection follows it up at once in 5 % steps, and comes down
 *   only after 20 s in which the loss stayed far below the lower step, so that a steady loss,
 *   with the noise of its reports, holds it still.
 * - How many bits (Opus only): a loss above 10 %, or a round-trip time well above the lowest of
 *   the last two minutes in two reports in a row (queues filling: the surest sign of
 *   congestion), cuts the bitrate by a quarter, at most once a second; loss alone no lower than
 *   20 kbit/s, where the FEC still fits. After 8 s without loss or delay it climbs back
 *   8 kbit/s every 4 s. Between 2 % and 10 % loss it holds, so a path with a steady few per
 *   cent of loss neither saws up and down nor drifts.
 *
 * Pure logic on the values and times given (monotonic µs, as g_get_monotonic_time() gives),
 * so tests replay report traces. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BELL_RATE_CONTROL_MIN_BITRATE           6000   /* Opus voice at 48 kHz, mono */
#define BELL_RATE_CONTROL_MAX_BITRATE           64000
#define BELL_RATE_CONTROL_LOW_BANDWIDTH_BITRATE 16000  /* the cap in low-bandwidth mode */
#define BELL_RATE_CONTROL_MAX_RED_DISTANCE      3

typedef enum
{
  BELL_RATE_CODEC_OPUS,    /* variable bitrate, in-band FEC */
  BELL_RATE_CODEC_FIXED,   /* G.711, G.722: one bitrate, protected by RFC 2198 redundancy */
} BellRateCodecKind;

typedef struct
{
  BellRateCodecKind kind;
  gboolean low_bandwidth;  /* the account's low-bandwidth mode: Opus at most 16 kbit/s */
  guint    max_bitrate;    /* e.g. the peer's maxaveragebitrate; 0: no cap beyond the mode's */
  guint    start_bitrate;  /* 0: start at the top */
} BellRateControlConfig;

typedef struct
{
  guint    bitrate;          /* Opus target, bits/s; 0 for a fixed-rate codec */
  gboolean fec;              /* Opus in-band FEC on (off only where the bitrate is too low) */
  guint    loss_percentage;  /* the loss, in %, protection is sized for (at least 1) */
  guint    red_distance;     /* fixed-rate codecs: RFC 2198 redundancy distance, 0..3 */
} BellRateDecision;

typedef struct _BellRateControl BellRateControl;

BellRateControl        *bell_rate_control_new    (const BellRateControlConfig *config);
void                    bell_rate_control_free   (BellRateControl *control);

/* One receiver report about our stream arrived at now_us: fraction_lost 0..1 as the far end
 * reported it, rtt_ms (< 0: unknown, e.g. no LSR yet), the far end's interarrival jitter in
 * ms (< 0: unknown). TRUE when the decision changed. */
gboolean                bell_rate_control_report (BellRateControl *control, gint64 now_us,
                                                  double fraction_lost, double rtt_ms,
                                                  double jitter_ms);
const BellRateDecision *bell_rate_control_get    (const BellRateControl *control);

/* The RFC 2198 distance for a loss to protect for (in %): the fewest redundant copies that
 * leave at most 2.5 % of frames lost under random loss, at most 3. */
guint                   bell_rate_control_red_distance (guint loss_percentage);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellRateControl, bell_rate_control_free)

G_END_DECLS
