"""Path and query parameter types shared by the routes."""

from typing import Annotated

from fastapi import Path, Query

# Ids are PostgreSQL `integer`s: anything larger cannot exist, and must not reach the database.
MAX_ID = 2**31 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
