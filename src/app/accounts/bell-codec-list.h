/* bell-codec-list.h: an account's audio codecs, in the order its calls offer them.
 *
 * One row per codec the core knows (bell_account_known_codecs), the preferred first. The user
 * moves a row up or down with its buttons and switches Opus or G.722 off; PCMU and PCMA have
 * no switch, since every call offers them. "changed" follows each such action of the user
 * (not bell_codec_list_set_codecs).
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define BELL_TYPE_CODEC_LIST (bell_codec_list_get_type ())
G_DECLARE_FINAL_TYPE (BellCodecList, bell_codec_list, BELL, CODEC_LIST, AdwBin)

GtkWidget  *bell_codec_list_new        (void);
/* offered: the codecs switched on, in order (normalized as bell_account_normalize_codecs
 * does); the others follow, switched off, in the core's order. */
void        bell_codec_list_set_codecs (BellCodecList *self, const char *const *offered);
/* The codecs switched on, in the order shown. */
char      **bell_codec_list_dup_codecs (BellCodecList *self);

G_END_DECLS
