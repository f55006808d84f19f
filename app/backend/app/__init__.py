"""Todo Chatbot backend: a FastAPI service for tasks and the AI chat assistant."""
