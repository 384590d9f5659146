/* bench-sofia.c: sofia-sip: msg_create (SIP mclass), buffer alloc/commit, msg_extract,
 * msg_destroy, as sofia's own parser tests feed a message. */
#include <stdio.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_buffer.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>

#include "bench-common.h"

static msg_t *
extract (const BenchMsg *m)
{
  msg_t *msg = msg_create (sip_default_mclass (), 0);
  char *b;

  if (msg == NULL)
    return NULL;
  /* One byte more than the message: msg_extract NUL-terminates in place. */
  b = msg_buf_alloc (msg, m->len + 1);
  if (b == NULL || msg_buf_size (msg) < m->len + 1)
    {
      msg_destroy (msg);
      return NULL;
    }
  memcpy (b, m->data, m->len);
  msg_buf_commit (msg, m->len, 1);
  if (msg_extract (msg) <= 0)
    {
      msg_destroy (msg);
      return NULL;
    }
  return msg;
}

static int
parse (const BenchMsg *m)
{
  msg_t *msg = extract (m);

  if (msg == NULL)
    return -1;
  msg_destroy (msg);
  return 0;
}

static int
describe (const BenchMsg *m, char *buf, size_t size)
{
  msg_t *msg = extract (m);
  sip_t *sip;
  int rc = -1;

  if (msg == NULL)
    return -1;
  sip = sip_object (msg);
  if (sip && sip->sip_cseq && sip->sip_call_id && !sip->sip_error
      && msg_extract_errors (msg) == 0)
    {
      if (sip->sip_request)
        snprintf (buf, size, "%s", sip->sip_request->rq_method_name);
      else if (sip->sip_status)
        snprintf (buf, size, "%d", sip->sip_status->st_status);
      snprintf (buf + strlen (buf), size - strlen (buf), " cseq=%u call-id=%s body=%zu",
                (unsigned) sip->sip_cseq->cs_seq, sip->sip_call_id->i_id,
                sip->sip_payload ? (size_t) sip->sip_payload->pl_len : (size_t) 0);
      /* Sofia parses at extract time: the Contact URI is already split. */
      if (sip->sip_contact && sip->sip_contact->m_url->url_host == NULL)
        fprintf (stderr, "sofia: %s: Contact not parsed\n", m->name);
      rc = 0;
    }
  msg_destroy (msg);
  return rc;
}

int
main (int argc, char **argv)
{
  static const BenchPeer peer = {
    .name = "sofia",
    .note = "IN PLACE (zero-copy: writes NULs into its own receive buffer, no second copy); "
            "msg_extract parses each header its SIP mclass knows, URIs included, and keeps "
            "unknown ones raw; then msg_destroy",
    .parse = parse,
    .describe = describe,
  };
  return bench_main (argc, argv, &peer);
}
