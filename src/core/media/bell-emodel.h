/* bell-emodel.h: an estimated call quality (R and MOS) per ITU-T G.107, the E-model.
 *
 * The E-model rates a connection by what impairs it: R = Ro − Is − Id − Ie,eff + A. We know
 * nothing of a call's loudness, noise or sidetone, so those take G.107's default values (Ro
 * and Is come out at 94.77 and 1.41); what we do know is the codec, the one-way delay and the
 * packet loss the decoder saw, and those enter by G.107's own formulas: Id (talker echo,
 * listener echo, absolute delay) and Ie,eff (codec impairment raised by loss). A = 0.
 *
 * G.107 is narrowband. Wideband codecs (G.722, Opus) are rated on the same scale with a
 * narrowband-equivalent Ie (see bell-emodel.c): no better than G.711, worse where their
 * bitrate is so low that they fall back to narrowband CELP-like quality.
 *
 * Pure arithmetic; the media session calls it with what RTCP and the decoder report. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  BELL_EMODEL_CODEC_G711,   /* PCMU, PCMA */
  BELL_EMODEL_CODEC_G722,
  BELL_EMODEL_CODEC_OPUS,
} BellEmodelCodec;

typedef struct
{
  BellEmodelCodec codec;
  guint    bitrate;       /* bits/s the Opus encoder was set to; 0: its top rate. Others: unused */
  double   delay_ms;      /* Ta, one-way mouth-to-ear delay; T = Ta and Tr = 2·Ta are assumed */
  double   loss_percent;  /* Ppl, 0..100: frames lost to the decoder after FEC/RED recovery */
  double   burst_r;       /* BurstR: 1 for random loss, > 1 bursty; below 1 is taken as 1 */
  gboolean concealment;   /* the decoder conceals lost frames (PLC) rather than play silence */
} BellEmodelInput;

/* The codec for an SDP encoding name ("PCMU", "PCMA", "G722", "opus"; case-insensitive).
 * FALSE for a name the E-model here has no values for. */
gboolean bell_emodel_codec_from_name (const char *encoding, BellEmodelCodec *codec);

/* The equipment impairment factor Ie and packet-loss robustness factor Bpl used for a codec
 * (exposed so the values can be checked and shown). */
double   bell_emodel_ie  (BellEmodelCodec codec, guint bitrate);
double   bell_emodel_bpl (BellEmodelCodec codec, gboolean concealment);

/* BurstR (G.107 §7.5) from a two-state loss model: the loss ratio (0..1) and the mean length
 * of a run of consecutive lost packets. 1 for random loss (mean run 1/(1 − ratio)), more when
 * losses cluster. */
double   bell_emodel_burst_r (double loss_ratio, double mean_burst_packets);

/* The transmission rating factor R (may be negative for a hopeless connection). */
double   bell_emodel_r   (const BellEmodelInput *in);
/* The estimated MOS (conversational quality) for R, G.107 Annex B, clamped to 1..4.5. */
double   bell_emodel_mos (double r);

G_END_DECLS
