"""Evidence files: checked before any browser opens, photos made to fit, originals kept."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest
from PIL import Image
from pydantic import BaseModel

from agent.core.errors import UserInputError
from agent.usecases.attachments import (
    AttachmentLimits,
    PreparedAttachments,
    PreparedFile,
    format_size,
    prepare_attachments,
)
from flows import site

MB = 1024 * 1024


def small_jpeg(path: Path, color: tuple[int, int, int] = (200, 40, 40), size: tuple[int, int] = (320, 240)) -> Path:
    Image.new("RGB", size, color).save(path, format="JPEG", quality=85)
    return path


def noisy_image(path: Path, size: tuple[int, int], mode: str = "RGB", seed: int = 7, **save: object) -> Path:
    """Random pixels: they do not compress, so the file is big for its dimensions."""
    rng = random.Random(seed)
    channels = len(mode)
    data = rng.randbytes(size[0] * size[1] * channels)
    Image.frombytes(mode, size, data).save(path, **save)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return tmp_path / "work"


@pytest.fixture
def limits() -> AttachmentLimits:
    return AttachmentLimits()


# --- limits -----------------------------------------------------------------------------


def test_default_limits_are_the_site_knowledge() -> None:
    limits = AttachmentLimits()
    assert limits.image_types == site.ATTACHMENT_IMAGE_TYPES
    assert limits.max_images == site.ATTACHMENT_MAX_IMAGES
    assert limits.image_max_bytes == site.ATTACHMENT_IMAGE_MAX_BYTES
    assert limits.video_types == site.ATTACHMENT_VIDEO_TYPES
    assert limits.max_videos == site.ATTACHMENT_MAX_VIDEOS
    assert limits.video_max_bytes == site.ATTACHMENT_VIDEO_MAX_BYTES


def test_limits_from_settings_overrides_only_what_is_set() -> None:
    class Overrides(BaseModel):
        max_images: int | None = 5
        image_max_bytes: int | None = None
        video_types: list[str] | None = [".MP4", "webm"]

    limits = AttachmentLimits.from_settings(Overrides())
    assert limits.max_images == 5
    assert limits.image_max_bytes == site.ATTACHMENT_IMAGE_MAX_BYTES
    assert limits.video_types == ("mp4", "webm")
    assert AttachmentLimits.from_settings({"video_max_bytes": 10, "max_videos": None}).video_max_bytes == 10
    assert AttachmentLimits.from_settings(None) == AttachmentLimits()


def test_limits_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        AttachmentLimits(image_max_bytes=0)
    with pytest.raises(ValueError):
        AttachmentLimits(image_types=())


def test_format_size() -> None:
    assert format_size(int(5.2 * MB)) == "5.2 MiB"
    assert format_size(2048) == "2.0 KiB"
    assert format_size(10) == "10 bytes"


# --- files that fit ---------------------------------------------------------------------


def test_nothing_to_attach(limits: AttachmentLimits, work: Path) -> None:
    assert prepare_attachments([], limits, work) == PreparedAttachments()
    assert not work.exists()


def test_a_small_jpeg_passes_unchanged_byte_for_byte(tmp_path: Path, limits: AttachmentLimits, work: Path) -> None:
    photo = small_jpeg(tmp_path / "photo.jpg")
    before = sha256(photo)

    result = prepare_attachments([photo], limits, work)

    assert result.form == [PreparedFile(path=photo, original=photo, kind="image", size=photo.stat().st_size)]
    assert result.extra == [] and result.warnings == []
    assert sha256(result.form[0].path) == before
    assert not work.exists()


@pytest.mark.parametrize(("name", "fmt"), [("a.PNG", "PNG"), ("b.gif", "GIF"), ("c.bmp", "BMP"), ("d.jpeg", "JPEG")])
def test_every_allowed_image_type_passes(tmp_path: Path, limits: AttachmentLimits, work: Path, name: str,
                                         fmt: str) -> None:
    path = tmp_path / name
    Image.new("RGB", (64, 48), (1, 2, 3)).save(path, format=fmt)
    (item,) = prepare_attachments([path], limits, work).form
    assert (item.path, item.kind, item.resized, item.size) == (path, "image", False, path.stat().st_size)


def test_a_video_within_the_limit_passes(tmp_path: Path, limits: AttachmentLimits, work: Path) -> None:
    video = tmp_path / "unboxing.MP4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2000))
    (item,) = prepare_attachments([video], limits, work).form
    assert (item.path, item.kind, item.size, item.resized, item.note) == (video, "video", 2012, False, None)


@pytest.mark.parametrize(("name", "head"), [
    ("a.mp4", b"\x00\x00\x00\x18ftypisom"), ("b.mov", b"\x00\x00\x00\x08wide\x00\x00\x00\x00mdat"),
    ("c.avi", b"RIFF\x00\x10\x00\x00AVI LIST"), ("d.mp4", b"\x00\x00\x00\x20moov"),
])
def test_a_video_is_one_by_its_header(tmp_path: Path, limits: AttachmentLimits, work: Path, name: str,
                                      head: bytes) -> None:
    video = tmp_path / name
    video.write_bytes(head + bytes(200))
    assert prepare_attachments([video], limits, work).form[0].kind == "video"


@pytest.mark.parametrize("content", [b"password=hunter2\nkey=abc\n" * 20, b"\x89PNG\r\n\x1a\n" + bytes(100),
                                     b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(50)])
def test_a_file_named_like_a_video_that_is_not_one_is_refused(tmp_path: Path, limits: AttachmentLimits,
                                                              work: Path, content: bytes) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(content)
    with pytest.raises(UserInputError, match=r"clip\.mp4: named \.mp4 but its content is not a video"):
        prepare_attachments([video], limits, work)


def test_a_link_named_like_a_video_to_a_secret_file_is_refused(tmp_path: Path, limits: AttachmentLimits,
                                                               work: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the bank's one-time codes: 123456, 654321\n" * 10)
    link = tmp_path / "clip.mp4"
    link.symlink_to(secret)
    with pytest.raises(UserInputError, match="its content is not a video"):
        prepare_attachments([link], limits, work)


# --- photos over the size limit ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "size", "save"),
    [
        ("noisy.png", (1400, 1300), {"format": "PNG"}),
        ("noisy camera.JPG", (2600, 1950), {"format": "JPEG", "quality": 98}),
    ],
)
def test_a_big_photo_is_resized_under_the_limit_and_the_original_kept(
    tmp_path: Path, limits: AttachmentLimits, work: Path, name: str, size: tuple[int, int], save: dict
) -> None:
    original = noisy_image(tmp_path / name, size, **save)
    original_size = original.stat().st_size
    assert original_size > 3 * MB
    before = sha256(original)

    (item,) = prepare_attachments([original], limits, work).form

    assert item.resized and item.kind == "image" and item.original == original
    assert item.path.parent == work and item.path.suffix == ".jpg"
    assert item.size == item.path.stat().st_size <= limits.image_max_bytes
    assert item.note == f"resized from {format_size(original_size)} to {format_size(item.size)}"
    assert sha256(original) == before
    with Image.open(item.path) as copy:
        assert copy.format == "JPEG"
        copy.verify()


def test_resizing_is_deterministic_and_names_are_sanitised(tmp_path: Path, work: Path) -> None:
    limits = AttachmentLimits(image_max_bytes=200_000)
    original = noisy_image(tmp_path / "Foto da caixa (1) ção!.png", (600, 500), format="PNG")

    first = prepare_attachments([original], limits, work).form[0]
    second = prepare_attachments([original], limits, work).form[0]

    assert first.path == second.path == work / "01-Foto-da-caixa-1-cao.jpg"
    assert first.size == second.size
    assert sorted(p.name for p in work.iterdir()) == ["01-Foto-da-caixa-1-cao.jpg"]


def test_quality_steps_down_before_the_size(tmp_path: Path, work: Path) -> None:
    original = noisy_image(tmp_path / "p.png", (500, 400), format="PNG")
    (item,) = prepare_attachments([original], AttachmentLimits(image_max_bytes=150_000), work).form
    with Image.open(item.path) as copy:
        assert copy.size == (500, 400)


def test_the_size_steps_down_when_quality_is_not_enough(tmp_path: Path, work: Path) -> None:
    original = noisy_image(tmp_path / "p.png", (800, 600), format="PNG")
    (item,) = prepare_attachments([original], AttachmentLimits(image_max_bytes=60_000), work).form
    assert item.size <= 60_000
    with Image.open(item.path) as copy:
        width, height = copy.size
    assert width < 800 and abs(width / height - 800 / 600) < 0.02


def test_exif_orientation_is_applied_to_the_copy(tmp_path: Path, work: Path) -> None:
    # stored landscape, tagged "rotate 90°": the photo really is portrait
    original = tmp_path / "rotated.jpg"
    image = Image.frombytes("RGB", (600, 400), random.Random(1).randbytes(600 * 400 * 3))
    exif = Image.Exif()
    exif[0x0112] = 6
    image.save(original, format="JPEG", quality=95, exif=exif.tobytes())

    (item,) = prepare_attachments([original], AttachmentLimits(image_max_bytes=100_000), work).form

    with Image.open(item.path) as copy:
        width, height = copy.size
        assert height > width
        assert copy.getexif().get(0x0112) is None


def test_transparent_png_is_flattened_on_white(tmp_path: Path, work: Path) -> None:
    original = tmp_path / "clear.png"
    rgba = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    noise = Image.frombytes("RGB", (200, 300), random.Random(3).randbytes(200 * 300 * 3))
    rgba.paste(noise, (200, 0))
    rgba.save(original)

    (item,) = prepare_attachments([original], AttachmentLimits(image_max_bytes=60_000), work).form

    with Image.open(item.path) as copy:
        assert copy.mode == "RGB"
        red, green, blue = copy.convert("RGB").getpixel((20, 20))
        assert min(red, green, blue) > 245


def test_a_photo_that_cannot_shrink_enough_is_refused(tmp_path: Path, work: Path) -> None:
    original = noisy_image(tmp_path / "p.png", (800, 600), format="PNG")
    with pytest.raises(UserInputError, match=r"p\.png: cannot be made smaller than 1000 bytes"):
        prepare_attachments([original], AttachmentLimits(image_max_bytes=1000), work)


def test_a_small_photo_with_a_gps_position_is_kept_but_warned_about(tmp_path: Path, limits: AttachmentLimits,
                                                                   work: Path) -> None:
    photo = tmp_path / "where.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8825)[2] = (52.0, 31.0, 0.0)  # GPSLatitude
    Image.new("RGB", (64, 64)).save(photo, format="JPEG", exif=exif.tobytes())

    result = prepare_attachments([photo], limits, work)

    assert result.form[0].path == photo
    assert len(result.warnings) == 1 and "where.jpg carries the GPS position" in result.warnings[0]


# --- counts -----------------------------------------------------------------------------


def test_images_beyond_the_forms_count_go_to_extra(tmp_path: Path, limits: AttachmentLimits, work: Path) -> None:
    photos = [small_jpeg(tmp_path / f"p{i}.jpg", (i * 40, 0, 0)) for i in range(4)]
    video = tmp_path / "clip.mov"
    video.write_bytes(b"\x00\x00\x00\x14ftypqt  " + b"mov" * 100)

    result = prepare_attachments([*photos, video], limits, work)

    assert [item.path for item in result.form] == [*photos[:3], video]
    assert [item.path for item in result.extra] == [photos[3]]
    assert any("1 more will be added as evidence" in w for w in result.warnings)


def test_more_videos_than_allowed_are_refused_before_any_resizing(tmp_path: Path, limits: AttachmentLimits,
                                                                  work: Path) -> None:
    big = noisy_image(tmp_path / "big.png", (1400, 1300), format="PNG")
    videos = []
    for name in ("a.mp4", "b.avi"):
        videos.append(tmp_path / name)
        videos[-1].write_bytes(b"v" * 10)
    with pytest.raises(UserInputError, match="2 videos given and the form takes 1"):
        prepare_attachments([big, *videos], limits, work)
    assert not work.exists()


# --- refusals ---------------------------------------------------------------------------


def test_a_video_over_the_limit_is_refused_with_advice(tmp_path: Path, work: Path) -> None:
    video = tmp_path / "unboxing.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 5000)
    with pytest.raises(UserInputError) as excinfo:
        prepare_attachments([video], AttachmentLimits(video_max_bytes=4096), work)
    message = str(excinfo.value)
    assert str(video) in message
    assert "upload it to a file host and put the link in the description" in message


@pytest.mark.parametrize("name", ["setup.exe", "notes.txt", "clip.webm", "photo.heic", "noext"])
def test_a_file_type_the_form_does_not_take_is_refused(tmp_path: Path, limits: AttachmentLimits, work: Path,
                                                       name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"MZ\x90\x00" + b"\x00" * 100)
    with pytest.raises(UserInputError) as excinfo:
        prepare_attachments([path], limits, work)
    message = str(excinfo.value)
    assert message.startswith(f"{path}: this file type cannot be attached")
    assert "allowed: jpg, jpeg, png, gif, bmp, mp4, mov, avi" in message


def test_a_text_file_renamed_jpg_is_refused(tmp_path: Path, limits: AttachmentLimits, work: Path) -> None:
    fake = tmp_path / "receipt.jpg"
    fake.write_text("this is not a photo\n", encoding="utf-8")
    with pytest.raises(UserInputError, match=r"receipt\.jpg: named \.jpg but its content is not an image"):
        prepare_attachments([fake], limits, work)


def test_a_truncated_photo_is_refused(tmp_path: Path, limits: AttachmentLimits, work: Path) -> None:
    photo = noisy_image(tmp_path / "cut.jpg", (400, 300), format="JPEG")
    photo.write_bytes(photo.read_bytes()[: photo.stat().st_size // 2])
    with pytest.raises(UserInputError, match=r"cut\.jpg: named \.jpg but its content is a damaged image"):
        prepare_attachments([photo], limits, work)


def test_an_image_format_the_form_does_not_take_is_refused(tmp_path: Path, limits: AttachmentLimits,
                                                           work: Path) -> None:
    disguised = tmp_path / "photo.png"
    Image.new("RGB", (32, 32)).save(disguised, format="TIFF")
    with pytest.raises(UserInputError, match=r"photo\.png: named \.png but it is a TIFF image"):
        prepare_attachments([disguised], limits, work)


def test_a_missing_file_is_one_clear_line(tmp_path: Path, limits: AttachmentLimits, work: Path) -> None:
    good = small_jpeg(tmp_path / "ok.jpg")
    missing = tmp_path / "gone.jpg"
    with pytest.raises(UserInputError) as excinfo:
        prepare_attachments([good, missing], limits, work)
    assert str(excinfo.value) == f"{missing}: no such file; check the path given to --attach"


def test_a_folder_is_refused(tmp_path: Path, limits: AttachmentLimits, work: Path) -> None:
    folder = tmp_path / "photos.jpg"
    folder.mkdir()
    with pytest.raises(UserInputError, match="photos.jpg: not a file"):
        prepare_attachments([folder], limits, work)


def test_an_empty_file_is_refused(tmp_path: Path, limits: AttachmentLimits, work: Path) -> None:
    empty = tmp_path / "clip.mp4"
    empty.touch()
    with pytest.raises(UserInputError, match=r"clip\.mp4: the file is empty"):
        prepare_attachments([empty], limits, work)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_refused(tmp_path: Path, limits: AttachmentLimits, work: Path) -> None:
    photo = small_jpeg(tmp_path / "locked.jpg")
    photo.chmod(0)
    try:
        with pytest.raises(UserInputError) as excinfo:
            prepare_attachments([photo], limits, work)
    finally:
        photo.chmod(0o600)
    message = str(excinfo.value)
    assert message.startswith(f"{photo}: cannot be read") and "fix its permissions" in message
    assert "\n" not in message


def test_a_read_error_is_one_clear_line_even_as_root(tmp_path: Path, limits: AttachmentLimits, work: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # the chmod test above is skipped for root; this one fakes the refusal the OS would give
    photo = small_jpeg(tmp_path / "locked.jpg")
    real_open = Path.open

    def refuse(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if self == photo:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(UserInputError) as excinfo:
        prepare_attachments([photo], limits, work)
    assert str(excinfo.value) == (f"{photo}: cannot be read (Permission denied); fix its permissions "
                                  "or copy it somewhere readable")
