"""Daily exports of the readings through the read API into CSV files in the object store."""
