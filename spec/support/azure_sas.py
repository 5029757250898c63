#!/usr/bin/env python3
"""Test support: print an account SAS token (query string) for a storage account.

usage: azure_sas.py ACCOUNT BASE64_KEY [EXPIRY]   (EXPIRY default 2099-01-01T00:00:00Z)

String to sign for service version 2018-11-09 (Azure Storage "Create an account SAS"):
account, permissions, services, resource types, start, expiry, IP, protocol, version, each
followed by a newline; signature = base64(HMAC-SHA256(base64-decoded key, that string)).
Used by spec/lua/sources_spec.lua against Azurite's development account."""
import base64
import hashlib
import hmac
import sys
import urllib.parse


def account_sas(account, key, expiry):
    version, perms, services, types, proto = "2018-11-09", "rwdlac", "b", "sco", "https,http"
    to_sign = "\n".join([account, perms, services, types, "", expiry, "", proto, version, ""])
    sig = base64.b64encode(hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest()).decode()
    query = [("sv", version), ("ss", services), ("srt", types), ("sp", perms), ("se", expiry), ("spr", proto),
             ("sig", sig)]
    return urllib.parse.urlencode(query, safe="", quote_via=urllib.parse.quote)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: azure_sas.py ACCOUNT BASE64_KEY [EXPIRY]")
    print(account_sas(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "2099-01-01T00:00:00Z"))
