"""The exact events of the WhatsApp samples with media, contacts and locations."""

from __future__ import annotations

from typing import Any

from whatsapp_cases import SENDER_NO_BSUID, WA_ID, received

CARDS = [
    {
        "formatted_name": "Chandler Bing",
        "first_name": "Chandler",
        "last_name": "Bing",
        "phones": [{"phone": "+1 555-555-5555", "type": "cell", "channel_user_id": WA_ID}],
        "emails": [],
    },
    {
        "formatted_name": "Monica",
        "first_name": "Monica",
        "phones": [{"phone": "+1 666-666-6666", "type": "home", "channel_user_id": WA_ID}],
        "emails": [],
    },
    {
        "formatted_name": "Rachel Green",
        "first_name": "Rachel",
        "last_name": "Green",
        "phones": [{"phone": "+1 777-777-7777", "type": "work", "channel_user_id": WA_ID}],
        "emails": [],
    },
]
LOCATION = {
    "latitude": 37.4611978,
    "longitude": -122.2164385,
    "name": "Facebook HQ",
    "address": "1 Hacker Way, Menlo Park, CA 94025",
    "url": "https://maps.google.com/?cid=2000000000000000000",
}

MEDIA_CASES: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "message_audio.json": [
        received(
            "wamid.xyzxyz",
            1697043509,
            kind="audio",
            forwarded=True,
            media={
                "id": "1234567890987654321",
                "mime_type": "audio/ogg; codecs=opus",
                "sha256": "E3dxS/PdYZE7ppA3pQ4mpCFaXBJ8pX4SRN/dsfvds/iPGA=",
                "voice": False,
            },
        )
    ],
    "message_voice.json": [
        received(
            "wamid.xyzxyz",
            1697043473,
            kind="audio",
            media={
                "id": "1234567890987654321",
                "mime_type": "audio/ogg; codecs=opus",
                "sha256": "m04pFf2ERdaopTyFkGPA0+bX3i+YY2dYgVFwOgDLSDI=",
                "voice": True,
            },
        )
    ],
    "message_contacts.json": [
        received("wamid.xyzxyz", 1697044621, kind="contacts", contacts=CARDS)
    ],
    "message_document.json": [
        received(
            "wamid.xyzxyz",
            1697043666,
            kind="document",
            forwarded=True,
            media={
                "id": "1234567890987654321",
                "mime_type": "application/pdf",
                "caption": "caption",
                "filename": "filename.pdf",
                "sha256": "grwfwe/ZPx0wAbdfbdeFUNItPZ0RylL8gGUvdt3YFqc18SY=",
            },
        )
    ],
    "message_image.json": [
        received(
            "wamid.xyzxyz",
            1697043379,
            kind="image",
            media={"id": "65463453", "mime_type": "image/jpeg", "sha256": "4654+8g="},
        )
    ],
    "message_media_with_url.json": [
        received(
            "wamid.xyzxyz",
            1697043379,
            kind="image",
            media={
                "id": "65463453",
                "mime_type": "image/jpeg",
                "sha256": "4654+8g=",
                "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/"
                "?mid=65463453&source=webhook&ext=487r9re&hash=heiwchueowbcew-dnedcw",
            },
        )
    ],
    "message_static_sticker.json": [
        received(
            "wamid.xyzxyz",
            1697043760,
            kind="sticker",
            media={
                "id": "1234567890987654321",
                "mime_type": "image/webp",
                "sha256": "OmT4nhjUhCMIPNmj7eeOZeCYjTXkLxoOv85OMCFwSuc=",
                "animated": False,
            },
        )
    ],
    "message_video.json": [
        received(
            "wamid.xyzxyz",
            1697044362,
            kind="video",
            forwarded=True,
            media={
                "id": "765756756",
                "mime_type": "video/mp4",
                "caption": "caption",
                "sha256": "Jh+2ij6PzUv/J2y+grrtegr/ZMzRxkEPwc24Oyib4s03w9Jc=",
            },
        )
    ],
    "message_chosen_location.json": [
        received(
            "wamid.xyzxyz",
            1697044557,
            SENDER_NO_BSUID,
            kind="location",
            forwarded=True,
            location=LOCATION,
        )
    ],
}
