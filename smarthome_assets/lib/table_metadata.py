"""Definition metadata Dagster users expect on table assets: owners and column schemas.

The schemas are derived from the Arrow schemas the pipeline actually loads (cleaning.rules), so the UI's
column list cannot drift from the tables.
"""

import dagster as dg
import pyarrow as pa

OWNERS = ["team:data-platform"]


def column_schema(schema: pa.Schema) -> dg.TableSchema:
    """A Dagster column schema from an Arrow schema (type names as Arrow spells them)."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=f.name, type=str(f.type), constraints=dg.TableColumnConstraints(nullable=f.nullable))
            for f in schema
        ]
    )
