"use client";

import { useState } from "react";

import { ChatPanel } from "./ChatPanel";
import { TaskBoard } from "./TaskBoard";

/** The signed-in page: the task list beside the chat, which refreshes the list when tasks change. */
export function Workspace() {
  const [tasksVersion, setTasksVersion] = useState(0);
  return (
    <div className="workspace">
      <TaskBoard refreshKey={tasksVersion} />
      <ChatPanel onTasksChanged={() => setTasksVersion((version) => version + 1)} />
    </div>
  );
}
