// Shapes of the backend's JSON (app/backend/app/models.py), as the browser receives them
// through this frontend's /api routes.

export type TaskFilter = "all" | "pending" | "completed";

export interface Page<Item> {
  items: Item[];
  total: number;
  limit: number;
  offset: number;
}

export interface Task {
  id: number;
  title: string;
  description: string | null;
  completed: boolean;
  created_at: string;
  updated_at: string;
}

export interface Conversation {
  id: number;
  title: string;
  created_at: string;
  updated_at: string;
}

export interface ChatMessage {
  id: number;
  conversation_id: number;
  role: "user" | "assistant";
  content: string;
  created_at: string;
}

/** online: answered by the model; offline: no API key, built-in commands only; unavailable: the model failed. */
export type AssistantMode = "online" | "offline" | "unavailable";

export interface ChatReply {
  user_message: ChatMessage;
  reply: ChatMessage;
  tasks_changed: boolean;
  mode: AssistantMode;
}
