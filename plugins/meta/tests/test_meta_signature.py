"""X-Hub-Signature-256: hex HMAC-SHA256 over the raw bytes, compared in constant time."""

from __future__ import annotations

import pytest
from omnihub_meta import sign, verify

# GitHub signs webhooks with the very same header and scheme and publishes this vector
# (github/docs, content/webhooks/using-webhooks/validating-webhook-deliveries.md).
GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_BODY = b"Hello, World!"
GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
# Computed independently with `printf 'hello' | openssl dgst -sha256 -hmac test-app-secret`.
OPENSSL_SIGNATURE = "sha256=bbcf2f8c43da7c2509dfa64ad5c712cebef4838195e049d8964fc04cb7fe6a1a"


def test_public_vectors() -> None:
    assert sign(GITHUB_SECRET, GITHUB_BODY) == GITHUB_SIGNATURE
    assert verify(GITHUB_SECRET, GITHUB_BODY, GITHUB_SIGNATURE)
    assert sign("test-app-secret", b"hello") == OPENSSL_SIGNATURE


def test_signature_is_over_the_raw_bytes() -> None:
    # Meta escapes non-ASCII (\u00e9); the same JSON re-serialised as UTF-8 is other bytes.
    raw = b'{"text":"caf\\u00e9"}'
    assert verify("s", raw, sign("s", raw))
    assert not verify("s", '{"text":"café"}'.encode(), sign("s", raw))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",  # no prefix
        "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "sha256=" + "0" * 64,
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1",  # short
        sign("another secret", GITHUB_BODY),
    ],
)
def test_wrong_or_missing_signatures_are_refused(header: str | None) -> None:
    assert not verify(GITHUB_SECRET, GITHUB_BODY, header)
