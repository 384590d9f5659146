/* bell-sip-msg-check.c: what a user agent refuses in a message that parsed
 * (RFC 3261 §8.1.3.3, §8.2.2, §8.2.3 and the "application" cases of RFC 4475 §3.3). */
#define G_LOG_DOMAIN "bell-sip"

#include "bell-sip-msg-private.h"

/* Option tags Bellbird implements as the one receiving the request: a Require naming any
 * other gets 420 (§8.2.2.3). Not 100rel: we PRACK as callers, but send no reliable 1xx. */
static const char *const supported_options[] = {
  "replaces", "timer", "outbound", "path", "norefersub",
};

static gboolean
option_supported (BellStr tag)
{
  for (gsize i = 0; i < G_N_ELEMENTS (supported_options); i++)
    if (bell_str_equal_ci_cstr (tag, supported_options[i]))
      return TRUE;
  return FALSE;
}

/* Fields of which a message has one value only (§20; duplicates make multi01 and mcl01). */
static const BellSipHdrId single_valued[] = {
  BELL_SIP_HDR_TO, BELL_SIP_HDR_FROM, BELL_SIP_HDR_CSEQ, BELL_SIP_HDR_CALL_ID,
  BELL_SIP_HDR_MAX_FORWARDS, BELL_SIP_HDR_CONTENT_LENGTH, BELL_SIP_HDR_CONTENT_TYPE,
  BELL_SIP_HDR_EXPIRES, BELL_SIP_HDR_MIN_EXPIRES,
};

static const BellSipHdrId required[] = {
  BELL_SIP_HDR_TO, BELL_SIP_HDR_FROM, BELL_SIP_HDR_CSEQ, BELL_SIP_HDR_CALL_ID, BELL_SIP_HDR_VIA,
};

static gboolean
media_type_is (const BellSipMediaType *mt, const char *type, const char *subtype)
{
  return bell_str_equal_ci_cstr (mt->type, type) &&
         (subtype == NULL || bell_str_equal_ci_cstr (mt->subtype, subtype));
}

/* Body types Bellbird can act on, per method; bodies of other methods are ignored. */
static gboolean
body_type_understood (BellSipMethod method, const BellSipMediaType *mt)
{
  switch (method)
    {
    case BELL_SIP_METHOD_INVITE:
    case BELL_SIP_METHOD_ACK:
    case BELL_SIP_METHOD_PRACK:
    case BELL_SIP_METHOD_UPDATE:
      return media_type_is (mt, "application", "sdp") || media_type_is (mt, "multipart", NULL);
    case BELL_SIP_METHOD_NOTIFY:
      return media_type_is (mt, "message", "sipfrag") ||
             media_type_is (mt, "application", "simple-message-summary");
    case BELL_SIP_METHOD_MESSAGE:
      return media_type_is (mt, "text", NULL) || media_type_is (mt, "multipart", NULL);
    case BELL_SIP_METHOD_INFO:
      return media_type_is (mt, "application", "dtmf-relay") ||
             media_type_is (mt, "application", "dtmf");
    default:
      return TRUE;
    }
}

/* Can we answer in a type the Accept header allows (our answers carry SDP)? */
static gboolean
accepts_sdp (const BellSipMsg *msg)
{
  const BellSipHeader *h = bell_sip_msg_find (msg, BELL_SIP_HDR_ACCEPT);

  if (!h)
    return TRUE;  /* no Accept: application/sdp is assumed (§20.1) */
  for (; h; h = bell_sip_msg_find_next (msg, BELL_SIP_HDR_ACCEPT, h))
    {
      const BellSipMediaType *mt = h->parsed.media_type;
      if (!mt)
        continue;
      if ((bell_str_equal_cstr (mt->type, "*") && bell_str_equal_cstr (mt->subtype, "*")) ||
          (media_type_is (mt, "application", NULL) &&
           (bell_str_equal_cstr (mt->subtype, "*") || bell_str_equal_ci_cstr (mt->subtype, "sdp"))))
        return TRUE;
    }
  return FALSE;
}

static guint
check_common (const BellSipMsg *msg, const char **reason)
{
  for (gsize i = 0; i < G_N_ELEMENTS (required); i++)
    if (!msg->first[required[i]])
      {
        static const char *const missing[] = {
          "Missing To header", "Missing From header", "Missing CSeq header",
          "Missing Call-ID header", "Missing Via header",
        };
        *reason = missing[i];
        return 400;
      }
  for (gsize i = 0; i < G_N_ELEMENTS (single_valued); i++)
    if (bell_sip_msg_count (msg, single_valued[i]) > 1)
      {
        *reason = single_valued[i] == BELL_SIP_HDR_CONTENT_LENGTH
                    ? "Several Content-Length headers: the framing cannot be trusted"
                    : "A header that may appear once appears several times";
        return 400;
      }
  return 0;
}

static guint
check_request (const BellSipMsg *msg, const char **reason)
{
  const BellSipHeader *h;
  guint code = check_common (msg, reason);

  if (code)
    return code;

  /* §20.10 and §10.3: "Contact: *" stands alone. */
  if (bell_sip_msg_count (msg, BELL_SIP_HDR_CONTACT) > 1)
    for (const BellSipHeader *c = bell_sip_msg_find (msg, BELL_SIP_HDR_CONTACT); c;
         c = bell_sip_msg_find_next (msg, BELL_SIP_HDR_CONTACT, c))
      if (c->parsed.name_addr->star)
        {
          *reason = "Contact: * together with other contacts";
          return 400;
        }

  if (msg->ruri.scheme == BELL_URI_SCHEME_OTHER)
    {
      *reason = "Unsupported URI Scheme";
      return 416;
    }

  /* §8.2.2.3: not for ACK (it cannot be answered) or CANCEL (it inherits the INVITE's). */
  if (msg->method != BELL_SIP_METHOD_ACK && msg->method != BELL_SIP_METHOD_CANCEL)
    for (h = bell_sip_msg_find (msg, BELL_SIP_HDR_REQUIRE); h;
         h = bell_sip_msg_find_next (msg, BELL_SIP_HDR_REQUIRE, h))
      {
        BellStr rest = h->value, tag;
        while (bell_sip_token_list_next (&rest, &tag))
          if (!option_supported (tag))
            {
              *reason = "Bad Extension";
              return 420;
            }
      }

  /* §8.2.3: a body we cannot understand, in a request that expects us to. */
  if (msg->body_len > 0)
    {
      h = bell_sip_msg_find (msg, BELL_SIP_HDR_CONTENT_TYPE);
      if (!h || !body_type_understood (msg->method, h->parsed.media_type))
        {
          *reason = h ? "Unsupported Media Type" : "Body without Content-Type";
          return h ? 415 : 400;
        }
      for (h = bell_sip_msg_find (msg, BELL_SIP_HDR_CONTENT_ENCODING); h;
           h = bell_sip_msg_find_next (msg, BELL_SIP_HDR_CONTENT_ENCODING, h))
        {
          BellStr rest = h->value, coding;
          while (bell_sip_token_list_next (&rest, &coding))
            if (!bell_str_equal_ci_lit (coding, "identity"))
              {
                *reason = "Unsupported Content-Encoding";
                return 415;
              }
        }
    }

  if ((msg->method == BELL_SIP_METHOD_INVITE || msg->method == BELL_SIP_METHOD_UPDATE) &&
      !accepts_sdp (msg))
    {
      *reason = "Not Acceptable: the answer would be application/sdp";
      return 406;
    }

  /* §10.3: an address-of-record must be a SIP or SIPS URI. */
  if (msg->method == BELL_SIP_METHOD_REGISTER &&
      !bell_sip_uri_is_sip (&bell_sip_msg_get_to (msg)->uri))
    {
      *reason = "The To URI of a REGISTER is not a SIP or SIPS URI";
      return 400;
    }
  return 0;
}

static guint
check_response (const BellSipMsg *msg, const char **reason)
{
  guint code = check_common (msg, reason);

  if (code)
    return code;
  /* §8.1.3.3: more than one Via means the response was meant for someone else. */
  if (bell_sip_msg_count (msg, BELL_SIP_HDR_VIA) > 1)
    {
      *reason = "Response with more than one Via: not for this user agent";
      return 400;
    }
  return 0;
}

guint
bell_sip_msg_check (const BellSipMsg *msg, const char **reason)
{
  const char *dummy;

  g_return_val_if_fail (msg != NULL, 400);
  if (!reason)
    reason = &dummy;
  *reason = NULL;
  return msg->is_request ? check_request (msg, reason) : check_response (msg, reason);
}
