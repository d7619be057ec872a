"""The energy dashboard: warehouse queries -> Altair charts -> one offline HTML page and PNG images.

queries.py   the SQL (plain, portable to Redshift) and the small data model it fills
charts.py    pure functions from that data to Altair (Vega-Lite) charts
page.py      the self-contained HTML page (Vega, Vega-Lite, Vega-Embed inlined) and the PNGs (vl-convert)
inspection.py  what the checks look at in a rendered page (offline, every home charted)
layout.py    where the page and images are written, and the local server's /dashboard entry
publishing.py  the warehouse read and the publication of a rendered page (store + local copy)

The `dashboard` asset, its checks, job and refresh sensor are in defs/dashboard/.
"""
