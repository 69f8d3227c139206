"""Numeric formats of weights and KV cache: canonical names, bytes per value, compute mode.

Quantized formats carry scales: AWQ/GPTQ int4 keeps one fp16 scale and zero per group of 128
weights (4 + 32/128 = 4.25 bits); MXFP4 one 8-bit exponent per block of 32 (4 + 8/32 = 4.25 bits);
NVFP4 one fp8 scale per 16 (4 + 8/16 = 4.5 bits). FP8 and INT8 scales are per tensor or per channel
and cost nothing measurable.
"""

from __future__ import annotations

from typing import Final

from config_explorer.errors import InvalidArgumentError

__all__ = [
    "PRECISIONS",
    "bytes_per_value",
    "compute_precision",
    "normalize_precision",
]

#: canonical name -> bits per stored value, scales included
_BITS: Final[dict[str, float]] = {
    "fp32": 32.0,
    "bf16": 16.0,
    "fp16": 16.0,
    "fp8": 8.0,
    "int8": 8.0,
    "int4": 4.25,
    "mxfp4": 4.25,
    "fp4": 4.5,
}

PRECISIONS: Final[tuple[str, ...]] = tuple(_BITS)

_ALIASES: Final[dict[str, str]] = {
    "float32": "fp32",
    "float": "fp32",
    "bfloat16": "bf16",
    "float16": "fp16",
    "half": "fp16",
    "fp8_e4m3": "fp8",
    "fp8-e4m3": "fp8",
    "e4m3": "fp8",
    "float8": "fp8",
    "float8_e4m3fn": "fp8",
    "w8a8": "fp8",
    "fp8_e5m2": "fp8",
    "w8a8-int8": "int8",
    "awq": "int4",
    "gptq": "int4",
    "w4a16": "int4",
    "nvfp4": "fp4",
    "mx4": "mxfp4",
}


def normalize_precision(name: str) -> str:
    """Return the canonical precision name for ``name`` (case-insensitive, common aliases)."""
    if not isinstance(name, str):
        raise InvalidArgumentError(f"precision must be a string, got {name!r}")
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in _BITS:
        raise InvalidArgumentError(
            f"unknown precision {name!r}; accepted: {', '.join(PRECISIONS)} "
            f"(aliases: {', '.join(sorted(_ALIASES))})"
        )
    return key


def bytes_per_value(precision: str) -> float:
    """Bytes one stored value occupies, quantization scales included."""
    return _BITS[normalize_precision(precision)] / 8.0


def compute_precision(weight_precision: str) -> str:
    """The tensor-core mode GEMMs run in for weights stored at ``weight_precision``.

    FP8 and INT8 checkpoints run W8A8 GEMMs; 4-bit integer and MXFP4 weights are dequantized
    into bf16 GEMMs (W4A16, as vLLM's Marlin and Triton MoE kernels do); NVFP4 runs FP4 GEMMs
    on hardware that has them.
    """
    p = normalize_precision(weight_precision)
    if p in ("int4", "mxfp4"):
        return "bf16"
    return p
