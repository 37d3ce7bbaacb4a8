"""PynamoDB models on in-process moto, each under a table name of the test's own, put back afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def model_tables(prefix: str, *rows: Any) -> Iterator[None]:
    """Create ``rows``' tables as ``<prefix>-<Model>`` inside ``mock_aws``; the models point back at their
    own tables (and drop the connection to moto) on the way out, as the next test expects."""
    from moto import mock_aws

    names = {row: row.Meta.table_name for row in rows}
    with mock_aws():
        for row in rows:
            row.Meta.table_name = f"{prefix}-{row.__name__}"
            row._connection = None
            row.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        try:
            yield
        finally:
            for row in rows:
                row.Meta.table_name = names[row]
                row._connection = None
