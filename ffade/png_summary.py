"""A saved PNG as a TensorBoard image summary, its bytes as they are.

torch's ``SummaryWriter.add_image`` takes pixels: it converts them to floats, clips them and
encodes a PNG again (0.16 s for a quickstart's worst-failures grid, after ffade had just written
that PNG). Logging the file's own bytes costs nothing and shows exactly the saved picture.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def png_summary(tag: str, path: Path) -> Any:
    """A ``Summary`` holding the PNG at ``path`` under ``tag``, for any TensorBoard writer."""
    from PIL import Image
    from tensorboard.compat.proto.summary_pb2 import Summary

    with Image.open(path) as picture:
        (width, height), channels = picture.size, len(picture.getbands())
    image = Summary.Image(
        height=height, width=width, colorspace=channels, encoded_image_string=path.read_bytes()
    )
    return Summary(value=[Summary.Value(tag=tag, image=image)])
