"""Domain types: the records a writer edits, validated with pydantic at every boundary.

Attribute names follow the DynamoDB tables the GravyJS and Page Manager web apps share
(see DESIGN.md, "The backend tables"); the codec in ``desktop.sync`` maps them 1:1.
Timestamps are ISO-8601 UTC strings in JavaScript's ``toISOString()`` form so that
they sort lexicographically and match what the web apps write.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

# DynamoDB's hard limit for one item, and what we keep free for the attributes the
# sync engine adds (userId, version, lastOpId, ownerId, ...).
DYNAMODB_ITEM_LIMIT = 400 * 1024
ENGINE_ATTRIBUTE_RESERVE = 1024
MAX_TITLE = 200
MAX_DESCRIPTION = 2_000
MAX_TAGS = 20
MAX_TAG = 50
MAX_CATEGORY = 100
MAX_ID = 128

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
M = TypeVar("M", bound=BaseModel)


class InvalidInput(ValueError):
    """Input that a user or a file supplied and that cannot be stored; ``problems`` says why."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))

    @classmethod
    def from_validation_error(cls, error: ValidationError, what: str) -> InvalidInput:
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"]) or what
            message = item["msg"].removeprefix("Value error, ")
            problems.append(f"{what} {where}: {message}")
        return cls(problems)


def now_iso() -> str:
    """The current time as JavaScript's ``new Date().toISOString()`` prints it."""
    return to_iso(datetime.now(UTC))


def to_iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso_ms(stamp: str) -> int:
    """Milliseconds since the epoch of an ISO-8601 timestamp (any form Python reads)."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_ms(milliseconds: int) -> str:
    """The ISO string JavaScript's ``toISOString()`` writes for an epoch time in ms."""
    return to_iso(_EPOCH + timedelta(milliseconds=milliseconds))


def _base36_suffix(length: int = 9) -> str:
    return "".join(secrets.choice(_BASE36) for _ in range(length))


def new_prefixed_id(prefix: str) -> str:
    """``<prefix>-<epoch ms>-<9 base36 chars>``, the GravyJS id format."""
    return f"{prefix}-{int(time.time() * 1000)}-{_base36_suffix()}"


def new_uuid() -> str:
    return str(uuid.uuid4())


def _check_id(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    if len(value) > MAX_ID:
        raise ValueError(f"must be at most {MAX_ID} characters")
    if not _ID_RE.match(value):
        raise ValueError(
            "may contain only letters, digits and _ . : - and must start with a letter or digit"
        )
    return value


def _kept(value: Any, info: ValidationInfo) -> bool:
    """Is ``value`` exempt from the desktop's own input limits? Server data is (a pull
    keeps whatever the server holds, context ``{"server": True}``), and so is a field an
    edit leaves as it was (context ``{"kept": <the record before the edit>}``): the limits
    apply to what the writer changes here. Types are checked before this, always."""
    context = info.context or {}
    if context.get("server"):
        return True
    kept = context.get("kept") or {}
    return info.field_name in kept and kept[info.field_name] == value


def _check_title(value: str, info: ValidationInfo) -> str:
    if _kept(value, info) and value.strip():
        return value
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    if len(value) > MAX_TITLE:
        raise ValueError(f"must be at most {MAX_TITLE} characters (got {len(value)})")
    return value


def _at_most(limit: int) -> Any:
    def check(value: str, info: ValidationInfo) -> str:
        if len(value) > limit and not _kept(value, info):
            raise ValueError(f"must be at most {limit} characters (got {len(value)})")
        return value

    return AfterValidator(check)


def _check_timestamp(value: str) -> str:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"is not an ISO-8601 timestamp: {value!r}") from exc
    return value


RecordId = Annotated[str, AfterValidator(_check_id)]
Title = Annotated[str, AfterValidator(_check_title)]
Timestamp = Annotated[str, AfterValidator(_check_timestamp)]
Description = Annotated[str, _at_most(MAX_DESCRIPTION)]
Category = Annotated[str, _at_most(MAX_CATEGORY)]


def estimate_item_size(item: dict[str, Any]) -> int:
    """Bytes DynamoDB would count for ``item`` (names + values, as its docs describe)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: Any) -> int:
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, int | float):
        return len(str(abs(value)).replace(".", "")) // 2 + 2
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, list | tuple | set):
        return 3 + sum(1 + _value_size(v) for v in value)
    if isinstance(value, dict):
        return 3 + sum(1 + len(str(k).encode()) + _value_size(v) for k, v in value.items())
    return len(str(value).encode())


class Record(BaseModel):
    """Common base: strict about unknown fields, immutable so history cannot be edited in place."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    createdAt: Timestamp = Field(default_factory=now_iso)
    updatedAt: Timestamp = Field(default_factory=now_iso)
    # Attributes the server's item holds that this client does not know (e.g. the web
    # app's ``variables``, a page's ``nodes``): kept, and written back when the item is put
    # whole (see desktop.sync.codec).
    extras: dict[str, Any] = Field(default_factory=dict)

    def check_item_size(self) -> None:
        try:
            size = estimate_item_size(self.model_dump())
        except UnicodeEncodeError:  # a lone surrogate: no database or file can hold it
            raise InvalidInput(
                [f"{type(self).__name__.lower()} holds text that is not valid Unicode"]
            ) from None
        limit = DYNAMODB_ITEM_LIMIT - ENGINE_ATTRIBUTE_RESERVE
        if size > limit:
            raise InvalidInput(
                [
                    f"{type(self).__name__.lower()} is too large to sync: about {size // 1024} KB, "
                    f"DynamoDB allows {DYNAMODB_ITEM_LIMIT // 1024} KB per item"
                ]
            )


def _check_tags(tags: list[str], info: ValidationInfo) -> list[str]:
    if _kept(tags, info):
        return tags
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if not tag:
            raise ValueError("tags must not be empty")
        if len(tag) > MAX_TAG:
            raise ValueError(f"tag {tag[:20]!r}... is longer than {MAX_TAG} characters")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags are allowed (got {len(cleaned)})")
    return cleaned


Tags = Annotated[list[str], AfterValidator(_check_tags)]


class Template(Record):
    templateId: RecordId = Field(default_factory=lambda: new_prefixed_id("template"))
    title: Title
    description: Description = ""
    content: str = ""
    category: Category = ""
    tags: Tags = Field(default_factory=list)
    isShared: bool = False
    usageCount: int = Field(default=0, ge=0)
    latestVersion: str | None = None
    #: Quick Fill lists favourites first; synced as a boolean the web app does not read.
    isFavorite: bool = False

    @property
    def id(self) -> str:
        return self.templateId


class TemplateSummary(BaseModel):
    """What lists and search results show of a template: everything but its content."""

    model_config = ConfigDict(frozen=True)

    templateId: str
    title: str
    description: str
    category: str
    tags: list[str]
    isShared: bool
    usageCount: int
    updatedAt: str
    isFavorite: bool = False


class Snippet(Record):
    snippetId: RecordId = Field(default_factory=lambda: new_prefixed_id("snippet"))
    title: Title
    description: Description = ""
    content: str = ""
    category: Category = ""
    tags: Tags = Field(default_factory=list)

    @property
    def id(self) -> str:
        return self.snippetId


class VariablePreset(Record):
    presetId: RecordId = Field(default_factory=lambda: new_prefixed_id("preset"))
    name: Title
    description: Description = ""
    values: dict[str, str] = Field(default_factory=dict)

    @field_validator("values")
    @classmethod
    def _names_not_empty(cls, values: dict[str, str]) -> dict[str, str]:
        for name in values:
            if not name.strip():
                raise ValueError("variable names must not be empty")
        return {name.strip(): value for name, value in values.items()}

    @property
    def id(self) -> str:
        return self.presetId


class TemplateVersion(Record):
    """An immutable snapshot of a template's content, recorded on each content change."""

    versionId: RecordId = Field(default_factory=lambda: new_prefixed_id("v"))
    templateId: RecordId
    title: str = ""
    content: str = ""
    changes: str = ""
    isActive: bool = True

    @property
    def id(self) -> str:
        return self.versionId


class TemplateShare(Record):
    """A template shared with another user by the web app (``shareTemplate``); read-only
    here. ``shareId`` is ``<templateId>:<sharedWithUserId>`` (the item's key); user ids may
    be e-mail addresses, so neither is held to the id format."""

    shareId: str
    templateId: str
    sharedByUserId: str = ""
    sharedWithUserId: str
    permissions: str = "read"

    @property
    def id(self) -> str:
        return self.shareId


class Page(Record):
    id: RecordId = Field(default_factory=new_uuid)
    title: Title
    isPublished: bool = False


PredictionStatus = Literal["", "starting", "processing", "succeeded", "failed", "canceled"]


class Node(Record):
    id: RecordId = Field(default_factory=new_uuid)
    pageId: RecordId
    title: Title
    description: Description = ""
    prompt: str = ""
    generatedImages: list[str] = Field(default_factory=list)
    predictionId: str = ""
    predictionStatus: PredictionStatus = ""
    position: int = Field(default=0, ge=0)


class UsageEvent(Record):
    trackingId: RecordId = Field(default_factory=lambda: new_prefixed_id("track"))
    templateId: RecordId
    action: str = "populate"
    timestamp: Timestamp = Field(default_factory=now_iso)
    date: str = ""

    def model_post_init(self, context: Any, /) -> None:
        if not self.date:
            object.__setattr__(self, "date", self.timestamp[:10])

    @property
    def id(self) -> str:
        return self.trackingId


def validated(model: type[M], what: str, /, **fields: Any) -> M:
    """Build ``model`` from ``fields``, turning pydantic's error into :class:`InvalidInput`."""
    return validate(model, what, fields)


def validate(
    model: type[M],
    what: str,
    fields: dict[str, Any],
    strict: bool = False,
    context: dict[str, Any] | None = None,
) -> M:
    """:func:`validated` for a dict of fields; ``strict``: no coercion at all (``"yes"`` is
    not a boolean, ``"3"`` not a number), for files read from outside; ``context``: see
    :func:`validated_in`."""
    try:
        return model.model_validate(fields, strict=strict, context=context)
    except ValidationError as error:
        raise InvalidInput.from_validation_error(error, what) from None


def validated_in(
    context: dict[str, Any] | None, model: type[M], what: str, fields: dict[str, Any]
) -> M:
    """:func:`validated` with a validation context (see ``_kept``): ``{"server": True}``
    for the server's data, ``{"kept": previous}`` for an edit of ``previous``."""
    return validate(model, what, fields, context=context)


def beyond_limits(record: BaseModel) -> list[str]:
    """The fields of ``record`` (kept as the server has them) that break this client's
    own input limits."""
    try:
        type(record).model_validate(record.model_dump())
    except ValidationError as error:
        return list(dict.fromkeys(str(e["loc"][0]) for e in error.errors() if e["loc"]))
    return []
