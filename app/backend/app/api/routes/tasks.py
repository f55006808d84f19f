from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from app import crud
from app.api.deps import API_ERROR_RESPONSES, NOT_FOUND_RESPONSE, CurrentUserId, SessionDep
from app.api.params import Limit, Offset, RowId
from app.models import Page, Task, TaskCreate, TaskPublic, TaskStatus, TaskUpdate

router = APIRouter(prefix="/api/tasks", tags=["tasks"], responses=API_ERROR_RESPONSES)


def _task_or_404(session: SessionDep, user_id: str, task_id: int) -> Task:
    task = crud.get_task(session, user_id, task_id)
    if task is None:
        # The same answer whether the task does not exist or belongs to someone else.
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="task not found")
    return task


@router.get("", response_model=Page[TaskPublic])
def list_tasks(
    session: SessionDep,
    user_id: CurrentUserId,
    task_status: Annotated[TaskStatus, Query(alias="status")] = TaskStatus.ALL,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[TaskPublic]:
    tasks, total = crud.list_tasks(session, user_id, task_status, limit, offset)
    return Page(
        items=[TaskPublic.model_validate(task) for task in tasks],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post("", response_model=TaskPublic, status_code=status.HTTP_201_CREATED)
def create_task(session: SessionDep, user_id: CurrentUserId, data: TaskCreate) -> Task:
    return crud.create_task(session, user_id, data)


@router.get("/{task_id}", response_model=TaskPublic, responses=NOT_FOUND_RESPONSE)
def get_task(session: SessionDep, user_id: CurrentUserId, task_id: RowId) -> Task:
    return _task_or_404(session, user_id, task_id)


@router.patch("/{task_id}", response_model=TaskPublic, responses=NOT_FOUND_RESPONSE)
def update_task(session: SessionDep, user_id: CurrentUserId, task_id: RowId, changes: TaskUpdate) -> Task:
    return crud.update_task(session, _task_or_404(session, user_id, task_id), changes)


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND_RESPONSE)
def delete_task(session: SessionDep, user_id: CurrentUserId, task_id: RowId) -> None:
    crud.delete_task(session, _task_or_404(session, user_id, task_id))
