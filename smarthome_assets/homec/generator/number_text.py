"""Numbers written the way the real file writes them (scientific below 0.0001, trailing zeros dropped)."""

from __future__ import annotations

import numpy as np

from smarthome_assets.homec.generator.climate import FloatArray


def scientific_text(value: float) -> str:
    """`1.67E-05`, `5E-05`: three significant digits, trailing zeros dropped, as the real file writes them."""
    mantissa, exponent = f"{value:.2E}".split("E")
    return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"


def fixed_text(values: FloatArray, decimals: int) -> list[str]:
    """Round to `decimals` and drop trailing zeros (`10`, `9.07`, `0.1`), never writing `-0`."""
    if decimals == 0:
        return [str(v) for v in np.rint(values).astype(np.int64).tolist()]
    texts = []
    for value in np.round(values, decimals).tolist():
        text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
        texts.append("0" if text == "-0" else text)
    return texts
