"""The suite's log scan takes every fixture value under "text" for personal data; the
Typeform sample's form variable ``{"key": "name", "text": "typeform"}`` is the vendor's
name (and in every webhook URL we log), not a person's."""

try:
    from tests import pii
except ImportError:  # run outside the Omnihub repository: there is no log scan
    pass
else:
    pii.NOT_PERSONAL.add("typeform")
