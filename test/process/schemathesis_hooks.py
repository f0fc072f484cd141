"""Signs schemathesis' requests to bloop's ingest routes, the way an SDK does.

X-Signature is the hex HMAC-SHA256 of the exact body bytes, keyed by the default
project's key (the HMAC secret the test server starts with, in BLOOP_FUZZ_SECRET).
schemathesis hands a JSON body to requests as `json=`, which encodes it with
json.dumps(body, allow_nan=False); the hook signs those same bytes. A body that cannot
be encoded that way is sent unsigned and answered 401, like any unsigned body.
"""

import hashlib
import hmac
import json
import os

import schemathesis
from schemathesis.core import NotSet

SECRET = os.environ["BLOOP_FUZZ_SECRET"].encode()
INGEST = {"/v1/ingest", "/v1/ingest/batch"}


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if case.path not in INGEST or case.method.upper() != "POST" or isinstance(case.body, NotSet):
        return
    try:
        body = json.dumps(case.body, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError):
        return
    if case.headers is None:
        case.headers = {}
    case.headers["X-Signature"] = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
