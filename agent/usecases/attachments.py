"""Evidence files checked and made to fit the dispute form, before any browser opens.

Why here and so early: a file the form refuses is found out only after the browser
has logged in and filled half a form, and a dispute's reason cannot be changed once
submitted. So every file is checked up front (exists, readable, an allowed type by
extension AND content) and a photo over the size limit is recompressed into the work
folder, the original left untouched. What does not fit the form's count of images
is kept for the dispute page, where more evidence can be added right after opening.
The limits are site knowledge (``flows.site``) and can be overridden in the settings.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from PIL import Image, ImageOps, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from agent.core.errors import UserInputError
from flows.site import (
    ATTACHMENT_IMAGE_MAX_BYTES,
    ATTACHMENT_IMAGE_TYPES,
    ATTACHMENT_MAX_IMAGES,
    ATTACHMENT_MAX_VIDEOS,
    ATTACHMENT_VIDEO_MAX_BYTES,
    ATTACHMENT_VIDEO_TYPES,
)

__all__ = [
    "AttachmentLimits",
    "PreparedAttachments",
    "PreparedFile",
    "format_size",
    "prepare_attachments",
]

#: Pillow's names for the content of each allowed extension ("MPO" is a camera JPEG)
_PIL_FORMATS: dict[str, frozenset[str]] = {
    "jpg": frozenset({"JPEG", "MPO"}),
    "jpeg": frozenset({"JPEG", "MPO"}),
    "png": frozenset({"PNG"}),
    "gif": frozenset({"GIF"}),
    "bmp": frozenset({"BMP"}),
    "webp": frozenset({"WEBP"}),
    "tif": frozenset({"TIFF"}),
    "tiff": frozenset({"TIFF"}),
}
#: JPEG qualities tried at full size, best first; then the size steps down
_QUALITIES = (90, 85, 80, 75, 70, 65, 60)
_RESIZE_QUALITY = 80
#: below this long side a photo shows nothing useful: give up instead of going on
_MIN_LONG_SIDE = 320
_GPS_IFD = 0x8825


class AttachmentLimits(BaseModel):
    """What the form accepts; defaults are the safer values of the site knowledge."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    image_types: tuple[str, ...] = ATTACHMENT_IMAGE_TYPES
    max_images: int = Field(default=ATTACHMENT_MAX_IMAGES, ge=0)
    image_max_bytes: int = Field(default=ATTACHMENT_IMAGE_MAX_BYTES, gt=0)
    video_types: tuple[str, ...] = ATTACHMENT_VIDEO_TYPES
    max_videos: int = Field(default=ATTACHMENT_MAX_VIDEOS, ge=0)
    video_max_bytes: int = Field(default=ATTACHMENT_VIDEO_MAX_BYTES, gt=0)

    @field_validator("image_types", "video_types")
    @classmethod
    def _extensions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(ext.strip().lower().lstrip(".") for ext in value)
        if not cleaned or not all(cleaned):
            raise ValueError("must list at least one file extension, e.g. ['jpg', 'png']")
        return cleaned

    @classmethod
    def from_settings(cls, overrides: BaseModel | Mapping[str, Any] | None = None) -> AttachmentLimits:
        """The defaults with the keys a settings section sets (``None`` keys keep the default)."""
        if overrides is None:
            values: dict[str, Any] = {}
        elif isinstance(overrides, BaseModel):
            values = overrides.model_dump(exclude_none=True)
        else:
            values = {key: value for key, value in overrides.items() if value is not None}
        return cls(**values)

    @property
    def allowed(self) -> str:
        return ", ".join(self.image_types + self.video_types)


class PreparedFile(BaseModel):
    """One file as it will be uploaded; ``path`` differs from ``original`` when resized."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path
    original: Path
    kind: Literal["image", "video"]
    #: bytes of ``path`` on disk
    size: int
    resized: bool = False
    note: str | None = None


class PreparedAttachments(BaseModel):
    """The files sorted by where they go: the form, or the dispute page afterwards."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    form: list[PreparedFile] = []
    #: images beyond the form's count, added as evidence once the dispute is open
    extra: list[PreparedFile] = []
    warnings: list[str] = []


def format_size(size: int) -> str:
    """ "1.9 MiB": binary units, as the site's "2 MB" limit means (:func:`agent.core.readable.size`)."""
    from agent.core.readable import size as worded

    return worded(size)


def prepare_attachments(paths: list[Path], limits: AttachmentLimits, work_dir: Path) -> PreparedAttachments:
    """Check every file and make it fit; raise :class:`UserInputError` on the first bad one.

    Images over ``image_max_bytes`` are re-encoded as JPEG into ``work_dir``; images
    beyond ``max_images`` go to ``extra``. Nothing is uploaded here.
    """
    # cheap checks of every file first, so a bad last file is reported before any resizing
    checked: list[tuple[Path, str, int]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        ext = path.suffix.lower().lstrip(".")
        size = _readable_size(path)
        if ext not in limits.image_types and ext not in limits.video_types:
            raise UserInputError(
                f"{path}: this file type cannot be attached; allowed: {limits.allowed} "
                "(convert photos to JPEG or PNG)"
            )
        checked.append((path, ext, size))
    video_count = sum(1 for _, ext, _ in checked if ext in limits.video_types)
    if video_count > limits.max_videos:
        raise UserInputError(
            f"{video_count} videos given and the form takes {limits.max_videos}: keep the most telling "
            "one and upload the others to a file host, with the link in your message"
        )
    images: list[PreparedFile] = []
    videos: list[PreparedFile] = []
    warnings: list[str] = []
    for position, (path, ext, size) in enumerate(checked, start=1):
        if ext in limits.video_types:
            videos.append(_prepare_video(path, size, limits))
            continue
        prepared, warning = _prepare_image(path, ext, size, position, limits, work_dir)
        images.append(prepared)
        if warning:
            warnings.append(warning)
    form = images[: limits.max_images] + videos
    extra = images[limits.max_images:]
    if extra:
        warnings.append(
            f"the form takes {limits.max_images} images: {len(extra)} more will be added as evidence "
            "on the dispute page right after it is opened"
        )
    return PreparedAttachments(form=form, extra=extra, warnings=warnings)


# --- checks ------------------------------------------------------------------------------


def _readable_size(path: Path) -> int:
    """The file's size, once it is known to exist and be readable (one clear line if not)."""
    if not path.exists():
        raise UserInputError(f"{path}: no such file; check the path given to --attach")
    if not path.is_file():
        raise UserInputError(f"{path}: not a file; give a photo or a video to --attach")
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise UserInputError(
            f"{path}: cannot be read ({exc.strerror or exc}); fix its permissions or copy it somewhere readable"
        ) from None
    size = path.stat().st_size
    if size == 0:
        raise UserInputError(f"{path}: the file is empty; attach the real photo or video")
    return size


#: the first atom types of a QuickTime/MP4 file (ISO base media: size, then type)
_ISO_MEDIA_ATOMS = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot")
_MATROSKA = b"\x1a\x45\xdf\xa3"


def _video_container(head: bytes) -> str | None:
    """The container a file's first bytes announce: "iso-media", "avi", "matroska", or None."""
    if len(head) >= 8 and head[4:8] in _ISO_MEDIA_ATOMS:
        return "iso-media"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:4] == _MATROSKA:
        return "matroska"
    return None


def _check_video_content(path: Path) -> None:
    """A video must be one by its content, not just its name (a ``clip.mp4`` that is a
    link to a text file would otherwise be uploaded to the seller)."""
    with path.open("rb") as handle:  # follows a link: what would be uploaded is the target
        head = handle.read(16)
    if _video_container(head) is None:
        raise UserInputError(
            f"{path}: named .{path.suffix.lower().lstrip('.')} but its content is not a video "
            "(no MP4, QuickTime, AVI or Matroska header); attach the original recording"
        )


def _prepare_video(path: Path, size: int, limits: AttachmentLimits) -> PreparedFile:
    # The container is checked by its header; the frames are not decoded (that needs a
    # codec library the agent does not carry, and the site re-encodes videos anyway).
    _check_video_content(path)
    if size > limits.video_max_bytes:
        raise UserInputError(
            f"{path}: the video is {format_size(size)} and the form takes at most "
            f"{format_size(limits.video_max_bytes)}; upload it to a file host and put the link in the "
            "description (--message), or attach a shorter clip"
        )
    return PreparedFile(path=path, original=path, kind="video", size=size)


def _open_image(path: Path, ext: str, limits: AttachmentLimits) -> str:
    """Verify the content is an allowed image; returns Pillow's format name."""
    allowed_formats = frozenset().union(*(_PIL_FORMATS.get(e, frozenset()) for e in limits.image_types))
    try:
        with Image.open(path) as image:
            found = image.format or ""
            image.verify()  # structure and checksums
        with Image.open(path) as image:
            image.load()  # every pixel: a truncated photo fails here, not on the site
    except Image.DecompressionBombError:
        raise UserInputError(
            f"{path}: the image has too many pixels to be a photo; attach a smaller one"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        reason = "not an image" if isinstance(exc, UnidentifiedImageError) else "a damaged image"
        raise UserInputError(
            f"{path}: named .{ext} but its content is {reason}; attach the original photo "
            f"(allowed: {limits.allowed})"
        ) from None
    if found not in allowed_formats:
        raise UserInputError(
            f"{path}: named .{ext} but it is a {found or 'unknown'} image, which the form does not take; "
            f"convert it to JPEG or PNG (allowed: {limits.allowed})"
        )
    return found


def _prepare_image(path: Path, ext: str, size: int, position: int, limits: AttachmentLimits,
                   work_dir: Path) -> tuple[PreparedFile, str | None]:
    _open_image(path, ext, limits)
    warning = None
    if size <= limits.image_max_bytes and _has_location(path):
        warning = (f"{path.name} carries the GPS position where it was taken and the seller will see "
                   "it; to hide it, remove it first (e.g. exiftool -gps:all= FILE)")
    if size <= limits.image_max_bytes:
        return PreparedFile(path=path, original=path, kind="image", size=size), warning
    target = work_dir / f"{position:02d}-{_safe_stem(path)}.jpg"
    data = _shrink(path, limits.image_max_bytes)
    _write_atomically(target, data)
    new_size = target.stat().st_size
    note = f"resized from {format_size(size)} to {format_size(new_size)}"
    return PreparedFile(path=target, original=path, kind="image", size=new_size, resized=True, note=note), None


def _has_location(path: Path) -> bool:
    try:
        with Image.open(path) as image:
            return bool(image.getexif().get_ifd(_GPS_IFD))
    except Exception:  # noqa: BLE001 - an unreadable EXIF block is no reason to refuse a photo
        return False


# --- making a photo fit ------------------------------------------------------------------


def _flattened(path: Path) -> Image.Image:
    """The photo upright (EXIF orientation applied), in RGB, transparency on white."""
    with Image.open(path) as source:
        source.seek(0)  # first frame of an animated GIF
        image = ImageOps.exif_transpose(source)
        image.load()
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    # no exif= argument: the copy carries no metadata (no GPS position, no camera serial)
    image.save(buffer, format="JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def _shrink(path: Path, max_bytes: int) -> bytes:
    """JPEG bytes of the photo under ``max_bytes``: lower quality first, then smaller size."""
    image = _flattened(path)
    data = b""
    for quality in _QUALITIES:
        data = _encode(image, quality)
        if len(data) <= max_bytes:
            return data
    width, height = image.size
    while max(width, height) > _MIN_LONG_SIDE:
        # bytes grow with the pixel count: aim a little under the limit, and always shrink
        factor = min(0.9, max(0.5, (max_bytes / len(data)) ** 0.5 * 0.95))
        width, height = max(1, int(width * factor)), max(1, int(height * factor))
        data = _encode(image.resize((width, height), Image.Resampling.LANCZOS), _RESIZE_QUALITY)
        if len(data) <= max_bytes:
            return data
    raise UserInputError(
        f"{path}: cannot be made smaller than {format_size(max_bytes)} without becoming useless; "
        "attach a smaller photo or crop it"
    )


def _safe_stem(path: Path) -> str:
    """The file's stem reduced to ASCII letters, digits, '-' and '_' (at most 40).

    Accents are dropped first ("ção" → "cao"), so a Portuguese name stays readable.
    """
    ascii_stem = unicodedata.normalize("NFKD", path.stem).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_stem).strip("-_")[:40].strip("-_")
    return stem or "photo"


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, target)
