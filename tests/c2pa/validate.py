#!/usr/bin/env python3
"""Reads and validates a file's Content Credentials with c2pa-python, the
C2PA SDK's own Python binding (a separate build, of another version, from
the c2pa crate Reel signs with), so that the tests do not check Reel's
manifests with Reel's own reader.

usage: validate.py FILE [TRUST_ANCHORS.pem]
Prints {"state": "Valid" | "Trusted" | "Invalid" | null, "store": {...}}:
the validation state and the manifest store as c2pa-python reports it.
"""
import json
import sys

import c2pa

path = sys.argv[1]
settings = {"verify": {"verify_trust": True}}
if len(sys.argv) > 2:
    with open(sys.argv[2]) as f:
        settings["trust"] = {"trust_anchors": f.read()}
context = c2pa.Context(c2pa.Settings.from_dict(settings))
try:
    reader = c2pa.Reader(path, context=context)
except c2pa.C2paError as e:
    print(json.dumps({"state": None, "error": str(e)}))
    sys.exit(0)
print(json.dumps({"state": reader.get_validation_state(), "store": json.loads(reader.json())}))
