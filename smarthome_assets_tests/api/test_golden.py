"""The bytes of representative responses are pinned: speed work on the API must not change one byte.

The hashes were computed from the handler as it was before the binary-result work (PostgreSQL writing
the JSON text), on the deterministic synthetic rows of api_support. Each covers the status, the
body and the headers a client reads (Content-Type, Link, X-Next-Cursor); request ids differ per call
and are left out. A changed hash means a changed response: a contract change, not an optimisation.
"""

from __future__ import annotations

import hashlib

import pytest

from smarthome_assets_tests.support.api_database import call

#: (payload version, path, query, Accept) -> sha256 of the response as `_fingerprint` writes it.
GOLDEN: dict[tuple[str, str, str, str | None], str] = {
    (
        "v2",
        "/energy",
        "start=2016-01-02&end=2016-01-03",
        None,
    ): "2dcfd1278ee9563514e520f8c06d9a2f9c5b8c0af9d5c9cc409b666d52af3bb1",
    (
        "v1",
        "/energy",
        "start=2016-01-02&end=2016-01-03&house_id=2",
        None,
    ): "99f4a14ccec6690e3b7766f4dd65260537d5a59cdac49d577270bced6e889873",
    (
        "v2",
        "/energy",
        "device=fridge_kw&device=use_kw&limit=700",
        None,
    ): "dc4d6233e9f97e5469622368c95fc7d4fea9897f28838e1bfa6ca9278122083d",
    (
        "v2",
        "/energy",
        "limit=5&start=2016-01-03T23:58:00Z",
        None,
    ): "cb009a56f752db5805aea13a89d777622337fcb79685ce2b39cba3b4bd40afe5",
    (
        "v2",
        "/weather",
        "start=2016-01-02&end=2016-01-03&house_id=2",
        None,
    ): "73965f5b76eed61d7d088f58c68a4f7598dd34c028500ba31453c552a44fcbe2",
    (
        "v1",
        "/weather",
        "limit=100&start=1451700000",
        None,
    ): "e79dfa04a4e392b4a47f828307b535ed3975f07c70db95109f34b0450fb276b7",
    (
        "v2",
        "/energy/summary",
        "interval=day&agg=kwh&tz=America/New_York",
        None,
    ): "8f6433d562727713d9e0237d43ec47066bd20ffc381257b62f086c55f22b0f85",
    (
        "v2",
        "/energy/summary",
        "interval=hour&agg=avg&device=solar_kw&device=well_kw",
        None,
    ): "dfb65fa88a2e043952b02e430c0eaf4b1fdadfec5e392b39b21803ed28f58d24",
    (
        "v1",
        "/energy/summary",
        "interval=hour&agg=max&limit=50&house_id=1",
        None,
    ): "2091802c762b4cd4c3daabc4efb74fc613693da3b196fe137a9d2f62b1d067ee",
    (
        "v2",
        "/energy/summary",
        "interval=day&agg=min&tz=Asia/Kolkata",
        None,
    ): "d4ea5428cded22de79dec50edb8b9eddb63e59049dbc7fe3ae250e1bac9ce089",
    ("v2", "/homes/2/devices", "", None): "ea31f03b195ed094c521ce852ffe1317c08a95488c139b6ba9983db263156ef3",
    (
        "v2",
        "/energy",
        "limit=100&start=2016-01-01T12:00Z",
        "text/csv",
    ): "a1095a677ddd2ea1f17adf5441f97a01a9804fcd7f974f83788ab43a82abc62b",
    ("v2", "/weather", "limit=100", "text/csv"): "56c524982d8246e9888f1ac40f51359b8dd5187ce2213fe240626bad1d8442a9",
    (
        "v2",
        "/energy/summary",
        "interval=hour&limit=30",
        "text/csv",
    ): "f27581fed535114982678e14f47a68b2de249bc42ec932900e206be3e84d1d92",
}


def _fingerprint(version: str, path: str, query: str, accept: str | None) -> str:
    answer = call(version, path, query, headers={"Accept": accept} if accept else None)
    pinned = [str(answer.status)]
    pinned += [f"{name}: {answer.headers.get(name)}" for name in ("content-type", "link", "x-next-cursor")]
    pinned.append(answer.body)
    return hashlib.sha256("\n".join(pinned).encode()).hexdigest()


@pytest.mark.parametrize(("version", "path", "query", "accept"), list(GOLDEN))
def test_representative_responses_keep_their_bytes(api_db, version, path, query, accept):
    assert _fingerprint(version, path, query, accept) == GOLDEN[(version, path, query, accept)]
