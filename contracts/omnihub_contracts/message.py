"""``message.*``: what customers send, what the hub is told to send, and what became of it.

Payload fields are shared by every channel; a plugin maps its own webhook onto them and
keeps what it cannot map in ``raw`` (kind ``unsupported``) rather than dropping it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, JsonValue, StringConstraints, model_validator

from .common import Count, Identifier, KindedContract, LanguageTag, Slug, Text, Title, Uri
from .envelope import Contract, NonEmpty

Latitude = Annotated[float, Field(strict=True, ge=-90, le=90)]
Longitude = Annotated[float, Field(strict=True, ge=-180, le=180)]
MimeType = Annotated[
    str, StringConstraints(pattern=r"^[\w.+-]+/[\w.+-]+(\s*;.*)?$", max_length=200)
]


class MessageKind(StrEnum):
    """What a customer sent. Consumers treat a kind they do not know as ``unsupported``."""

    TEXT = "text"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACTS = "contacts"
    INTERACTIVE_REPLY = "interactive_reply"
    REACTION = "reaction"
    STORY_REPLY = "story_reply"
    STORY_MENTION = "story_mention"
    REFERRAL = "referral"
    UNSUPPORTED = "unsupported"


class Sender(Contract):
    identifiers: list[Identifier] = Field(min_length=1, max_length=20)
    display_name: Title | None = Field(default=None, description="Profile name on the channel.")
    language: LanguageTag | None = Field(default=None, description="As the channel reports it.")


class Media(Contract):
    id: NonEmpty | None = Field(default=None, description="The channel's media id.")
    url: Uri | None = Field(default=None, description="May expire; fetch with channel auth.")
    mime_type: MimeType | None = None
    caption: Text | None = None
    filename: Title | None = None
    sha256: NonEmpty | None = Field(default=None, description="As the channel gives it.")
    size: Count | None = None
    voice: bool | None = Field(default=None, strict=True, description="A recorded voice note.")
    animated: bool | None = Field(default=None, strict=True)


class Location(Contract):
    latitude: Latitude
    longitude: Longitude
    name: Title | None = None
    address: Text | None = None
    url: Uri | None = None


class ContactPhone(Contract):
    phone: NonEmpty
    type: Slug | None = Field(default=None, description="Lower-cased: cell, home, work …")
    channel_user_id: NonEmpty | None = Field(default=None, description="E.g. WhatsApp wa_id.")


class ContactEmail(Contract):
    email: NonEmpty
    type: Slug | None = None


class ContactCard(Contract):
    """A contact the customer shared (not the customer)."""

    formatted_name: Title
    first_name: Title | None = None
    last_name: Title | None = None
    organization: Title | None = None
    phones: list[ContactPhone] = Field(default_factory=list)
    emails: list[ContactEmail] = Field(default_factory=list)


class ReplyControl(StrEnum):
    BUTTON = "button"
    LIST = "list"
    QUICK_REPLY = "quick_reply"
    POSTBACK = "postback"


class InteractiveReply(Contract):
    """The customer picked an option the business offered (button, list row, quick reply)."""

    control: ReplyControl
    id: NonEmpty = Field(description="The option id or payload the business chose.")
    title: Title | None = Field(default=None, description="What the customer saw.")
    description: Text | None = None


class Reaction(Contract):
    message_id: NonEmpty = Field(description="channel_message_id of the message reacted to.")
    emoji: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = Field(
        default=None, description="Absent: the customer removed their reaction."
    )


class Story(Contract):
    id: NonEmpty | None = None
    url: Uri | None = None


class Referral(Contract):
    """The ad, post or link that brought the customer (click-to-chat ads)."""

    source_type: Slug = Field(description="ad, post, shortlink …, lower-cased.")
    source_id: NonEmpty | None = None
    source_url: Uri | None = None
    headline: Text | None = None
    body: Text | None = None
    ref: NonEmpty | None = Field(default=None, description="Opaque parameter of the link.")
    click_id: NonEmpty | None = Field(default=None, description="E.g. WhatsApp ctwa_clid.")
    media_url: Uri | None = None


class MessageReceived(KindedContract):
    """A customer sent something on a channel (the envelope's ``channel``)."""

    PAYLOAD_OF_KIND = {
        "text": "text",
        "image": "media",
        "audio": "media",
        "video": "media",
        "document": "media",
        "sticker": "media",
        "location": "location",
        "contacts": "contacts",
        "interactive_reply": "interactive_reply",
        "reaction": "reaction",
        "story_reply": "story",
        "story_mention": "story",
        "referral": "referral",
        "unsupported": "raw",
    }

    kind: MessageKind
    channel_message_id: NonEmpty
    sender: Sender
    channel_account: NonEmpty | None = Field(
        default=None, description="The business number/page/inbox that received it."
    )
    text: Text | None = None
    subject: Title | None = Field(default=None, description="E-mail subject.")
    media: Media | None = None
    location: Location | None = None
    contacts: list[ContactCard] | None = Field(default=None, min_length=1)
    interactive_reply: InteractiveReply | None = None
    reaction: Reaction | None = None
    story: Story | None = None
    reply_to: NonEmpty | None = Field(
        default=None, description="channel_message_id of the message this one answers."
    )
    referral: Referral | None = None
    forwarded: bool = Field(default=False, strict=True)
    frequently_forwarded: bool = Field(default=False, strict=True)
    raw: dict[str, JsonValue] | None = Field(
        default=None, description="The channel's own object, kept when kind is unsupported."
    )
    sent_at: AwareDatetime | None = Field(default=None, description="The channel's timestamp.")


class MessageDeleted(Contract):
    """The customer unsent a message; consumers should forget its content."""

    channel_message_id: NonEmpty


class SendKind(StrEnum):
    TEXT = "text"
    MEDIA = "media"
    INTERACTIVE = "interactive"
    TEMPLATE = "template"


class Recipient(Contract):
    """The customer by hub id, or by identifiers when the sender knows no id."""

    customer_id: NonEmpty | None = None
    identifiers: list[Identifier] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _someone(self) -> Recipient:
        if self.customer_id is None and not self.identifiers:
            raise ValueError("needs customer_id or identifiers")
        return self


class OutboundMedia(Contract):
    type: Annotated[str, StringConstraints(pattern=r"^(image|audio|video|document|sticker)$")]
    url: Uri | None = None
    id: NonEmpty | None = Field(default=None, description="A media id already on the channel.")
    caption: Text | None = None
    filename: Title | None = None

    @model_validator(mode="after")
    def _locatable(self) -> OutboundMedia:
        if self.url is None and self.id is None:
            raise ValueError("needs url or id")
        return self


class Option(Contract):
    id: NonEmpty
    title: Title
    description: Text | None = None


class Section(Contract):
    title: Title | None = None
    rows: list[Option] = Field(min_length=1)


class Interactive(KindedContract):
    """Buttons or a list; channel limits (e.g. WhatsApp's 3 buttons) are the plugin's check."""

    PAYLOAD_OF_KIND = {"buttons": "buttons", "list": "sections"}

    kind: Annotated[str, StringConstraints(pattern=r"^(buttons|list)$")]
    body: Text
    header: Title | None = None
    footer: Title | None = None
    buttons: list[Option] | None = Field(default=None, min_length=1)
    list_label: Title | None = Field(default=None, description="The list's opening button.")
    sections: list[Section] | None = Field(default=None, min_length=1)


class TemplateParameter(KindedContract):
    PAYLOAD_OF_KIND = {"text": "text", "payload": "payload", "media": "media"}

    kind: Annotated[str, StringConstraints(pattern=r"^(text|payload|media)$")]
    text: Text | None = None
    payload: NonEmpty | None = None
    media: OutboundMedia | None = None


class TemplateComponent(Contract):
    type: Annotated[str, StringConstraints(pattern=r"^(header|body|button)$")]
    sub_type: Slug | None = Field(default=None, description="For buttons: quick_reply, url …")
    index: Count | None = None
    parameters: list[TemplateParameter] = Field(default_factory=list)


class Template(Contract):
    """A pre-approved template (WhatsApp outside the 24-hour customer-service window)."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$", max_length=512)]
    language: LanguageTag
    components: list[TemplateComponent] = Field(default_factory=list)


class MessageSend(KindedContract):
    """Command: send this to the customer on the envelope's ``channel`` (none: the last used)."""

    PAYLOAD_OF_KIND = {
        "text": "text",
        "media": "media",
        "interactive": "interactive",
        "template": "template",
    }

    kind: SendKind
    recipient: Recipient
    channel_account: NonEmpty | None = None
    text: Text | None = None
    media: OutboundMedia | None = None
    interactive: Interactive | None = None
    template: Template | None = None
    reply_to: NonEmpty | None = Field(default=None, description="A channel_message_id.")


class MessageSent(Contract):
    """The channel accepted a message (the ``causationid`` is its ``message.send``)."""

    channel_message_id: NonEmpty
    recipient: Identifier | None = None
    echo: bool = Field(
        default=False, strict=True, description="Sent outside the hub, e.g. from the phone app."
    )
    text: Text | None = Field(default=None, description="Set for echoes, for the timeline.")


class MessageStatus(Contract):
    channel_message_id: NonEmpty
    recipient: Identifier | None = None


class MessageDelivered(MessageStatus):
    """The message reached the customer's device."""


class MessageRead(MessageStatus):
    """The customer opened the message."""


class DeliveryError(Contract):
    code: NonEmpty = Field(description="The channel's code, as text (e.g. '131047').")
    title: Title
    detail: Text | None = None
    permanent: bool = Field(strict=True, description="True: retrying cannot succeed.")


class MessageFailed(Contract):
    """A message could not be sent or delivered."""

    channel_message_id: NonEmpty | None = Field(
        default=None, description="Absent when the channel never accepted it."
    )
    recipient: Identifier | None = None
    error: DeliveryError
    attempts: Annotated[int, Field(strict=True, ge=1)] | None = None
