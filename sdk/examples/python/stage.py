"""A Reel filter in Python: inverts the picture (alpha kept), blended with
the original by `strength` -- the same plugin as `plugins/invert`.

componentize-py looks for the exported `instance` resource in a module
named after its interface, so this file must be called `stage.py`.
"""

from typing import List

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import stage as wit
from wit_world.imports import frames


class Stage(exports.Stage):
    def describe(self) -> wit.Description:
        return wit.Description(
            name="py-invert",
            version="0.1.0",
            kind=wit.StageKind.FILTER,
            summary="Inverts luma, chroma or RGB; alpha is kept (Python)",
            formats=[frames.PixelFormat.I420, frames.PixelFormat.NV12, frames.PixelFormat.RGBA],
            inputs=[],
            params=[
                wit.ParamSpec(
                    name="strength",
                    kind=wit.ValueType.NUMBER,
                    default=wit.Value_Number(1.0),
                    min=0.0,
                    max=1.0,
                    choices=[],
                    doc="0 leaves the picture, 1 fully inverts",
                )
            ],
        )


def table(strength: float) -> bytes:
    """Each byte value's result, so a whole plane is one bytes.translate
    (which runs in C: a per-pixel Python loop would take seconds a frame)."""
    return bytes(round(v + (255 - 2 * v) * strength) for v in range(256))


class Instance(wit.Instance):
    def __init__(self) -> None:
        # The host calls `configure` with every parameter before the first
        # frame: set-up happens there, once.
        self.luma = table(1.0)

    def configure(self, params: List[wit.Param]) -> None:
        for p in params:
            if p.name == "strength" and isinstance(p.value, wit.Value_Number):
                self.luma = table(p.value.value)

    def filter(self, frame: frames.Frame) -> None:
        info = frame.info()
        rgba = info.format == frames.PixelFormat.RGBA
        for index, plane in enumerate(info.planes):
            rows = frame.read_rows(index, 0, plane.rows)
            out = rows.translate(self.luma)
            if rgba:
                # Alpha is every fourth byte: put it back.
                changed = bytearray(out)
                changed[3::4] = rows[3::4]
                out = bytes(changed)
            frame.write_rows(index, 0, out)

    def mix(self, inputs: List[wit.MixerInput], output: frames.Frame) -> None:
        raise Err(wit.StageError_Unsupported("py-invert is a filter"))

    def decode(self, data: bytes) -> List[frames.Frame]:
        raise Err(wit.StageError_Unsupported("py-invert is a filter"))
