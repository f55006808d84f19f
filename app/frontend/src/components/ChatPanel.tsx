"use client";

import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import { type ApiError, apiRequest, asApiError } from "@/lib/api-client";
import type { AssistantMode, ChatMessage, ChatReply, Conversation, Page } from "@/lib/api-types";

import { ErrorMessage } from "./ErrorMessage";

// The backend's limit (app/backend/app/models.py).
const MESSAGE_MAX_LENGTH = 4000;
/** The backend's page-size limit for messages: the panel shows at most this many of the latest. */
export const HISTORY_LIMIT = 100;

const MODE_NOTICE: Record<Exclude<AssistantMode, "online">, string> = {
  offline: "The assistant is in offline mode (no language model configured): it understands simple task commands only.",
  unavailable: "The assistant's language model is unavailable right now. Your tasks are safe; try again later.",
};

interface Props {
  /** Called after an assistant reply that created, changed or deleted tasks. */
  onTasksChanged: () => void;
}

export function ChatPanel({ onTasksChanged }: Props) {
  const [conversationId, setConversationId] = useState<number | null>(null);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [loadingHistory, setLoadingHistory] = useState(true);
  const [sending, setSending] = useState(false);
  const [pendingText, setPendingText] = useState<string | null>(null);
  const [mode, setMode] = useState<AssistantMode>("online");
  const [error, setError] = useState<ApiError | null>(null);
  const [draft, setDraft] = useState("");
  const logEnd = useRef<HTMLDivElement>(null);

  // Resume the most recent conversation, if there is one.
  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const conversations = await apiRequest<Page<Conversation>>("/api/conversations?limit=1");
        const latest = conversations.items[0];
        if (!latest || cancelled) return;
        const messagesUrl = `/api/conversations/${latest.id}/messages?limit=${HISTORY_LIMIT}`;
        // Messages come oldest first: for a long conversation, fetch its last page instead.
        const first = await apiRequest<Page<ChatMessage>>(messagesUrl);
        const history =
          first.total > first.items.length
            ? await apiRequest<Page<ChatMessage>>(`${messagesUrl}&offset=${first.total - HISTORY_LIMIT}`)
            : first;
        if (cancelled) return;
        setConversationId(latest.id);
        setMessages(history.items);
      } catch (caught) {
        if (!cancelled) setError(asApiError(caught));
      } finally {
        if (!cancelled) setLoadingHistory(false);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, []);

  useEffect(() => {
    logEnd.current?.scrollIntoView?.({ block: "end" });
  }, [messages, pendingText]);

  async function send(event?: FormEvent<HTMLFormElement>) {
    event?.preventDefault();
    const content = draft.trim();
    if (!content || sending) return;
    setSending(true);
    setError(null);
    setPendingText(content);
    try {
      const id = conversationId ?? (await apiRequest<Conversation>("/api/conversations", { method: "POST", body: {} })).id;
      setConversationId(id);
      const answer = await apiRequest<ChatReply>(`/api/conversations/${id}/messages`, {
        method: "POST",
        body: { content },
      });
      setMessages((current) => [...current, answer.user_message, answer.reply]);
      setMode(answer.mode);
      setDraft("");
      if (answer.tasks_changed) onTasksChanged();
    } catch (caught) {
      // The draft stays in the box, so nothing the user typed is lost.
      setError(asApiError(caught));
    } finally {
      setPendingText(null);
      setSending(false);
    }
  }

  function sendOnEnter(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    }
  }

  function startNewConversation() {
    setConversationId(null);
    setMessages([]);
    setError(null);
  }

  return (
    <section className="card stack chat" aria-labelledby="chat-heading">
      <div className="row spread">
        <h2 id="chat-heading">Assistant</h2>
        <button type="button" onClick={startNewConversation} disabled={sending || messages.length === 0}>
          New conversation
        </button>
      </div>
      {mode !== "online" && (
        <p role="status" className="notice">
          {MODE_NOTICE[mode]}
        </p>
      )}
      <div className="chat-log" role="log" aria-label="Conversation" aria-busy={loadingHistory || sending}>
        {loadingHistory && <p className="hint">Loading conversation…</p>}
        {!loadingHistory && messages.length === 0 && !pendingText && (
          <p className="hint">Ask the assistant to add, list, complete or delete tasks.</p>
        )}
        {messages.map((message) => (
          <div key={message.id} className={`message ${message.role}`}>
            <span className="visually-hidden">{message.role === "user" ? "You:" : "Assistant:"} </span>
            {message.content}
          </div>
        ))}
        {pendingText && (
          <>
            <div className="message user pending">
              <span className="visually-hidden">You: </span>
              {pendingText}
            </div>
            <p className="hint" role="status">
              Assistant is thinking…
            </p>
          </>
        )}
        <div ref={logEnd} />
      </div>
      {error && <ErrorMessage error={error} text={error.fieldErrors.content ?? error.message} />}
      <form className="stack" onSubmit={send} aria-label="Send a message">
        <label htmlFor="chat-message">Message the assistant</label>
        <textarea
          id="chat-message"
          name="content"
          rows={2}
          maxLength={MESSAGE_MAX_LENGTH}
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={sendOnEnter}
          aria-describedby="chat-hint"
        />
        <p id="chat-hint" className="hint">
          Enter sends; Shift+Enter starts a new line.
        </p>
        <button type="submit" className="primary" disabled={sending || !draft.trim()}>
          {sending ? "Sending…" : "Send"}
        </button>
      </form>
    </section>
  );
}
