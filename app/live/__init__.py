"""The meeting event bus and the Server-Sent Events stream."""
