"""The exports domain's definitions: `daily_exports` with its checks (its job and schedule are the
warehouse's, which exports and loads each day together)."""

import dagster as dg

from smarthome_assets.exports.assets import ASSETS

defs = dg.Definitions(assets=ASSETS)
