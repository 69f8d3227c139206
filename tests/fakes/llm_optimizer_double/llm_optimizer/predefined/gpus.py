"""``llm_optimizer.predefined.gpus`` of the test double: a few of upstream's short GPU names.

Figures are vendor datasheet values (dense tensor TFLOPS, memory in GB, bandwidth in TB/s); the keys
follow upstream's naming ("A100" is the 80 GB part, "A100-40GB" the 40 GB one).
"""

from __future__ import annotations

GPU_SPECS: dict[str, dict[str, float | None]] = {
    "H100": {"VRAM_GB": 80, "FP16_TFLOPS": 989.0, "FP8_TFLOPS": 1979.0, "Memory_Bandwidth_GBs": 3350},
    "H200": {"VRAM_GB": 141, "FP16_TFLOPS": 989.0, "FP8_TFLOPS": 1979.0, "Memory_Bandwidth_GBs": 4800},
    "A100": {"VRAM_GB": 80, "FP16_TFLOPS": 312.0, "FP8_TFLOPS": None, "Memory_Bandwidth_GBs": 2039},
    "A100-40GB": {"VRAM_GB": 40, "FP16_TFLOPS": 312.0, "FP8_TFLOPS": None, "Memory_Bandwidth_GBs": 1555},
    "L40": {"VRAM_GB": 48, "FP16_TFLOPS": 181.0, "FP8_TFLOPS": 362.0, "Memory_Bandwidth_GBs": 864},
}
