/* bench-bellbird.c: Bellbird's receive path: bell_sip_msg_parse (DATAGRAM), then unref. */
#include <stdio.h>

#include "bell-sip-msg.h"
#include "bench-common.h"

static int
parse (const BenchMsg *m)
{
  BellSipMsg *msg = bell_sip_msg_parse (m->data, m->len, BELL_SIP_PARSE_DATAGRAM, NULL);

  if (msg == NULL)
    return -1;
  bell_sip_msg_unref (msg);
  return 0;
}

static int
describe (const BenchMsg *m, char *buf, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) msg = bell_sip_msg_parse (m->data, m->len, BELL_SIP_PARSE_DATAGRAM,
                                                  &error);
  const BellSipCSeq *cseq;
  BellStr call_id;
  gsize body_len = 0;

  if (msg == NULL)
    {
      fprintf (stderr, "bellbird: %s: %s\n", m->name, error->message);
      return -1;
    }
  cseq = bell_sip_msg_get_cseq (msg);
  call_id = bell_sip_msg_get_call_id (msg);
  bell_sip_msg_peek_body (msg, &body_len);
  if (cseq == NULL)
    return -1;
  if (bell_sip_msg_is_request (msg))
    {
      BellStr method = bell_sip_msg_get_method_str (msg);
      snprintf (buf, size, "%.*s", BELL_STR_PRINTF (method));
    }
  else
    snprintf (buf, size, "%u", bell_sip_msg_get_status (msg));
  snprintf (buf + strlen (buf), size - strlen (buf), " cseq=%u call-id=%.*s body=%zu",
            (unsigned) cseq->seq, BELL_STR_PRINTF (call_id), (size_t) body_len);
  return 0;
}

int
main (int argc, char **argv)
{
  static const BenchPeer peer = {
    .name = "bellbird",
    .note = "eager: copies the datagram once, parses the start line, every header and the "
            "typed view of each known one (Via, name-addr + URI, CSeq, auth params, ...), "
            "body by Content-Length; then unref",
    .parse = parse,
    .describe = describe,
  };
  return bench_main (argc, argv, &peer);
}
