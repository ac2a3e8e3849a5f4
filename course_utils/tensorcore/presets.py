"""The tensor-core models: how each GPU generation (or teaching model)
adds, and the presets that name them (see course_utils.tensorcore)."""

import dataclasses

__all__ = ["MODELS", "TensorCoreModel"]


@dataclasses.dataclass(frozen=True)
class TensorCoreModel:
    """How one tensor core (or a teaching model) adds.

    kind: "hardware", "ideal" or "exact"; block_size (n) and extra_bits
    (e) only matter for kind "hardware", and so does fp16_min_exponent:
    the floor of the alignment exponent with fp16 output (None: the
    rule -19 - e; see the module docstring), read as alignment_floor.
    """

    name: str
    kind: str = "hardware"
    block_size: int = 4
    extra_bits: int = 0
    fp16_min_exponent: int = None  # None: -19 - extra_bits

    @property
    def alignment_floor(self):
        """The least alignment exponent E in fp16-output mode."""
        if self.fp16_min_exponent is not None:
            return self.fp16_min_exponent
        return -19 - self.extra_bits


_PRESETS = {
    "V100": (4, 0), "T4": (4, 1),
    "A100": (8, 1), "Ada": (8, 1), "L40S": (8, 1),
    "H100": (16, 2), "H200": (16, 2), "B200": (16, 2),
}
# The least alignment exponent with fp16 output, as the MATLAB toolbox
# sets it (T4's is an assumption: the rule -19 - e of the other presets).
_FP16_FLOORS = {
    "V100": -19, "T4": -20,
    "A100": -20, "Ada": -20, "L40S": -20,
    "H100": -21, "H200": -21, "B200": -21,
}
MODELS = {name: TensorCoreModel(name, "hardware", n, e, _FP16_FLOORS[name])
          for name, (n, e) in _PRESETS.items()}
MODELS["ideal"] = TensorCoreModel("ideal", "ideal")
MODELS["exact"] = TensorCoreModel("exact", "exact")


def _get_model(model):
    if isinstance(model, TensorCoreModel):
        if model.kind not in ("hardware", "ideal", "exact"):
            raise ValueError(
                f"TensorCoreModel kind {model.kind!r} is not one of "
                "'hardware', 'ideal', 'exact'")
        if model.kind == "hardware" and not (
                model.block_size >= 1 and 0 <= model.extra_bits <= 20):
            raise ValueError(
                f"{model}: a hardware model needs block_size >= 1 and "
                "0 <= extra_bits <= 20 (real ones use 4-16 and 0-2)")
        return model
    if isinstance(model, str) and model in MODELS:
        return MODELS[model]
    names = ", ".join(repr(name) for name in MODELS)
    raise ValueError(
        f"unknown tensor-core model {model!r}; choose one of {names} "
        "(the keys of tensorcore.MODELS), or pass a TensorCoreModel")


def _floor(model, out):
    """The least alignment exponent of a hardware model for output out."""
    return model.alignment_floor if out == "fp16" else -126
