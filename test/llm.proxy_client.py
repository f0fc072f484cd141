"""The official Python `openai` client through bloop's proxy (run by test/http/llm.proxy.python.test.ts).

Reads {base_url, bloop_key, api_key} as JSON on stdin, makes a plain and a streamed chat
completion, and prints what the client saw, with the trace ids bloop answered, as JSON.
"""
import json
import sys

from openai import OpenAI

args = json.load(sys.stdin)
client = OpenAI(
    base_url=args["base_url"],
    api_key=args["api_key"],
    default_headers={"X-Bloop-Key": args["bloop_key"]},
    max_retries=0,
)
messages = [{"role": "user", "content": "Hello?"}]
raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=messages)
plain = raw.parse()
with client.chat.completions.with_streaming_response.create(
    model="gpt-4o", messages=messages, stream=True
) as response:
    trace_id = response.headers.get("x-bloop-trace-id")
    chunks = list(response.parse())
print(
    json.dumps(
        {
            "plain": {"content": plain.choices[0].message.content, "trace_id": raw.headers.get("x-bloop-trace-id")},
            "stream": {
                "content": "".join(c.choices[0].delta.content or "" for c in chunks),
                "choice_counts": [len(c.choices) for c in chunks],
                "trace_id": trace_id,
            },
        }
    )
)
