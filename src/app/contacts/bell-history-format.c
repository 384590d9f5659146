/* bell-history-format.c: time, duration and outcome texts for the history. */
#define G_LOG_DOMAIN "bellbird-contacts"

#include "config.h"

#include "bell-history-format.h"

#include <glib/gi18n-lib.h>

char *
bell_history_format_time (GDateTime *when, GDateTime *now)
{
  g_autoptr(GDateTime) day = g_date_time_new (g_date_time_get_timezone (when),
                                              g_date_time_get_year (when),
                                              g_date_time_get_month (when),
                                              g_date_time_get_day_of_month (when), 0, 0, 0);
  g_autoptr(GDateTime) today = g_date_time_new (g_date_time_get_timezone (now),
                                                g_date_time_get_year (now),
                                                g_date_time_get_month (now),
                                                g_date_time_get_day_of_month (now), 0, 0, 0);
  /* Whole days between the two midnights (DST days are 23 or 25 hours: round). */
  gint64 days = (g_date_time_difference (today, day) + G_TIME_SPAN_HOUR * 12) / G_TIME_SPAN_DAY;

  if (days <= 0)
    /* TRANSLATORS: the time of a call today, a g_date_time_format() format; "%l:%M %p" for
     * a 12-hour clock */
    return g_date_time_format (when, _("%H:%M"));
  if (days == 1)
    return g_strdup (_("Yesterday"));
  if (days < 7)
    /* TRANSLATORS: a call in the last week: the weekday, a g_date_time_format() format */
    return g_date_time_format (when, _("%A"));
  if (g_date_time_get_year (when) == g_date_time_get_year (now))
    /* TRANSLATORS: a call this year: day and month, a g_date_time_format() format */
    return g_date_time_format (when, _("%-d %b"));
  /* TRANSLATORS: an older call: day, month and year, a g_date_time_format() format */
  return g_date_time_format (when, _("%-d %b %Y"));
}

char *
bell_history_format_duration (guint seconds)
{
  guint hours = seconds / 3600, minutes = seconds / 60 % 60, rest = seconds % 60;

  if (hours > 0)
    return g_strdup_printf ("%u:%02u:%02u", hours, minutes, rest);
  return g_strdup_printf ("%u:%02u", minutes, rest);
}

char *
bell_history_format_outcome (BellHistoryEntry *entry)
{
  const char *reason = bell_history_entry_get_reason (entry);

  switch (bell_history_entry_get_outcome (entry))
    {
    case BELL_CALL_OUTCOME_ANSWERED:
      return bell_history_format_duration (bell_history_entry_get_duration (entry));
    case BELL_CALL_OUTCOME_MISSED:
      return g_strdup (_("Missed"));
    case BELL_CALL_OUTCOME_DECLINED:
      return g_strdup (_("Declined"));
    case BELL_CALL_OUTCOME_CANCELLED:
      return g_strdup (_("Cancelled"));
    case BELL_CALL_OUTCOME_FAILED:
    default:
      if (reason)
        /* TRANSLATORS: a call that failed, with the reason ("Failed: Busy Here") */
        return g_strdup_printf (_("Failed: %s"), reason);
      return g_strdup (_("Failed"));
    }
}
