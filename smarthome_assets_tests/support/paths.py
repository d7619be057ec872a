"""Where the tests find the repository, the shared real-data excerpt and their helper code locations."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: The real first 2,838 rows of HomeC.csv, beside the checkout as CI has it (tests skip when it is absent).
EXCERPT = REPO.parent / "shared" / "data" / "HomeC_excerpt.csv"
#: Small Dagster code locations the operations tests run as scripts or load in a real daemon.
LOCATIONS = Path(__file__).resolve().parent / "locations"
