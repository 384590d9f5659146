/* bench-re.c: libre (baresip): the datagram in an mbuf, sip_msg_decode, then mem_deref. */
#include <stdio.h>
#include <string.h>

#include <re.h>

#include "bench-common.h"

/* As libre's UDP receive path does: a fresh mbuf holding a copy of the datagram. */
static struct sip_msg *
decode (const BenchMsg *m, int *err)
{
  struct mbuf *mb = mbuf_alloc (m->len);
  struct sip_msg *msg = NULL;

  if (mb == NULL)
    {
      *err = ENOMEM;
      return NULL;
    }
  mbuf_write_mem (mb, (const uint8_t *) m->data, m->len);
  mb->pos = 0;
  *err = sip_msg_decode (&msg, mb);
  mem_deref (mb);  /* the message holds its own reference */
  return *err ? NULL : msg;
}

static int
parse (const BenchMsg *m)
{
  int err;
  struct sip_msg *msg = decode (m, &err);

  if (msg == NULL)
    return -1;
  mem_deref (msg);
  return 0;
}

static int
describe (const BenchMsg *m, char *buf, size_t size)
{
  int err;
  struct sip_msg *msg = decode (m, &err);

  if (msg == NULL)
    {
      fprintf (stderr, "re: %s: sip_msg_decode: %s\n", m->name, strerror (err));
      return -1;
    }
  if (msg->req)
    snprintf (buf, size, "%.*s", (int) msg->met.l, msg->met.p);
  else
    snprintf (buf, size, "%u", msg->scode);
  snprintf (buf + strlen (buf), size - strlen (buf), " cseq=%u call-id=%.*s body=%zu",
            msg->cseq.num, (int) msg->callid.l, msg->callid.p, mbuf_get_left (msg->mb));
  mem_deref (msg);
  return 0;
}

int
main (int argc, char **argv)
{
  static const BenchPeer peer = {
    .name = "re",
    .note = "LAZY: splits every header into name/value and hashes it, but parses only the "
            "start line, Request-URI, top Via, From, To, CSeq, RAck, Content-Type; Contact, "
            "Route, Record-Route, Authorization ... stay raw text until asked for",
    .parse = parse,
    .describe = describe,
  };
  return bench_main (argc, argv, &peer);
}
